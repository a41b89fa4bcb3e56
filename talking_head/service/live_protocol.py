"""The messages of `/v1/live`: the start message's options, reading the client's JSON frames, the error
frame, and the farewell (``end``, then the close with its code)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Literal

from fastapi import WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, create_model

from ..errors import InputError
from ..live.stream import ENGINES
from ..pipeline import TalkOptions
from . import limits
from .forms import AVATAR_ID_PATTERN, json_option_fields

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
    avatar: str | None = Field(
        None,
        pattern=AVATAR_ID_PATTERN,
        description="The id of one of your avatars (`POST /v1/avatars`, once done), instead of `image`: the person's "
        "own footage speaks, and idles through its loop between units.",
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
    audio_codec: Literal["aac", "opus"] = Field(
        "aac",
        description="Audio input only: the codec of the stream's sound. aac plays everywhere; opus (48 kHz, 10 ms "
        "packets) lets each frame leave as soon as it is encoded, a frame sooner (check "
        "MediaSource.isTypeSupported with the ready event's mime).",
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


def error_frame(code: str, message: str, field: str | None = None) -> dict:
    return {"type": "error", "code": code, "message": message, "field": field}


def decode_image(data: str | None, settings) -> bytes | None:
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


async def receive(websocket: WebSocket, timeout_s: float) -> dict:
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


def start_options(start: BaseModel, settings) -> TalkOptions:
    requested = start.model_dump(exclude={"image", "avatar", "api_key", "input", "sample_rate", "audio_codec"})
    return TalkOptions(**limits.talk_options(settings, {**requested, "captions": "none"}))


async def finish(websocket: WebSocket, last: dict | None = None, code: int = NORMAL, media_s: float = 0.0) -> None:
    """Say what went wrong (if anything), then ``end``, then close; a client already gone is fine."""
    try:
        async with asyncio.timeout(FAREWELL_S):  # a client that reads nothing cannot hold the slot
            if last is not None:
                await websocket.send_json(last)
            await websocket.send_json({"type": "end", "media_s": round(media_s, 3)})
            await websocket.close(code=code)
    except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
        pass
