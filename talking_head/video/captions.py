"""WebVTT and SRT captions from the word timeline."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import OutputError
from ..speech.timeline import Word

MAX_CUE_CHARS = 42  # characters per caption line, the usual broadcast limit
MAX_CUE_S = 4.0
PAUSE_BREAK_S = 0.6  # a pause this long starts a new cue


def _cues(words: list[Word]) -> list[tuple[float, float, str]]:
    cues: list[tuple[float, float, str]] = []
    current: list[Word] = []
    for word in words:
        if current:
            text = " ".join(w.text for w in current + [word])
            if (
                len(text) > MAX_CUE_CHARS
                or word.end - current[0].start > MAX_CUE_S
                or word.start - current[-1].end > PAUSE_BREAK_S
            ):
                cues.append((current[0].start, current[-1].end, " ".join(w.text for w in current)))
                current = []
        current.append(word)
    if current:
        cues.append((current[0].start, current[-1].end, " ".join(w.text for w in current)))
    return cues


def _timestamp(seconds: float, decimal: str) -> str:
    ms = int(round(max(seconds, 0.0) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{decimal}{ms:03d}"


def format_captions(words: list[Word], kind: str) -> str:
    """The caption file's text; `kind` is ``vtt`` or ``srt``."""
    lines = ["WEBVTT", ""] if kind == "vtt" else []
    decimal = "." if kind == "vtt" else ","
    for number, (start, end, text) in enumerate(_cues(words), 1):
        if kind == "srt":
            lines.append(str(number))
        lines.append(f"{_timestamp(start, decimal)} --> {_timestamp(end, decimal)}")
        lines.append(text)
        lines.append("")
    return "\n".join(lines)


def write_captions(words: list[Word], video_path: Path, kind: str) -> Path | None:
    """Write captions beside the video (same name, `.vtt` or `.srt`); None when there are no words."""
    if kind == "none" or not words:
        return None
    path = video_path.with_suffix("." + kind)
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(format_captions(words, kind), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise OutputError.writing(partial, exc) from exc
    return path
