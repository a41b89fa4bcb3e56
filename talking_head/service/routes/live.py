"""`/v1/live`: a WebSocket that streams a talking head as the text arrives.

The client sends JSON text frames: optionally first ``{"start": {options}}``,
then any number of ``{"text": "..."}``, then ``{"end": true}``. The server
sends binary frames that, concatenated, are one fragmented MP4 (init
segment first), and JSON frames with a ``type``: ``ready`` (size and MIME
type, before any media), ``unit`` and ``word`` (what is said, with its times
on the stream's clock), ``progress``, ``error`` and, last, ``end``; then it closes. A
mistake gets an ``error`` frame naming it, never a silent drop.

With ``{"start": {"input": "audio", "sample_rate": N}}`` the stream is driven
by the client's audio instead (`live_audio`): binary PCM in, the same MP4 out
in fragments of one frame, with ``segment_start``, ``segment_end`` and
``interrupted`` events.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import secrets
import threading
import time
from typing import Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from starlette.concurrency import run_in_threadpool

from ...errors import InputError
from ...live.agent import AgentFace
from ...live.agent_stream import AgentStream, stream_rate
from ...live.audio_in import RATES
from ...live.stream import ENGINES, LiveStream
from ...pipeline import TalkOptions
from ...video.fragments import MIME_TYPE
from .. import limits
from ..dependencies import SettingsDep
from ..forms import json_option_fields
from .live_audio import listen_audio

log = logging.getLogger(__name__)

router = APIRouter()

SLOW_CLIENT_S = 5.0  # a viewer this far behind the stream is cut off, not buffered for
NETWORK_CUSHION_S = 0.04  # audio input: a segment starts with this much more in hand, for uneven arrival
FAREWELL_S = 2.0  # time the last frames and the close get to go out
POLICY_VIOLATION = 1008  # WebSocket close codes
TRY_AGAIN_LATER = 1013
NORMAL = 1000
INTERNAL_ERROR = 1011


class _LiveStartBase(BaseModel):
    """The options of a live stream (the first message, ``{"start": {...}}``; all optional)."""

    model_config = ConfigDict(extra="forbid")

    image: str | None = Field(
        None, description="The portrait as base64 (JPEG, PNG or WebP); omit for the default face."
    )
    api_key: str | None = Field(
        None, description="The server's API key, for clients that cannot send headers (browsers)."
    )
    input: Literal["text", "audio"] = Field(
        "text", description="What drives the face: text messages (spoken by our voice) or the client's audio."
    )
    sample_rate: int | None = Field(
        None, description="Audio input only (and then required): the rate of the 16-bit mono PCM sent, in Hz."
    )


# The request options of options.py, within what a stream can draw in real time; no caption file, no recording.
LiveStart = create_model(
    "LiveStart",
    __base__=_LiveStartBase,
    **json_option_fields(
        exclude={"captions", "language"},
        narrower={"size": {"ge": 64, "le": 1024}, "fps": {"ge": 10, "le": 30}, "engine": {"choices": ENGINES}},
    ),
)


class Closed(Exception):
    """The conversation is over (ended, refused or the client left)."""


def _origin_allowed(websocket: WebSocket, settings) -> bool:
    """Browsers send Origin with every WebSocket: the page's own origin and the CORS list may connect."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host or origin in settings.cors_origins


def _key_ok(websocket: WebSocket, api_key: str | None, sent: str | None) -> bool:
    if not api_key:
        return True
    header = websocket.headers.get("authorization", "")
    offered = header[len("Bearer ") :] if header.startswith("Bearer ") else sent
    return offered is not None and secrets.compare_digest(offered.encode(), api_key.encode())


def _error(code: str, message: str, field: str | None = None) -> dict:
    return {"type": "error", "code": code, "message": message, "field": field}


def _decode_image(data: str | None, settings) -> bytes | None:
    if data is None:
        return None
    if data.startswith("data:"):  # a data: URL from a browser's FileReader
        data = data.partition(",")[2]
    if len(data) * 3 // 4 > settings.max_upload_bytes:
        raise InputError(
            f"the image is larger than the limit of {settings.max_upload_bytes / 1e6:.0f} MB. Send a smaller photo.",
            field="image",
            status=413,
        )
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            "the image is not valid base64. Send the photo's bytes base64-encoded.", field="image"
        ) from None


async def _receive(websocket: WebSocket, timeout_s: float) -> dict:
    """The next JSON message; a `Closed` when the client left or stayed silent past the idle timeout."""
    try:
        raw = await asyncio.wait_for(websocket.receive(), timeout_s)
    except TimeoutError:
        raise TimeoutError from None
    if raw["type"] == "websocket.disconnect":
        raise Closed
    text = raw.get("text")
    if text is None:
        raise InputError('send JSON text frames: {"start": {...}}, {"text": "..."} or {"end": true}.')
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        raise InputError('a message is not JSON. Send {"text": "..."} or {"end": true}.') from None
    if not isinstance(message, dict):
        raise InputError('a message must be a JSON object such as {"text": "..."}.')
    return message


def _options(start: LiveStart, settings) -> TalkOptions:
    requested = start.model_dump(exclude={"image", "api_key", "input", "sample_rate"})
    return TalkOptions(**limits.talk_options(settings, {**requested, "captions": "none"}))


@router.websocket("/v1/live")
async def live(websocket: WebSocket, settings: SettingsDep) -> None:
    if not _origin_allowed(websocket, settings):
        await websocket.close(code=POLICY_VIOLATION, reason="origin not allowed (TALKING_HEAD_CORS_ORIGINS)")
        return
    await websocket.accept()
    state = websocket.app.state
    if not hasattr(state, "live_count"):
        state.live_count = 0
    if state.live_count >= settings.live_sessions:
        await _finish(
            websocket,
            _error(
                "busy",
                f"the server is streaming to {settings.live_sessions} viewers, its limit. Try again in a moment.",
            ),
            TRY_AGAIN_LATER,
        )
        return
    state.live_count += 1
    held = True

    def release() -> None:
        nonlocal held
        if held:
            held = False
            state.live_count -= 1

    try:
        await _converse(websocket, settings, release)
    except (Closed, WebSocketDisconnect):
        pass  # the client left
    finally:
        release()


async def _finish(websocket: WebSocket, last: dict | None = None, code: int = NORMAL, media_s: float = 0.0) -> None:
    """Say what went wrong (if anything), then ``end``, then close; a client already gone is fine."""
    try:
        async with asyncio.timeout(FAREWELL_S):  # a client that reads nothing cannot hold the slot
            if last is not None:
                await websocket.send_json(last)
            await websocket.send_json({"type": "end", "media_s": round(media_s, 3)})
            await websocket.close(code=code)
    except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
        pass


async def _converse(websocket: WebSocket, settings, release) -> None:
    # The first message: the options (or already text, with the defaults).
    try:
        first = await _receive(websocket, settings.live_idle_timeout_s)
    except TimeoutError:
        await _finish(websocket, _error("idle_timeout", f"nothing was sent for {settings.live_idle_timeout_s:.0f} s."))
        return
    except InputError as exc:
        await _finish(websocket, _error("invalid_input", str(exc), exc.field), POLICY_VIOLATION)
        return
    try:
        start = LiveStart.model_validate(first.get("start", {}))
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or None
        await _finish(
            websocket,
            _error("invalid_input", f"{field}: {problem['msg']}." if field else problem["msg"], field),
            POLICY_VIOLATION,
        )
        return
    if not _key_ok(websocket, settings.api_key, start.api_key):
        await _finish(
            websocket,
            _error(
                "unauthorized",
                "missing or wrong API key. Send the header "
                "'Authorization: Bearer <key>' or \"api_key\" in the start message.",
            ),
            POLICY_VIOLATION,
        )
        return
    audio = start.input == "audio"
    try:
        if audio:
            _check_audio_start(start, first)
        options = _options(start, settings)
        image = _decode_image(start.image, settings)
        if audio:
            face = await run_in_threadpool(
                AgentFace,
                image,
                options,
                stream_rate(start.sample_rate),
                cushion_s=NETWORK_CUSHION_S,
                max_seconds=settings.live_max_s,
                settings=settings,
            )
            stream = AgentStream(face, start.sample_rate)
        else:
            stream = await run_in_threadpool(LiveStream, image, options, settings.live_max_s, settings=settings)
    except InputError as exc:
        await _finish(websocket, _error(exc.code, str(exc), exc.field), POLICY_VIOLATION)
        return
    except Exception as exc:  # ours, not the client's: still say so rather than drop the connection
        log.exception("live stream could not start")
        await _finish(websocket, _error("internal", f"the stream could not start: {exc}"), INTERNAL_ERROR)
        return
    ready = {"type": "ready", "width": stream.width, "height": stream.height, "fps": stream.fps, "mime": MIME_TYPE}
    if isinstance(stream, AgentStream):
        ready |= {"input": "audio", "sample_rate": stream.sample_rate, "lookahead_s": stream.face.lookahead_s}
        await websocket.send_json(ready)
        await _stream(websocket, settings, stream, None, release, listen_audio)
        return
    await websocket.send_json(ready)
    await _stream(websocket, settings, stream, None if "start" in first else first, release)


def _check_audio_start(start, first: dict) -> None:
    if "start" not in first:
        raise InputError('audio input needs a start message first: {"start": {"input": "audio", ...}}.')
    if start.sample_rate not in RATES:
        raise InputError(
            f"audio input needs sample_rate, the rate of the PCM you send: one of {', '.join(map(str, RATES))} Hz"
            + (f" (not {start.sample_rate})." if start.sample_rate is not None else "."),
            field="sample_rate",
        )


async def _stream(
    websocket: WebSocket, settings, stream: LiveStream | AgentStream, pending: dict | None, release, listen=None
) -> None:
    loop = asyncio.get_running_loop()
    outbox: asyncio.Queue = asyncio.Queue()
    done = object()

    def emit(item) -> None:
        loop.call_soon_threadsafe(outbox.put_nowait, (time.monotonic(), item))

    def make() -> None:
        try:
            stream.run(emit)
        except Exception as exc:  # a failure inside the pipeline: tell the viewer, end the stream
            log.exception("live stream failed")
            emit(_error("internal", f"the stream failed: {exc}"))
        finally:
            emit(done)

    maker = threading.Thread(target=make, name="talking-head-live", daemon=True)
    maker.start()
    farewell: tuple[dict | None, int] | None = (None, NORMAL)
    listener = asyncio.create_task((listen or _listen)(websocket, settings, stream, pending, emit))
    listener.add_done_callback(lambda task: stream.stopped and outbox.put_nowait((time.monotonic(), done)))
    try:
        while True:
            queued_at, item = await outbox.get()
            if item is done:
                break
            if time.monotonic() - queued_at > SLOW_CLIENT_S:
                log.warning("live stream cut off: the client fell %.0f s behind", SLOW_CLIENT_S)
                farewell = (
                    _error(
                        "slow_client",
                        f"the connection fell more than {SLOW_CLIENT_S:.0f} s behind the stream, so it was closed.",
                    ),
                    POLICY_VIOLATION,
                )
                break
            try:
                if isinstance(item, bytes):
                    await asyncio.wait_for(websocket.send_bytes(item), SLOW_CLIENT_S)
                else:
                    await asyncio.wait_for(websocket.send_json(item), SLOW_CLIENT_S)
            except TimeoutError:
                log.warning("live stream cut off: the client took no data for %.0f s", SLOW_CLIENT_S)
                farewell = (None, POLICY_VIOLATION)
                break
    except (WebSocketDisconnect, RuntimeError, OSError):
        farewell = None  # the viewer left
    finally:
        stream.stop()
        listener.cancel()
        await asyncio.to_thread(maker.join)
    release()  # the stream's work is over: a viewer who reconnects at once finds the slot free
    if farewell is not None:
        await _finish(websocket, *farewell, stream.media_s)


async def _listen(websocket: WebSocket, settings, stream: LiveStream, pending: dict | None, emit) -> None:
    """Feed the client's text to the stream until it ends, leaves, or stays silent too long."""
    message = pending
    refused = False  # one error frame for a run of refused messages, not one per message of a flood
    while True:
        try:
            if message is None:
                wait_s = settings.live_idle_timeout_s - stream.listening_for_s()
                message = await _receive(websocket, max(0.05, wait_s))
            if message.get("end") is True:
                stream.end()
                return
            text = message.get("text")
            if not isinstance(text, str) or set(message) - {"text"}:
                raise InputError('after start, send {"text": "..."} or {"end": true}.', field="text")
            if len(text) > settings.max_text_chars:
                raise InputError(
                    f"a text message has {len(text)} characters, over the limit of "
                    f"{settings.max_text_chars}. Send it in smaller pieces.",
                    field="text",
                )
            await asyncio.to_thread(stream.add_text, text)
            refused = False
        except TimeoutError:
            if stream.listening_for_s() < settings.live_idle_timeout_s:
                continue  # still speaking what was sent, or only just done: the client's silence is fine
            emit(_error("idle_timeout", f"no text for {settings.live_idle_timeout_s:.0f} s; the stream ends."))
            stream.end()
            return
        except InputError as exc:
            if not (refused and exc.status == 429):
                emit(_error(exc.code, str(exc), exc.field))
            refused = exc.status == 429
        except (Closed, WebSocketDisconnect, RuntimeError):  # the client left
            stream.stop()
            return
        message = None
