"""The events a live stream sends besides its media: plain dicts with a ``type``, ready for JSON."""

from __future__ import annotations


def error(code: str, message: str, field: str | None = None) -> dict:
    return {"type": "error", "code": code, "message": message, "field": field}


def too_long(limit_s: float) -> dict:
    return error("too_long", f"the stream reached its limit of {limit_s:.0f} s. Start a new stream to go on.")
