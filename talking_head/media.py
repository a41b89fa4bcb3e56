"""Opening a media file with PyAV, the one place that turns FFmpeg's complaints into `InputError`.

Used for recordings (speech/audio.py), finished videos (evaluate/decode.py)
and uploads (service/limits.py); each says in a `MediaKind` which track it
needs and how its errors read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from .errors import InputError

# What PyAV raises for a file it cannot open: FFmpeg's errors, names it cannot decode, odd files.
UNREADABLE = (av.error.FFmpegError, UnicodeDecodeError, ValueError, OSError)


@dataclass(frozen=True)
class MediaKind:
    """The track a caller needs, and its error messages (``{path}``, ``{name}``, ``{error}`` filled in)."""

    track: str
    """``audio`` or ``video``."""
    field: str
    missing: str
    unreadable: str
    no_track: str
    status: int = 422
    """The HTTP status of an unreadable file or one without the track."""


def open_media(path: str | Path, kind: MediaKind):
    """The open container (close it, or use it in `with`).

    Raises `InputError` when the file is missing, unreadable, or lacks the track.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(kind.missing.format(path=path, name=path.name), field=kind.field)
    try:
        container = av.open(str(path))
    except UNREADABLE as exc:
        message = kind.unreadable.format(path=path, name=path.name, error=exc.__class__.__name__)
        raise InputError(message, field=kind.field, status=kind.status) from None
    if not getattr(container.streams, kind.track):
        container.close()
        raise InputError(kind.no_track.format(path=path, name=path.name), field=kind.field, status=kind.status)
    return container
