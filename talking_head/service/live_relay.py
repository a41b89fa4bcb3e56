"""A live stream's two halves on the WebSocket: the frames the stream makes, sent on to the viewer (who is
cut off when too far behind), and the client's text, fed to the stream until it ends."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect

from ..errors import InputError
from ..live.agent_process import AgentProcess
from ..live.agent_stream import AgentStream
from ..live.stream import LiveStream
from .live_protocol import NORMAL, POLICY_VIOLATION, Closed, error_frame, finish, receive

log = logging.getLogger(__name__)

SLOW_CLIENT_S = 5.0  # a viewer this far behind the stream is cut off, not buffered for


Listener = Callable[..., Coroutine[Any, Any, None]]  # (websocket, settings, stream, pending, emit)


async def relay(
    websocket: WebSocket,
    settings,
    stream: LiveStream | AgentStream | AgentProcess,
    pending: dict | None,
    release,
    listen_to: Listener | None = None,
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
            emit(error_frame("internal", f"the stream failed: {exc}"))
        finally:
            emit(done)

    maker = threading.Thread(target=make, name="talking-head-live", daemon=True)
    maker.start()
    farewell: tuple[dict | None, int] | None = (None, NORMAL)
    listening: Listener = listen_to or listen
    listener = asyncio.create_task(listening(websocket, settings, stream, pending, emit))

    def listened(_task) -> None:
        if stream.stopped:
            outbox.put_nowait((time.monotonic(), done))

    listener.add_done_callback(listened)
    try:
        while True:
            queued_at, item = await outbox.get()
            if item is done:
                break
            if time.monotonic() - queued_at > SLOW_CLIENT_S:
                log.warning("live stream cut off: the client fell %.0f s behind", SLOW_CLIENT_S)
                farewell = (
                    error_frame(
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
        await finish(websocket, *farewell, stream.media_s)


async def listen(websocket: WebSocket, settings, stream: LiveStream, pending: dict | None, emit) -> None:
    """Feed the client's text to the stream until it ends, leaves, or stays silent too long."""
    message = pending
    refused = False  # one error frame for a run of refused messages, not one per message of a flood
    while True:
        try:
            if message is None:
                wait_s = settings.live_idle_timeout_s - stream.listening_for_s()
                message = await receive(websocket, max(0.05, wait_s))
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
            emit(error_frame("idle_timeout", f"no text for {settings.live_idle_timeout_s:.0f} s; the stream ends."))
            stream.end()
            return
        except InputError as exc:
            if not (refused and exc.status == 429):
                emit(error_frame(exc.code, str(exc), exc.field))
            refused = exc.status == 429
        except (Closed, WebSocketDisconnect, RuntimeError):  # the client left
            stream.stop()
            return
        message = None
