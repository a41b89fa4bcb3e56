"""`/v1/live` in audio mode: the client's PCM in, the face's fragmented MP4 and events out.

After ``{"start": {"input": "audio", "sample_rate": N, ...}}`` the client sends
binary frames of 16-bit little-endian mono PCM at N Hz, as its voice agent
makes them, and JSON controls: ``{"end_of_segment": true}`` (an utterance is
complete), ``{"interrupt": true}`` (drop what is not yet shown, listen) and
``{"end": true}`` (play what is waiting, then finish). The MP4 carries the
audio at N Hz from 32 kHz up, else at 48 kHz (``ready`` says which). A bad chunk or control
gets an ``error`` frame naming it and the stream goes on; a chunk that would
overfill the buffer is dropped and said so (``audio_overflow``).
"""

from __future__ import annotations

import asyncio
import json

from fastapi import WebSocket, WebSocketDisconnect

from ..errors import InputError
from ..live import events
from ..live.agent_process import AgentProcess
from ..live.agent_stream import AgentStream

CONTROLS = '{"end_of_segment": true}, {"interrupt": true} or {"end": true}'


def _control(text: str) -> str:
    """Which control a JSON text frame is; `InputError` for anything else."""
    try:
        message = json.loads(text)
    except json.JSONDecodeError:
        message = None
    if isinstance(message, dict) and len(message) == 1:
        (name, value), *_ = message.items()
        if name in ("end_of_segment", "interrupt", "end") and value is True:
            return name
    raise InputError(
        f"in audio mode send binary frames of 16-bit little-endian mono PCM, or {CONTROLS}.", field="audio"
    )


async def listen_audio(
    websocket: WebSocket, settings, stream: AgentStream | AgentProcess, pending: dict | None, emit
) -> None:
    """Feed the client's audio and controls to the face until it ends, leaves, or stays silent too long."""
    while True:
        try:
            wait_s = settings.live_idle_timeout_s - stream.listening_for_s()
            raw = await asyncio.wait_for(websocket.receive(), max(0.05, wait_s))
            if raw["type"] == "websocket.disconnect":
                stream.stop()
                return
            if raw.get("bytes") is not None:
                refused = stream.feed(raw["bytes"])
                if refused is not None:
                    emit(refused)
                continue
            control = _control(raw.get("text") or "")
            if control == "end":
                stream.end()
                return
            if control == "interrupt":
                stream.interrupt()
            else:
                stream.end_of_segment()
        except TimeoutError:
            if stream.listening_for_s() < settings.live_idle_timeout_s:
                continue  # still playing what was sent, or only just done: the client's silence is fine
            emit(events.error("idle_timeout", f"no audio for {settings.live_idle_timeout_s:.0f} s; the stream ends."))
            stream.end()
            return
        except InputError as exc:
            emit(events.error("invalid_input", str(exc), exc.field))
        except (WebSocketDisconnect, RuntimeError):  # the client left
            stream.stop()
            return
