"""How each kind of written thing is said: URLs, e-mail addresses, times, dates, money, phone
numbers, Roman numerals, fractions, versions and measures (the readers find them)."""

from __future__ import annotations

import re

from num2words import CONVERTER_CLASSES, num2words

from .language import Language
from .numbers import NUM2WORDS_ERRORS, decimal_value, digit_words, in_words, integer_words, number, split_number
from .tables import COUNTING_NOUNS, CURRENCIES, MONTH_NAMES, MONTHS, NOT_NAMES, SCALES, UNITS

MAX_ROMAN_REGNAL = 39  # "Louis XIV" is a king; "The CD" is not the four hundredth


def _roman_value(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(numeral):
        v = values[ch]
        total += -v if i + 1 < len(numeral) and values[numeral[i + 1]] > v else v
    return total


def say_url(url: str) -> tuple[str, str]:
    """(spoken, what followed it): ``https://example.com/docs.`` -> ``example dot com slash docs``."""
    trailing = ""
    while url and url[-1] in ".,;:!?)]}'\"":
        trailing = url[-1] + trailing
        url = url[:-1]
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    url = re.split(r"[?#]", url, maxsplit=1)[0]
    host, _, path = url.partition("/")
    spoken = say_domain(host)
    for segment in [s for s in path.split("/") if s][:6]:
        spoken += " slash " + " ".join(re.split(r"[-_.~+%=&]+", segment))
    return spoken, trailing


def say_domain(host: str) -> str:
    parts = host.lower().split(".")
    if parts and parts[0] == "www":
        parts[0] = "w w w"
    return " dot ".join(" ".join(re.split(r"[-_]+", p)) for p in parts if p)


def say_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return " dot ".join(" ".join(re.split(r"[-_+]+", p)) for p in local.split(".") if p) + " at " + say_domain(domain)


def say_time(hour: int, minute: int, second: int | None, ampm: str | None, language: Language) -> str:
    hours = integer_words(str(hour), language)
    if not language.english:
        spoken = hours + (" " + integer_words(str(minute), language) if minute else "")
        return spoken + (" " + integer_words(str(second), language) if second else "")
    if minute == 0:
        spoken = hours + ("" if ampm else " o'clock" if hour <= 12 else " hundred")
    elif minute < 10:
        spoken = f"{hours} oh {integer_words(str(minute), language)}"
    else:
        spoken = f"{hours} {integer_words(str(minute), language)}"
    if second:
        spoken += f" and {integer_words(str(second), language)} seconds"
    return spoken + (f" {ampm.upper()} M" if ampm else "")


def say_date(year: str | None, month: int, day: int | None, language: Language) -> str | None:
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    if not language.english:
        parts = [str(day)] if day else []
        return " ".join(integer_words(p, language) for p in parts + [str(month)] + ([year] if year else []))
    spoken = MONTHS[month - 1]
    if day:
        spoken += " " + (in_words(day, language, "ordinal") or str(day))
    if year:
        spoken += ", " + integer_words(year, language, year=True)
    return spoken


def _money_words(amount: str, code: str, scale: str | None, language: Language) -> str | None:
    iso, unit, cent = CURRENCIES[code.strip()]
    negative = amount[:1] in "-\u2212"
    amount = amount.lstrip("-\u2212")
    minus = "minus " if negative else ""
    if scale:
        return f"{minus}{number(amount, language, year=False)} {SCALES[scale]} {unit[1]}"
    whole, fraction = split_number(amount, language)
    if not language.english:
        forms = getattr(CONVERTER_CLASSES.get(language.numbers or ""), "CURRENCY_FORMS", {}).get(iso)
        if fraction is None and forms:
            count = int(whole or 0)
            try:
                name = CONVERTER_CLASSES[language.numbers].pluralize(count, forms[0])
            except NUM2WORDS_ERRORS:
                name = forms[0][-1]
            return f"{minus}{integer_words(whole, language)} {name}"
        spoken = in_words(decimal_value(amount, language), language, "currency") if forms else None
        return (minus + spoken) if spoken else None
    if fraction is not None and (len(fraction) > 2 or cent is None):
        return f"{minus}{number(amount, language, year=False)} {unit[1]}"
    units = int(whole or 0)
    cents = int((fraction or "0").ljust(2, "0")) if fraction else 0
    pieces = []
    if units or not cents:
        pieces.append(f"{integer_words(whole or '0', language)} {unit[0] if units == 1 else unit[1]}")
    if cents and cent is not None:  # cents come with a fraction, and a fraction without a cent returned above
        pieces.append(f"{integer_words(str(cents), language)} {cent[0] if cents == 1 else cent[1]}")
    return minus + " and ".join(pieces)


def say_phone(match: re.Match, language: Language) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    groups = re.findall(r"\d+", text)
    separators = set(re.findall(r"[ .-]", re.sub(r"^\+\d{1,3}|\(\d+\)", "", text)))
    marked = text.startswith("+") or "(" in text
    if not 7 <= len(digits) <= 15:
        return text
    if not marked:  # without "+" or "(", only 555-123-4567, 555.123.4567 and 555-1234 are phone numbers
        if separators - {"-", "."} or len(separators) != 1:
            return text
        if "." in separators and all(len(g) == 3 for g in groups[1:]):
            return text  # 1.234.567 is a number
        if len(groups) == 2 and not (len(groups[0]) == 3 and len(groups[1]) == 4):
            return text
    spoken = ", ".join(digit_words(g, language) for g in groups)
    return (" plus " if text.startswith("+") and language.english else " ") + spoken + " "


def say_roman(match: re.Match) -> str:
    before, space, numeral = match.groups()
    if not numeral or (len(numeral) == 1 and numeral not in "IVX"):
        return match.group(0)
    value = _roman_value(numeral)
    if before.lower() in COUNTING_NOUNS:
        return f"{before}{space}{num2words(value)}"
    if before.lower() in NOT_NAMES or value > MAX_ROMAN_REGNAL or numeral in ("X", "I"):
        # "I" alone is the pronoun; "X" alone is too often a letter ("Malcolm X", "Generation X")
        return match.group(0)
    return f"{before}{space}the {num2words(value, to='ordinal')}"


def say_fraction(match: re.Match) -> str:
    top, bottom = int(match.group(1)), int(match.group(2))
    if 0 < top < bottom <= 10:
        if bottom == 2:
            name = "half" if top == 1 else "halves"
        elif bottom == 4:
            name = "quarter" if top == 1 else "quarters"
        else:
            name = num2words(bottom, to="ordinal") + ("" if top == 1 else "s")
        return f" {num2words(top)} {name} "
    return f" {match.group(1)} {match.group(2)} "  # 24/7, 50/50


def say_numeric_date(match: re.Match, language: Language) -> str:
    first, _, second, year = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    if len(year) == 2:
        if match.group(2) != "/":
            return match.group(0)
        year = ("20" if int(year) < 50 else "19") + year
    day_first = language.day_first if first <= 12 and second <= 12 else first > 12
    day, month = (first, second) if day_first else (second, first)
    spoken = say_date(year, month, day, language)
    return f" {spoken} " if spoken else match.group(0)


def say_month_day(match: re.Match, language: Language) -> str:
    month, day, year = MONTH_NAMES[match.group(1).lower()], int(match.group(2)), match.group(3)
    return say_date(year, month, day, language) or match.group(0)


def say_day_month(match: re.Match, language: Language) -> str:
    the, day, month, year = match.group(1) or "the", int(match.group(2)), match.group(3), match.group(4)
    if not 1 <= day <= 31:
        return match.group(0)
    spoken = f"{the} {num2words(day, to='ordinal')} of {MONTHS[MONTH_NAMES[month.lower()] - 1]}"
    return spoken + (f", {integer_words(year, language, year=True)}" if year else "")


def say_money(amount: str, code: str, scale: str | None, language: Language) -> str:
    spoken = _money_words(amount, code, scale, language)
    return f" {spoken} " if spoken else f" {number(amount, language, year=False)} {code} "


def say_version(text: str, language: Language) -> str:
    return " point ".join(integer_words(part, language) for part in text.split("."))


def say_unit(match: re.Match, language: Language) -> str:
    amount, unit = match.group(1), match.group(2)
    singular, plural = UNITS[unit]
    one = decimal_value(amount.lstrip("-\u2212"), language) == 1 and not re.search(r"[.,]\d", amount)
    return f" {number(amount, language, year=False)} {singular if one else plural} "
