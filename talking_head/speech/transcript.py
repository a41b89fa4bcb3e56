"""Turning written text into the words a pronouncing dictionary knows.

The aligner and the word-error measures must hear what the voice says: the
text front end's reading ("3.14" is "three point one four"), lower-cased and cut
into words. What the dictionary still does not know is left for the caller to drop.
"""

from __future__ import annotations

import re

from .text import spoken_text

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")


def spoken_words(text: str, language: str | None = "en") -> list[str]:
    """Lower-case words as they are spoken: numbers, money, dates, units and symbols in words."""
    return _WORD.findall(spoken_text(text, language).lower().replace("\u2019", "'"))
