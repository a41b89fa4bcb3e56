"""The readers: each rewrites one kind of written thing into words (`spoken_forms` says how).

They run in the order of `read_words`, every one on the output of the last, so
each sees only what the earlier ones left (a URL is gone before the numbers are read).
"""

from __future__ import annotations

import re
import unicodedata

from .cleaning import clean, tidy_spoken
from .language import Language
from .numbers import in_words, integer_words, number
from .spoken_forms import (
    say_date,
    say_day_month,
    say_domain,
    say_email,
    say_fraction,
    say_money,
    say_month_day,
    say_numeric_date,
    say_phone,
    say_roman,
    say_time,
    say_unit,
    say_url,
    say_version,
)
from .tables import ABBREVIATIONS, DOTTED, DOTTED_LOWER, SYMBOLS, TITLES_BEFORE_NAME, UNITS

MAX_WORD_CHARS = 40  # longer "words" are cut in pieces the voice can say (no real word is longer)
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_NUM = r"\d+(?:[.,\u00a0\u202f']\d+)*"  # 3.14, 1,234,567, 12,50, 1 000 (narrow space)
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
# Bounded repeats: "1.1.1.1..." must not cost quadratic time.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,6}\b")
_DOMAIN = re.compile(
    r"\b(?:[a-z0-9-]{1,63}\.){1,6}"
    r"(?:com|org|net|io|dev|edu|gov|info|app|ai|co\.uk|uk|de|fr|eu|ca|au)\b",
    re.IGNORECASE,
)
_TIME = re.compile(
    r"(?<![\d:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])"
    r"(?:\s?([ap])\.?\s?m\b\.?)?",
    re.IGNORECASE,
)
_HOUR_AMPM = re.compile(r"(?<![\d:.])(1[0-2]|0?[1-9])\s?([ap])\.?\s?m\b\.?", re.IGNORECASE)
_ISO_DATE = re.compile(r"(?<![\d.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d-])")
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\d/-]|\.\d)")
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?!:)(?:,?\s+(\d{{4}})\b)?")
_DAY_MONTH = re.compile(
    rf"(?:\b([Tt]he)\s+)?\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\b\.?"
    r"(?:,?\s+(\d{4})\b)?"
)
_IP = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?!\d|\.\d)")
_PHONE = re.compile(r"(?<![\w.+-])(\+\d{1,3}[ .-]?)?(\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w-])")
_CURRENCY_BEFORE = re.compile(
    rf"(?<!\w)(US\$|[$€£¥₹₩₽]|(?:USD|EUR|GBP|JPY|INR|CHF)\s?)\s?(-?{_NUM})"
    r"(?:\s?(thousand|million|billion|trillion|mn|bn|tn|[kKmMbB])\b)?"
)
_CURRENCY_AFTER = re.compile(
    rf"(?<![\w.,])(-?{_NUM})\s?(?:(thousand|million|billion|trillion)\s)?"
    r"([€$£¥₹₩₽]|(?:USD|EUR|GBP|JPY|INR|CHF)\b)"
)
_PERCENT = re.compile(rf"(?<![\w.,])([-\u2212+]?{_NUM})\s?(%|‰|percent\b)")
_VERSION_NAMED = re.compile(
    r"\b(version|Python|Java|Node|Ruby|PHP|Perl|Go|Rust|Swift|Kotlin|Scala|Lua|Julia|"
    r"iOS|iPadOS|macOS|OS X|Android|Windows|Ubuntu|Debian|Fedora|Linux|Firefox|Chrome|"
    r"Safari|Excel|HTTP|TLS|SSL|Bluetooth|USB|IPv|Unicode|PostgreSQL|MySQL|Django|React)"
    r"\s?(\d+(?:\.\d+)+)\b"
)
_VERSION_V = re.compile(r"(?:\b([Vv]ersion)\s+)?(?<![\w.])[vV](\d+(?:\.\d+)+|\d+)\b")
_VERSION_DOTS = re.compile(r"(?<![\w.])(?!\d{1,3}(?:\.\d{3}){2,}(?!\d|\.\d))(\d+\.\d+\.\d+(?:\.\d+)*)(?!\w|\.\d)")
_UNIT = re.compile(
    rf"(?<![\w.,])([-\u2212]?{_NUM})\s?("
    + "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
    + r")(?![\w/])"
)
_ORDINAL = re.compile(r"(?<![\w.,])(\d+)(st|nd|rd|th)\b", re.IGNORECASE)
_RANGE = re.compile(rf"(?<![\w.,-])({_NUM})\s?[-–—]\s?(?=\d)")
_FRACTION = re.compile(r"(?<![\w/⁄.])(\d{1,3})\s?[/⁄]\s?(\d{1,3})(?![\w/⁄]|\.\d)")
_BY = re.compile(r"(?<=\d)x(?=\d)")  # 1920x1080; "2 × 3" is "two times three"
_MINUS = re.compile(r"(?:(?<=\s)|^)[-\u2212](?=\d)")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])-?(?=\d)|(?<=\d)(?=[^\W\d_])")  # MP3, COVID-19, 3D
_NUMBER = re.compile(rf"(?<![\w.,])([-\u2212]?{_NUM})(?![\w])")
_ANY_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(
    r"\b([A-Z][a-z]+)(\s+)(M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3}))\b"
    r"(?!['\u2019-]\w)"
)
_TITLE = re.compile(r"\b(Dr|St)\.(\s*)(?=([A-Z])?)")
_ABBREVIATION = re.compile(r"\b(" + "|".join(ABBREVIATIONS) + r")\.(?=\s|$|[,;:!?)])")
_DOTTED_RE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(d) for d in sorted(DOTTED, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE
)
_NUMBER_SIGN = re.compile(r"(?:\bNo\.?|#|№)\s?(?=\d)")
_HASHTAG = re.compile(r"#(?=[^\W\d_])")
_COMPARISON = re.compile(r"(?<=[\s\d])([<>])(?=[\s\d])")
_TILDE = re.compile(r"~\s?(?=\d)")
_DASH = re.compile(r"\s*[—–]\s*|\s+-\s+|--+")
_SLASH = re.compile(r"(?<=\w)/(?=\w)")
_UNSPOKEN = re.compile(r"[^\w\s.,!?;:'\"()\-\u2019]|_")
# Other voices read these symbols in their own language (espeak's rules); English ones are words by now.
_UNSPOKEN_OTHER = re.compile(r"[^\w\s.,!?;:'\"()\-\u2019%&+=@€$£¥°×]|_")
_LONG_WORD = re.compile(rf"[^\W\d_]{{{MAX_WORD_CHARS + 1},}}")


def read_words(text: str, language: Language | str | None = "en") -> str:
    """The reading of plain text (no markup) in words: what the voice should say."""
    lang = language if isinstance(language, Language) else Language.of(language)
    en = lang.english
    written = text = clean(text)
    # Compatibility forms as their plain letters and digits: full-width digits, "²" (m² is m2), "½", "ﬁ".
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = _URL.sub(lambda m: " {} {}".format(*say_url(m.group(0))), text)
    text = _EMAIL.sub(lambda m: f" {say_email(m.group(0))} ", text)
    if en:
        text = _DOMAIN.sub(lambda m: f" {say_domain(m.group(0))} ", text)
        text = _DOTTED_RE.sub(lambda m: f" {DOTTED_LOWER[m.group(1).lower()]} ", text)
    text = _TIME.sub(
        lambda m: (
            " "
            + say_time(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None, m.group(4), lang)
            + " "
        ),
        text,
    )
    if en:
        text = _HOUR_AMPM.sub(lambda m: f" {integer_words(m.group(1), lang)} {m.group(2).upper()} M ", text)
    text = _ISO_DATE.sub(
        lambda m: f" {say_date(m.group(1), int(m.group(2)), int(m.group(3)), lang) or m.group(0)} ", text
    )
    text = _NUMERIC_DATE.sub(lambda m: say_numeric_date(m, lang), text)
    if en:
        text = _MONTH_DAY.sub(lambda m: f" {say_month_day(m, lang)} ", text)
        text = _DAY_MONTH.sub(lambda m: f" {say_day_month(m, lang)} ", text)
    text = _IP.sub(lambda m: " " + " dot ".join(integer_words(p, lang) for p in m.group(0).split(".")) + " ", text)
    text = _PHONE.sub(lambda m: say_phone(m, lang), text)
    text = _CURRENCY_BEFORE.sub(lambda m: say_money(m.group(2), m.group(1), m.group(3), lang), text)
    text = _CURRENCY_AFTER.sub(lambda m: say_money(m.group(1), m.group(3), m.group(2), lang), text)
    if en:
        text = _VERSION_NAMED.sub(lambda m: f" {m.group(1)} {say_version(m.group(2), lang)} ", text)
        text = _VERSION_V.sub(lambda m: f" {m.group(1) or 'version'} {say_version(m.group(2), lang)} ", text)
    text = _VERSION_DOTS.sub(lambda m: f" {say_version(m.group(1), lang)} ", text)
    if en:
        text = _RANGE.sub(lambda m: f"{m.group(1)} to ", text)
        text = _TILDE.sub(" about ", text)
        text = _PERCENT.sub(
            lambda m: f" {number(m.group(1), lang, year=False)} {'per mille' if m.group(2) == '‰' else 'percent'} ",
            text,
        )
        text = _UNIT.sub(lambda m: say_unit(m, lang), text)
        text = _ORDINAL.sub(lambda m: f" {in_words(int(m.group(1)), lang, 'ordinal') or m.group(1)} ", text)
        text = _FRACTION.sub(say_fraction, text)
        text = _BY.sub(" by ", text)
        text = _NUMBER_SIGN.sub(" number ", text)
        text = _ROMAN.sub(say_roman, text)
        text = _TITLE.sub(lambda m: TITLES_BEFORE_NAME[m.group(1)][0 if m.group(3) else 1] + m.group(2), text)
        text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], text)
        text = _MINUS.sub("minus ", text)
    text = _LETTER_DIGIT.sub(" ", text)
    text = _NUMBER.sub(lambda m: f" {number(m.group(1), lang)} ", text)
    text = _ANY_DIGITS.sub(lambda m: f" {integer_words(m.group(0), lang)} ", text)  # digits left between symbols
    if en:
        text = _HASHTAG.sub(" hashtag ", text)
        text = _COMPARISON.sub(lambda m: " less than " if m.group(1) == "<" else " greater than ", text)
        for symbol, spoken in SYMBOLS.items():
            text = text.replace(symbol, spoken)
    text = _DASH.sub(", ", text)
    text = _SLASH.sub(" ", text)
    text = (_UNSPOKEN if en else _UNSPOKEN_OTHER).sub(" ", text)
    text = _LONG_WORD.sub(lambda m: " ".join(re.findall(rf".{{1,{MAX_WORD_CHARS}}}", m.group(0))), text)
    text = tidy_spoken(text)
    if written.rstrip().endswith(".") and text and text[-1] not in ".!?":
        text += "."  # "at 9 a.m." still ends a sentence: the voice's intonation falls
    return text
