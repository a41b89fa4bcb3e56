"""Numbers in words, in the voice's language wherever num2words knows it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from num2words import CONVERTER_CLASSES, num2words

from .language import Language

MAX_SPELLED_DIGITS = 15  # longer numbers are read digit by digit

# What num2words raises for a value or a form a language cannot say.
NUM2WORDS_ERRORS = (ArithmeticError, ValueError, TypeError, NotImplementedError, KeyError, IndexError, AttributeError)


def in_words(value, language: Language, to: str = "cardinal") -> str | None:
    if language.numbers is None:
        return None
    try:
        return num2words(value, lang=language.numbers, to=to)
    except NUM2WORDS_ERRORS:
        return None


def digit_words(digits: str, language: Language) -> str:
    """Digit by digit: ``"0042"`` -> ``"zero zero four two"``."""
    return " ".join(in_words(int(d), language) or d for d in digits if d.isdecimal())


def integer_words(digits: str, language: Language, year: bool = False) -> str:
    """An integer written in digits only; with `year`, 1100-2099 are read as years."""
    if not digits:
        return ""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > MAX_SPELLED_DIGITS:
        return digit_words(digits, language)
    value = int(digits)
    if year and language.english and len(digits) == 4 and 1100 <= value < 2100 and digits[2:] != "00":
        return in_words(value, language, "year") or digits  # "2024": "twenty twenty-four", as people say it
    return in_words(value, language) or digits


def _point_word(language: Language) -> str:
    word = getattr(CONVERTER_CLASSES.get(language.numbers or ""), "pointword", None)
    return word if isinstance(word, str) and word.isalpha() else ""


def split_number(text: str, language: Language) -> tuple[str, str | None]:
    """(integer digits, fraction digits or None) of a number with separators, in `language`'s convention."""
    text = text.replace("\u00a0", "").replace("\u202f", "").replace("'", "").replace(" ", "")
    decimal: str | None
    if "," in text and "." in text:
        decimal = "," if text.rfind(",") > text.rfind(".") else "."
    elif "," in text:
        thousands = re.fullmatch(r"\d{1,3}(,\d{3})+", text)
        decimal = None if thousands and (language.english or text.count(",") > 1) else ","
    elif "." in text:
        thousands = re.fullmatch(r"\d{1,3}(\.\d{3})+", text)
        decimal = None if thousands and (not language.english or text.count(".") > 1) else "."
    else:
        decimal = None
    if decimal is None:
        return re.sub(r"\D", "", text), None
    whole, _, fraction = text.rpartition(decimal)
    return re.sub(r"\D", "", whole), re.sub(r"\D", "", fraction)


def number(text: str, language: Language, year: bool = True) -> str:
    """A written number (``3.14``, ``1,234``, ``-5``, ``12,50``) in words; the digits where num2words cannot."""
    sign = ""
    if text[:1] in "-\u2212+":
        sign = ("plus " if text[0] == "+" else "minus ") if language.english else ""
        text = text[1:]
    whole, fraction = split_number(text, language)
    if fraction is None:
        return sign + integer_words(whole, language, year=year and text.isdigit())
    point = _point_word(language)
    if point:
        # Digit by digit after the point, trailing zeros kept: "5.50" is "five point five zero".
        return f"{sign}{integer_words(whole or '0', language)} {point} {digit_words(fraction, language)}"
    try:
        spoken = in_words(Decimal(f"{whole or '0'}.{fraction or '0'}"), language)
    except InvalidOperation:
        spoken = None
    return sign + (spoken or text)


def decimal_value(text: str, language: Language) -> Decimal:
    whole, fraction = split_number(text, language)
    try:
        return Decimal(f"{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return Decimal(0)
