"""The text as a user means it, and the spacing of what the voice reads."""

from __future__ import annotations

import re
import unicodedata

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Terminal control sequences (colours, cursor moves, titles): gone whole, not left as "[31m".
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: ESC [ 31 m
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,256}(?:\x07|\x1b\\|\x9c)"  # OSC: ESC ] 0 ; title BEL
    r"|\x1b[ -/]*[0-~]"  # other ESC sequences: ESC ( B, ESC c
)
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[.,!?;:])")


def clean(text: str) -> str:
    """The text as a user means it: NFC, lone surrogates and control characters gone.

    Terminal escape sequences are removed; other control characters (NUL
    included) become spaces; tabs and newlines stay (a blank line ends a
    paragraph). Nothing a user can see is changed.
    """
    text = _ESCAPE_SEQUENCE.sub("", _SURROGATE.sub("\ufffd", text))
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text).replace("\ufffd", " ")


def one_space(text: str) -> str:
    """Every run of white space as one space; none at the ends."""
    return _SPACES.sub(" ", text).strip()


def tidy_spoken(text: str) -> str:
    """`one_space`, and no space before punctuation: a reading as the voice gets it."""
    return _SPACE_BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", text)).strip()
