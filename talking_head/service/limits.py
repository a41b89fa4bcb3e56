"""Checks on a request before it becomes a job: sizes, types, lengths, options.

Everything here raises `InputError` naming the field and the fix, so the
caller learns of a mistake at once (4xx) instead of from a failed job later.
The request body as a whole is capped by `BodySizeLimit` before it is read,
a multipart body must be complete (`CompleteMultipart`), and its text fields
UTF-8 (`Utf8FormFields`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import HTTPException

from ..errors import InputError, status_code
from ..face.image import load_image
from ..media import MediaKind, open_media
from ..pipeline import TalkOptions
from ..speech import check_text
from ..speech.audio import FORMATS, read_audio
from ..speech.voices import installed_voices
from .errors import FieldHTTPException, envelope

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_CALLBACK_URL = 2000
FORM_OVERHEAD_BYTES = 1 << 20  # the text and option fields around the files
BOUNDARY = re.compile(rb'boundary\s*=\s*"?([^";,\s]+)', re.IGNORECASE)
NOT_A_RECORDING = f"the audio file is not a recording this service can read. Send {FORMATS}."
UPLOADED_RECORDING = MediaKind(
    "audio", "audio", missing=NOT_A_RECORDING, unreadable=NOT_A_RECORDING, no_track=NOT_A_RECORDING, status=415
)


def voices(settings) -> dict[str, str]:
    """The voices offered by name (never by path: a client names no server files): bundled and `voices_dir`."""
    return {name: str(model) for name, model in installed_voices(settings.voices_dir).items()}


def talk_options(settings, requested: dict) -> dict:
    """The `TalkOptions` fields a request sets, checked; voice names become server paths here only."""
    offered = voices(settings)
    chosen = dict(requested)
    voice = chosen.pop("voice", None)
    if voice is not None and voice not in offered:
        raise InputError(f"unknown voice {voice!r}. Choose one of: {', '.join(offered)}.", field="voice")
    TalkOptions(**chosen).validate()
    if voice is not None:
        chosen["voice"] = offered[voice]
    return chosen


def check_speech_input(settings, text: str | None, has_audio: bool) -> str | None:
    if not has_audio:
        if text is None or not text.strip():
            raise InputError("give the words to speak in `text`, or upload a recording as `audio`.", field="text")
    if text is not None and text.strip():
        return check_text(text, settings.max_text_chars, to_speak=not has_audio)
    return None


def check_callback_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    url = url.strip()
    parts = urlsplit(url)
    if len(url) > MAX_CALLBACK_URL or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("callback_url must be an absolute http:// or https:// URL.", field="callback_url")
    return url


def check_image(path: Path, settings) -> None:
    """Decode the photo once: unreadable is 415, too many pixels 413, too small 422."""
    load_image(path.read_bytes(), settings.max_image_pixels)


def check_audio(path: Path, settings) -> None:
    """Probe the recording: no audio track is 415; too long or silent is 422."""
    open_media(path, UPLOADED_RECORDING).close()
    read_audio(path, settings.max_audio_s)


def live_message_limit(settings) -> int:
    """The largest WebSocket message (`/v1/live`): a start with the largest photo, base64-encoded;
    past it the connection is closed with 1009 (message too big)."""
    return settings.max_upload_bytes * 4 // 3 + FORM_OVERHEAD_BYTES


def multipart_boundary(scope) -> bytes | None:
    """The boundary of an HTTP request with a multipart body; None for any other request."""
    content_type = dict(scope.get("headers") or ()).get(b"content-type", b"") if scope["type"] == "http" else b""
    match = BOUNDARY.search(content_type) if content_type.lower().startswith(b"multipart/") else None
    return match.group(1) if match else None


class BodySizeLimit:
    """ASGI middleware: refuse request bodies over `limit` bytes with 413, without reading them whole."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    def _error(self) -> HTTPException:
        return HTTPException(
            413, f"the request is larger than the limit of {self.limit / 1e6:.0f} MB. Send smaller files."
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            response = envelope(413, status_code(413), self._error().detail, headers={"Connection": "close"})
            return await response(scope, receive, send)
        seen = 0

        async def counting_receive():
            # A body sent without Content-Length (chunked) is counted as it arrives.
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise self._error()  # FastAPI passes HTTPException through its body parsing
            return message

        await self.app(scope, counting_receive, send)


class CompleteMultipart:
    """ASGI middleware: a multipart body that ends before its closing boundary is 400.

    python-multipart parses whatever arrived and does not check that it ended
    in the closing delimiter (``--BOUNDARY--``); Starlette then keeps only the
    parts that ended, so a body cut off in the middle of the photo became a
    request without one (and a video of the default face). Here the last
    chunk of a multipart body must have brought the closing delimiter.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        boundary = multipart_boundary(scope)
        if boundary is None:
            return await self.app(scope, receive, send)
        closing = b"--" + boundary + b"--"
        tail, closed = b"", False

        async def checking_receive():
            nonlocal tail, closed
            message = await receive()
            if message["type"] == "http.request":
                seen = tail + message.get("body", b"")
                closed = closed or closing in seen
                tail = seen[-len(closing) :]
                if not message.get("more_body", False) and not closed:
                    raise HTTPException(
                        400,
                        "the multipart body ends before its closing boundary: the upload was "
                        "cut off or is malformed. Send the whole request again.",
                    )
            return message

        await self.app(scope, checking_receive, send)


@dataclass
class _FormPart:
    """The multipart part being read: its header name so far, its headers, and its first bytes."""

    header: bytes = b""
    headers: dict[bytes, bytes] = field(default_factory=dict)
    data: bytearray = field(default_factory=bytearray)


class Utf8FormFields:
    """ASGI middleware: a multipart text field (not a file) that is not UTF-8 is 400, naming it.

    Starlette reads such a field as Latin-1, so the bytes of another encoding
    became mojibake in the captions. The fields are parsed here as the body
    streams past (files are skipped, not held).
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        from python_multipart.multipart import MultipartParser, parse_options_header

        boundary = multipart_boundary(scope)
        if boundary is None:
            return await self.app(scope, receive, send)
        part = _FormPart()
        bad: list[str] = []

        def on_header_field(data, start, end):
            part.header += data[start:end]

        def on_header_value(data, start, end):
            name = part.header.lower()
            part.headers[name] = part.headers.get(name, b"") + data[start:end]

        def on_header_end():
            part.header = b""

        def on_part_begin():
            part.headers, part.data = {}, bytearray()

        def on_part_data(data, start, end):
            if len(part.data) <= FORM_OVERHEAD_BYTES:
                part.data += data[start:end]

        def on_part_end():
            _, options = parse_options_header(part.headers.get(b"content-disposition", b""))
            if b"filename" in options:
                return  # an upload: its bytes are a file's, not text
            try:
                bytes(part.data).decode("utf-8")
            except UnicodeDecodeError:
                bad.append(options.get(b"name", b"?").decode("utf-8", "replace"))

        callbacks: MultipartCallbacks = {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }
        parser = MultipartParser(boundary, callbacks)

        async def checking_receive():
            message = await receive()
            if message["type"] == "http.request":
                try:
                    parser.write(message.get("body", b""))
                except Exception:  # malformed: Starlette's own parser says so
                    pass
                if bad:
                    raise FieldHTTPException(
                        400,
                        f"the form field {bad[0]} is not UTF-8 text. Send the form's text fields encoded as UTF-8.",
                        bad[0],
                    )
            return message

        await self.app(scope, checking_receive, send)
