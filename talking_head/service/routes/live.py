"""`/v1/live`: a WebSocket that streams a talking head as the text arrives.

The client sends JSON text frames: optionally first ``{"start": {options}}``,
then any number of ``{"text": "..."}``, then ``{"end": true}``. The server
sends binary frames that, concatenated, are one fragmented MP4 (init
segment first), and JSON frames with a ``type``: ``ready`` (size and MIME
type, before any media), ``unit`` and ``word`` (what is said, with its times
on the stream's clock), ``progress``, ``error`` and, last, ``end``; then it closes. A
mistake gets an ``error`` frame naming it, never a silent drop. The messages are
in `live_protocol`, the sending and listening in `live_relay`.

With ``{"start": {"input": "audio", "sample_rate": N}}`` the stream is driven
by the client's audio instead (`live_audio`): binary PCM in, the same MP4 out
in fragments of one frame, with ``segment_start``, ``segment_end`` and
``interrupted`` events.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from ...errors import InputError
from ...jobs.keys import KeyRefused
from ...live.agent import AgentFace
from ...live.agent_process import AgentProcess
from ...live.agent_stream import AgentStream, stream_rate
from ...live.audio_in import RATES
from ...live.drawing import photo_face
from ...live.stream import LiveStream
from ...video.fragments import MIME_TYPE, MIME_TYPES
from ..auth import websocket_caller
from ..avatars import ready_avatar
from ..dependencies import SettingsDep, StorageDep, StoreDep
from ..live_audio import listen_audio
from ..live_protocol import (
    INTERNAL_ERROR,
    NORMAL,
    POLICY_VIOLATION,
    TRY_AGAIN_LATER,
    Closed,
    LiveStart,
    decode_image,
    error_frame,
    finish,
    receive,
    start_options,
)
from ..live_relay import relay

log = logging.getLogger(__name__)

router = APIRouter()

# Audio input: a segment starts with this much more in hand, so chunks that arrive unevenly play on without
# a gap. Replaying chunk arrivals logged on loopback (20 ms chunks at real-time pace, up to 57 ms late on a
# loaded machine) over random frame phases: 0 ms left a one-frame gap in 2-13 % of segments, 20 ms in none
# (40 ms neither, 20 ms later). See docs/live.md.
NETWORK_CUSHION_S = 0.02


def _origin_allowed(websocket: WebSocket, settings) -> bool:
    """Browsers send Origin with every WebSocket: the page's own origin and the CORS list may connect."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host or origin in settings.cors_origins


@router.websocket("/v1/live")
async def live(websocket: WebSocket, settings: SettingsDep, store: StoreDep, storage: StorageDep) -> None:
    if not _origin_allowed(websocket, settings):
        await websocket.close(code=POLICY_VIOLATION, reason="origin not allowed (TALKING_HEAD_CORS_ORIGINS)")
        return
    await websocket.accept()
    state = websocket.app.state
    if not hasattr(state, "live_count"):
        state.live_count = 0
    if state.live_count >= settings.live_sessions:
        await finish(
            websocket,
            error_frame(
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
        await _converse(websocket, settings, store, storage, release)
    except (Closed, WebSocketDisconnect):
        pass  # the client left
    finally:
        release()


async def _converse(websocket: WebSocket, settings, store, storage, release) -> None:
    async def refuse(last: dict, code: int = NORMAL) -> None:
        release()  # before `end`: a client that reconnects at once finds the slot free
        await finish(websocket, last, code)

    # The first message: the options (or already text, with the defaults).
    try:
        first = await receive(websocket, settings.live_idle_timeout_s)
    except TimeoutError:
        await refuse(error_frame("idle_timeout", f"nothing was sent for {settings.live_idle_timeout_s:.0f} s."))
        return
    except InputError as exc:
        await refuse(error_frame("invalid_input", str(exc), exc.field), POLICY_VIOLATION)
        return
    try:
        start = LiveStart.model_validate(first.get("start", {}))
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or None
        await refuse(
            error_frame("invalid_input", f"{field}: {problem['msg']}." if field else problem["msg"], field),
            POLICY_VIOLATION,
        )
        return
    try:
        websocket.state.caller = websocket_caller(websocket, start.api_key, settings.api_key)
    except KeyRefused:
        await refuse(
            error_frame(
                "unauthorized",
                "missing or wrong API key. Send the header "
                "'Authorization: Bearer <key>' or \"api_key\" in the start message.",
            ),
            POLICY_VIOLATION,
        )
        return
    stream: LiveStream | AgentStream | AgentProcess
    try:
        rate = _audio_rate(start, first) if start.input == "audio" else None
        if rate is None and start.audio_codec != "aac":
            raise InputError("audio_codec applies to audio input only (text mode sends AAC).", field="audio_codec")
        options = start_options(start, settings)
        image = decode_image(start.image, settings)
        avatar = None
        if start.avatar:  # one of the caller's, built: its file in the results folder the workers share
            avatar = storage.avatar_path(await run_in_threadpool(ready_avatar, websocket, store, start.avatar))
        if rate is not None:
            face_args = {
                "image": image,
                "options": options,
                "sample_rate": stream_rate(rate, start.audio_codec),
                "cushion_s": NETWORK_CUSHION_S,
                "max_seconds": settings.live_max_s,
                "settings": settings,
                "avatar": avatar,
            }
            if settings.live_processes:
                if avatar is None:  # here, where the analyses of recent photos (and the default face) are kept
                    face_args["image"] = await run_in_threadpool(photo_face, image, settings)
                stream = await run_in_threadpool(AgentProcess, face_args, rate, start.audio_codec)
            else:
                face = await run_in_threadpool(lambda: AgentFace(**face_args))
                stream = AgentStream(face, rate, audio_codec=start.audio_codec)
        else:
            stream = await run_in_threadpool(
                LiveStream, image, options, settings.live_max_s, settings=settings, avatar=avatar
            )
    except InputError as exc:
        await refuse(error_frame(exc.code, str(exc), exc.field), POLICY_VIOLATION)
        return
    except Exception as exc:  # ours, not the client's: still say so rather than drop the connection
        log.exception("live stream could not start")
        await refuse(error_frame("internal", f"the stream could not start: {exc}"), INTERNAL_ERROR)
        return
    ready = {"type": "ready", "width": stream.width, "height": stream.height, "fps": stream.fps, "mime": MIME_TYPE}
    if not isinstance(stream, LiveStream):
        ready |= {
            "input": "audio",
            "sample_rate": stream.sample_rate,
            "lookahead_s": stream.lookahead_s,
            "audio_codec": stream.audio_codec,
            "mime": MIME_TYPES[stream.audio_codec],
        }
        try:
            await websocket.send_json(ready)
        except BaseException:  # the client left before the stream began: its process must not draw on
            if isinstance(stream, AgentProcess):
                stream.close()
            raise
        await relay(websocket, settings, stream, None, release, listen_audio)
        return
    await websocket.send_json(ready)
    await relay(websocket, settings, stream, None if "start" in first else first, release)


def _audio_rate(start, first: dict) -> int:
    """The sample rate of an audio stream's PCM, checked."""
    if "start" not in first:
        raise InputError('audio input needs a start message first: {"start": {"input": "audio", ...}}.')
    if start.sample_rate not in RATES:
        raise InputError(
            f"audio input needs sample_rate, the rate of the PCM you send: one of {', '.join(map(str, RATES))} Hz"
            + (f" (not {start.sample_rate})." if start.sample_rate is not None else "."),
            field="sample_rate",
        )
    return start.sample_rate
