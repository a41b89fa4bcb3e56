"""WebVTT and SRT captions from the word timeline, in the words as written.

Words keep their own case, punctuation, accents and script. A cue ends at
the end of a sentence, and prefers a clause end (comma, semicolon, dash) when
it must end anyway; it holds at most two lines of about `LINE_CHARS`, broken
where the reading breaks. Each cue is shown from its first word to its last
(at least `MIN_CUE_S` when the next cue leaves room). Text without spaces
(Chinese, Japanese) is cut between characters where it must be.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from ..errors import OutputError
from ..speech.timeline import Word

LINE_CHARS = 42  # characters per caption line, the usual broadcast limit
MAX_LINES = 2
MAX_CUE_S = 7.0
MIN_CUE_S = 0.8  # shorter cues flash by unread
PAUSE_BREAK_S = 0.6  # a pause this long starts a new cue
SENTENCE_ENDS = tuple(".!?…。！？‼⁇؟")
CLAUSE_ENDS = tuple(",;:—–、，；：،")
_CLOSERS = "\"'”’»)]}」』）"


def _core(text: str) -> str:
    return text.rstrip(_CLOSERS)


def _ends_sentence(text: str) -> bool:
    return _core(text).endswith(SENTENCE_ENDS)


def _ends_clause(text: str) -> bool:
    return _core(text).endswith(CLAUSE_ENDS)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _join(words: list[str]) -> str:
    """Words joined by spaces, except between two characters of a script written without them."""
    out = ""
    for word in words:
        if out and not (_wide(out[-1]) and _wide(word[0])):
            out += " "
        out += word
    return out


def _split_long(word: Word) -> list[Word]:
    """A word longer than a line (unspaced Chinese or Japanese text) cut into line-sized pieces,
    at its own punctuation where it has some, timed by their share of its characters."""
    text = word.text
    if len(text) <= LINE_CHARS:
        return [word]
    pieces, current = [], ""
    for ch in text:
        current += ch
        if ch in SENTENCE_ENDS + CLAUSE_ENDS or len(current) >= LINE_CHARS:
            pieces.append(current)
            current = ""
    if current:
        pieces.append(current)
    out, done = [], 0
    span = word.end - word.start
    for piece in pieces:
        start = word.start + span * done / len(text)
        done += len(piece)
        out.append(Word(piece, start, word.start + span * done / len(text)))
    return out


def _lines(words: list[str]) -> list[str]:
    """One line, or two broken at the clause end (else the space) nearest the middle."""
    text = _join(words)
    if len(text) <= LINE_CHARS or len(words) < 2:
        return [text]
    best, best_cost = 1, float("inf")
    for k in range(1, len(words)):
        first, second = _join(words[:k]), _join(words[k:])
        cost = max(len(first), len(second)) - (6 if _ends_clause(words[k - 1]) else 0)
        if cost < best_cost:
            best, best_cost = k, cost
    return [_join(words[:best]), _join(words[best:])]


def _fits(words: list[str]) -> bool:
    return all(len(line) <= LINE_CHARS + 2 for line in _lines(words)) and len(_lines(words)) <= MAX_LINES


def cues(words: list[Word]) -> list[tuple[float, float, list[str]]]:
    """(start, end, lines) of each caption cue."""
    pieces = [piece for word in words if word.text.strip() for piece in _split_long(word)]
    groups: list[list[Word]] = []
    current: list[Word] = []
    for word in pieces:
        if current:
            texts = [w.text for w in current + [word]]
            if (
                not _fits(texts)
                or word.end - current[0].start > MAX_CUE_S
                or word.start - current[-1].end > PAUSE_BREAK_S
            ):
                # Step back to the last clause end in this cue when it leaves a fair share behind.
                cut = next((k for k in range(len(current) - 1, 0, -1) if _ends_clause(current[k - 1].text)), 0)
                if cut and cut >= len(current) // 2:
                    groups.append(current[:cut])
                    current = current[cut:]
                else:
                    groups.append(current)
                    current = []
        current.append(word)
        if _ends_sentence(word.text):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    out = []
    for k, group in enumerate(groups):
        start, end = group[0].start, group[-1].end
        following = groups[k + 1][0].start if k + 1 < len(groups) else None
        if following is not None:  # the last cue ends with the speech: the video may end there
            end = min(max(end, start + MIN_CUE_S), max(following, end))
        out.append((start, end, _lines([w.text for w in group])))
    return out


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
    for number, (start, end, text_lines) in enumerate(cues(words), 1):
        if kind == "srt":
            lines.append(str(number))
        lines.append(f"{_timestamp(start, decimal)} --> {_timestamp(end, decimal)}")
        lines.extend(text_lines)
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
