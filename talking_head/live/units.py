"""Cutting text that arrives in pieces into speakable units.

A unit is what is synthesised in one go: a sentence, or a clause when the
speaker should start sooner (the first unit of a stream) or when a sentence
runs long. Text from a language model arrives a token at a time; a unit is
cut as soon as its end is seen, and a piece left hanging without an end is
spoken anyway after a short wait (`UnitCutter.due`).
"""

from __future__ import annotations

import re
import time

SENTENCE_END = re.compile(r"[.!?;][\"')\]]*(?=\s|$)|\n\s*\n")
CLAUSE_END = re.compile(r"[,:\u2014\u2013](?=\s|$)|\s[-\u2014\u2013](?=\s)")
# A full stop after these is not a sentence end ("Dr. Smith", "3.5" a token later).
ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "vs", "etc", "e.g", "i.e", "no", "fig", "approx"]
)
FIRST_UNIT_MIN_WORDS = 2  # "Well, ..." is not worth a unit of its own
LONG_UNIT_WORDS = 24  # past this a sentence is cut at a clause end too
WAIT_S = 0.6  # a piece with no end in sight is spoken after this long without new text
# A unit is cut here even without an end (a transcript, a flood of tokens, one endless "word"):
# a unit is one synthesis and one piece of the stream, so it must stay a few seconds long.
MAX_UNIT_WORDS = 40
MAX_UNIT_CHARS = 300
_WORD = re.compile(r"\S+")


def _words(text: str) -> int:
    return len(text.split())


def _is_end(text: str, match: re.Match) -> bool:
    """Not an end: a full stop after an abbreviation or a single letter, or a mark right after a digit."""
    mark = text[match.start()]
    before = text[: match.start()].split()
    last = before[-1].lower() if before and not text[match.start() - 1].isspace() else ""
    if mark in ".,:" and last[-1:].isdigit():
        return False  # "3." may become "3.5", "1," may become "1,000"
    return not (mark == "." and (last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())))


class UnitCutter:
    """Collect text pieces; hand out units as their ends appear.

    `add(piece)` returns the units the piece completed; `flush()` returns
    whatever is left (at the end of the text, or when `due()` says the text
    has stalled).
    """

    def __init__(self, clock=time.monotonic):
        self._buffer = ""
        self._clock = clock
        self._last_piece = clock()
        self.units_out = 0

    @property
    def pending(self) -> str:
        return self._buffer.strip()

    def add(self, piece: str) -> list[str]:
        self._buffer += piece
        self._last_piece = self._clock()
        units = []
        while (cut := self._next_cut()) is not None:
            unit, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:]
            if unit:
                units.append(unit)
                self.units_out += 1
        return units

    def _next_cut(self) -> int | None:
        cut, limit = self._end_cut(), self._longest()
        return limit if limit is not None and (cut is None or cut > limit) else cut

    def _longest(self) -> int | None:
        """Where the buffer must be cut to keep a unit within MAX_UNIT_WORDS and MAX_UNIT_CHARS
        (after a word that has another after it, so a word still arriving is not cut), if it must."""
        words = _WORD.finditer(self._buffer)
        ends = [m.end() for _, m in zip(range(MAX_UNIT_WORDS + 1), words)]
        ends = [end for end in ends[:-1] if end <= MAX_UNIT_CHARS + self._lead()]  # each followed by a word
        if len(ends) == MAX_UNIT_WORDS:
            return ends[-1]
        if len(self._buffer) - self._lead() <= MAX_UNIT_CHARS:
            return None
        return ends[-1] if ends else self._lead() + MAX_UNIT_CHARS  # one endless "word": cut anywhere

    def _lead(self) -> int:
        return len(self._buffer) - len(self._buffer.lstrip())

    def _end_cut(self) -> int | None:
        sentence = next((m for m in SENTENCE_END.finditer(self._buffer) if _is_end(self._buffer, m)), None)
        early = (
            self.units_out == 0
            or (sentence is None and _words(self._buffer) > LONG_UNIT_WORDS)
            or (sentence is not None and _words(self._buffer[: sentence.end()]) > LONG_UNIT_WORDS)
        )
        if early:
            for clause in CLAUSE_END.finditer(self._buffer):
                if not _is_end(self._buffer, clause):
                    continue
                if sentence is not None and clause.start() > sentence.start():
                    break
                if _words(self._buffer[: clause.end()]) >= FIRST_UNIT_MIN_WORDS:
                    return clause.end()
        return sentence.end() if sentence else None

    def due(self) -> bool:
        """A piece waits with no end, and no text came for `WAIT_S`."""
        return bool(self.pending) and self._clock() - self._last_piece >= WAIT_S

    def flush(self) -> list[str]:
        unit, self._buffer = self.pending, ""
        if unit:
            self.units_out += 1
            return [unit]
        return []
