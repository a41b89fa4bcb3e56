"""The English word tables of the readers, loaded once from `words_en.json` (shipped with the package).

`CURRENCIES`: symbol or code -> ISO code, (unit, units), (cent, cents) or None.
`SCALES`: written scale -> its word. `UNITS`: written unit -> (singular, plural).
`TITLES_BEFORE_NAME`: titles read one way before a name and another after a
street name ("Dr. Who", "Elm Dr."). `ABBREVIATIONS` and `DOTTED` (``e.g.``):
written -> spoken. `NO_SENTENCE_END`: words never ending a sentence although a
period follows them. `COUNTING_NOUNS` ("Chapter IV" is chapter four) and
`NOT_NAMES` ("The CD" is no king): around Roman numerals. `SYMBOLS`: read in
English, in this order.
"""

from __future__ import annotations

import json
from pathlib import Path

_TABLES = json.loads(Path(__file__).with_name("words_en.json").read_text(encoding="utf-8"))

CURRENCIES: dict[str, tuple[str, tuple[str, str], tuple[str, str] | None]] = {
    written: (iso, (unit[0], unit[1]), (cent[0], cent[1]) if cent else None)
    for written, (iso, unit, cent) in _TABLES["currencies"].items()
}
SCALES: dict[str, str] = _TABLES["scales"]
UNITS: dict[str, tuple[str, str]] = {written: (one, many) for written, (one, many) in _TABLES["units"].items()}
MONTHS: list[str] = _TABLES["months"]
MONTH_NAMES = {m.lower(): i + 1 for i, m in enumerate(MONTHS)}
MONTH_NAMES.update({m[:3].lower(): i + 1 for i, m in enumerate(MONTHS)})
MONTH_NAMES["sept"] = 9
TITLES_BEFORE_NAME: dict[str, tuple[str, str]] = {
    title: (before, after) for title, (before, after) in _TABLES["titles_before_name"].items()
}
ABBREVIATIONS: dict[str, str] = _TABLES["abbreviations"]
DOTTED: dict[str, str] = _TABLES["dotted"]
DOTTED_LOWER = {written.lower(): spoken for written, spoken in DOTTED.items()}
NO_SENTENCE_END: set[str] = set(_TABLES["no_sentence_end"])
COUNTING_NOUNS: set[str] = set(_TABLES["counting_nouns"])
NOT_NAMES: set[str] = set(_TABLES["not_names"])
SYMBOLS: dict[str, str] = _TABLES["symbols"]
