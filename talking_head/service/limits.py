"""Checks on a request before it becomes a job: sizes, types, lengths, options.

Everything here raises `InputError` naming the field and the fix, so the
caller learns of a mistake at once (4xx) instead of from a failed job later.
The body itself is checked as it streams in, before this (`bodies`).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError
from ..face.image import load_image
from ..jobs.webhooks import CALLBACK_URL_PATTERN, MAX_CALLBACK_URL
from ..media import MediaKind, open_media
from ..pipeline import TalkOptions
from ..speech import check_text
from ..speech.audio import FORMATS, read_audio
from ..speech.voices import installed_voices
from .bodies import FORM_OVERHEAD_BYTES

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
    if text is not None and len(text) > settings.max_text_chars:  # as sent, as the schema's maxLength counts
        raise InputError(
            f"the text has {len(text)} characters, over the limit of {settings.max_text_chars}. "
            "Shorten it or split it into several videos.",
            field="text",
        )
    if not has_audio:
        if text is None or not text.strip():
            raise InputError("give the words to speak in `text`, or upload a recording as `audio`.", field="text")
    if text is not None and text.strip():
        return check_text(text, settings.max_text_chars, to_speak=not has_audio)
    return None


def check_callback_url(url: str | None) -> str | None:
    """The callback URL, or None for none (an empty field); the form's schema states the same pattern."""
    if url is not None and (len(url) > MAX_CALLBACK_URL or not re.fullmatch(CALLBACK_URL_PATTERN, url)):
        raise InputError("callback_url must be an absolute http:// or https:// URL.", field="callback_url")
    return url or None


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
