"""ASGI middlewares that check a request body as it streams in, before any route reads it: its size as a
whole (`BodySizeLimit`), a multipart body that ends in its closing boundary (`CompleteMultipart`), and
multipart text fields in UTF-8 (`Utf8FormFields`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from fastapi import HTTPException

from ..errors import status_code
from .errors import FieldHTTPException, envelope

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # a TypedDict that exists for type checkers only

FORM_OVERHEAD_BYTES = 1 << 20  # the text and option fields around the files
BOUNDARY = re.compile(rb'boundary\s*=\s*"?([^";,\s]+)', re.IGNORECASE)


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
class _Part:
    """The multipart part being read: its headers so far, and its first bytes."""

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
        part = _Part()
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

        callbacks = {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        }
        parser = MultipartParser(boundary, cast("MultipartCallbacks", callbacks))

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
