"""The text front end: written text in, what the voice reads out, unit by unit.

Each `TextUnit` carries the words as the user wrote them (for captions), the
reading the voice speaks (numbers, money, dates, times, units, abbreviations,
URLs and symbols spelled out in words), the silence before it and its speaking
rate. A small SSML subset is understood (docs/text.md); any other markup is
dropped, never spoken. Numbers are read in the voice's language wherever
num2words knows it; the other readings (units, symbols, abbreviations, Roman
numerals, dates by name) are English and apply to English voices only, while
other voices get the digits' words and leave the rest to their own espeak rules.

Nothing here raises: any string gives a (possibly empty) list of units.

The modules, in the order text goes through them: `cleaning` (the text as the
user means it), `ssml` (markup as events), `sentences` (plain text cut into
sentences and clauses), `readers` (each kind of written thing found and
rewritten in words, as `spoken_forms` says it, with `numbers` and the English
word `tables`), `units` (the units the voice speaks).
"""

from .cleaning import clean
from .language import Language
from .numbers import number
from .readers import read_words
from .sentences import split_sentences
from .ssml import MAX_BREAK_S
from .units import MAX_TOTAL_BREAK_S, PARAGRAPH_PAUSE_S, SENTENCE_PAUSE_S, TextUnit, read_text, spoken_text

__all__ = [
    "MAX_BREAK_S",
    "MAX_TOTAL_BREAK_S",
    "PARAGRAPH_PAUSE_S",
    "SENTENCE_PAUSE_S",
    "Language",
    "TextUnit",
    "clean",
    "number",
    "read_text",
    "read_words",
    "spoken_text",
    "split_sentences",
]
