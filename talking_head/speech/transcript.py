"""Turning written text into the words a pronouncing dictionary knows.

Piper reads "42" as "forty-two" and "&" as "and"; the aligner must see the same
words, so digits and common symbols are spelled out here. What the dictionary
still does not know is left for the caller to drop.
"""

from __future__ import annotations

import re

from num2words import num2words

_SYMBOLS = {"&": " and ", "%": " percent ", "+": " plus ", "=": " equals ", "@": " at "}
_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?!\w)")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"\$(\d+(?:\.\d+)?)")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def _spell(number: str, to: str = "cardinal") -> str:
    if to == "cardinal" and len(number) == 4 and 1100 <= int(number) < 2100 and number[2:] != "00":
        to = "year"  # "2024" is read "twenty twenty-four", as the voice says it
    try:
        return " " + num2words(float(number) if "." in number else int(number), to=to) + " "
    except (ValueError, OverflowError, NotImplementedError):
        return " "


def spoken_words(text: str) -> list[str]:
    """Lower-case words as they are spoken: digits, ordinals, money and symbols spelled out."""
    text = text.replace(",", "") if re.search(r"\d,\d", text) else text
    # espeak, inside Piper, reads "$42" as "dollar forty-two".
    text = _CURRENCY.sub(lambda m: " dollar " + _spell(m.group(1)), text)
    text = _ORDINAL.sub(lambda m: _spell(m.group(1), "ordinal"), text)
    text = _NUMBER.sub(lambda m: _spell(m.group(1)), text)
    for symbol, spoken in _SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    return _WORD.findall(text)
