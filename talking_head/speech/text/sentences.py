"""Plain text cut into sentences and clauses."""

from __future__ import annotations

import re

from .tables import NO_SENTENCE_END

_SENTENCE_END = re.compile(r"([.!?…]+|[;:])([\"')\]]*)(\s+)|([。！？])|\n[ \t]*\n\s*")


def split_sentences(text: str) -> list[tuple[str, str]]:
    """Cut plain text into sentences and clauses, each with what ends it.

    The boundary is ``"s"`` after a sentence or clause, ``"p"`` after a
    paragraph (a blank line) and ``""`` for a last piece that nothing ends.
    A period after a title or an abbreviation (``Dr.``, ``e.g.``), after an
    initial (``J. R. R.``) or before a lower-case word ends nothing.
    """
    pieces: list[tuple[str, str]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(1) == ".":
            word = re.search(r"(\S+)$", text[start : match.start()])
            token = word.group(1).lower().rstrip(".") if word else ""
            following = text[match.end() : match.end() + 1]
            if token in NO_SENTENCE_END or re.fullmatch(r"[^\W\d_]", token) or following.islower():
                continue
        paragraph = match.group(0).count("\n") >= 2 and match.group(4) is None
        piece = text[start : match.end(2) if match.group(1) else match.end()].strip()
        if piece:
            pieces.append((piece, "p" if paragraph else "s"))
        elif paragraph and pieces:
            pieces[-1] = (pieces[-1][0], "p")
        start = match.end()
    rest = text[start:].strip()
    if rest:
        pieces.append((rest, ""))
    return pieces
