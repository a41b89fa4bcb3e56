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
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from xml.parsers import expat

from num2words import CONVERTER_CLASSES, num2words

SENTENCE_PAUSE_S = 0.25  # silence between sentences, where the mouth rests
PARAGRAPH_PAUSE_S = 0.6  # a blank line or an SSML <p>
MAX_BREAK_S = 10.0  # one <break> at most (as the big cloud voices cap it)
MAX_TOTAL_BREAK_S = 120.0  # all breaks of one text together: markup must not make an hour of silence
BREAK_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7, "x-strong": 1.2}
RATE_WORDS = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}
MIN_RATE, MAX_RATE = 0.5, 2.0
MAX_WORD_CHARS = 40  # longer "words" are cut in pieces the voice can say (no real word is longer)
MAX_SPELLED_DIGITS = 15  # longer numbers are read digit by digit
MAX_ROMAN_REGNAL = 39  # "Louis XIV" is a king; "The CD" is not the four hundredth


@dataclass(frozen=True)
class TextUnit:
    """One unit of speech: a sentence or clause, or the stretch between two SSML breaks.

    `written` is the text as the user wrote it (markup removed); `spoken` is
    what the voice reads; `pause_before_s` is the silence before it; `rate`
    is the speaking rate (1 normal, 2 twice as fast), Piper's 1 / length_scale.
    """

    written: str
    spoken: str
    pause_before_s: float = 0.0
    rate: float = 1.0


# ---------------------------------------------------------------- the language


@dataclass(frozen=True)
class Language:
    """A voice's language as the readers need it: num2words' code, and whether English rules apply."""

    numbers: str | None  # num2words' language, or None where it has none
    english: bool
    day_first: bool  # 03/04/2024 is the 3rd of April (everywhere but the US)

    @classmethod
    def of(cls, code: str | None) -> Language:
        """`code` as a voice config gives it: ``en-us`` (espeak), ``en_US`` (Piper) or ``en``."""
        code = (code or "en").strip().replace("-", "_") or "en"
        base, _, region = code.partition("_")
        base, region = base.lower(), region.upper()
        numbers = next((c for c in (f"{base}_{region}", base) if c in CONVERTER_CLASSES), None)
        english = base == "en"
        return cls(numbers, english, day_first=not (english and region in ("US", "")))


# ------------------------------------------------------------ cleaning the text

_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Terminal control sequences (colours, cursor moves, titles): gone whole, not left as "[31m".
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"  # CSI: ESC [ 31 m
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]{0,256}(?:\x07|\x1b\\|\x9c)"  # OSC: ESC ] 0 ; title BEL
    r"|\x1b[ -/]*[0-~]"  # other ESC sequences: ESC ( B, ESC c
)


def clean(text: str) -> str:
    """The text as a user means it: NFC, lone surrogates and control characters gone.

    Terminal escape sequences are removed; other control characters (NUL
    included) become spaces; tabs and newlines stay (a blank line ends a
    paragraph). Nothing a user can see is changed.
    """
    text = _ESCAPE_SEQUENCE.sub("", _SURROGATE.sub("\ufffd", text))
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text).replace("\ufffd", " ")


# ------------------------------------------------------------------- numbers

# What num2words raises for a value or a form a language cannot say.
_NUM2WORDS_ERRORS = (ArithmeticError, ValueError, TypeError, NotImplementedError, KeyError, IndexError, AttributeError)


def _words(value, language: Language, to: str = "cardinal") -> str | None:
    if language.numbers is None:
        return None
    try:
        return num2words(value, lang=language.numbers, to=to)
    except _NUM2WORDS_ERRORS:
        return None


def _digits(digits: str, language: Language) -> str:
    """Digit by digit: ``"0042"`` -> ``"zero zero four two"``."""
    return " ".join(_words(int(d), language) or d for d in digits if d.isdecimal())


def _integer(digits: str, language: Language, year: bool = False) -> str:
    """An integer written in digits only; with `year`, 1100-2099 are read as years."""
    if not digits:
        return ""
    if (len(digits) > 1 and digits[0] == "0") or len(digits) > MAX_SPELLED_DIGITS:
        return _digits(digits, language)
    value = int(digits)
    if year and language.english and len(digits) == 4 and 1100 <= value < 2100 and digits[2:] != "00":
        return _words(value, language, "year") or digits  # "2024": "twenty twenty-four", as people say it
    return _words(value, language) or digits


def _point_word(language: Language) -> str:
    word = getattr(CONVERTER_CLASSES.get(language.numbers or ""), "pointword", None)
    return word if isinstance(word, str) and word.isalpha() else ""


def _split_number(text: str, language: Language) -> tuple[str, str | None]:
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
    whole, fraction = _split_number(text, language)
    if fraction is None:
        return sign + _integer(whole, language, year=year and text.isdigit())
    point = _point_word(language)
    if point:
        # Digit by digit after the point, trailing zeros kept: "5.50" is "five point five zero".
        return f"{sign}{_integer(whole or '0', language)} {point} {_digits(fraction, language)}"
    try:
        spoken = _words(Decimal(f"{whole or '0'}.{fraction or '0'}"), language)
    except InvalidOperation:
        spoken = None
    return sign + (spoken or text)


def _value(text: str, language: Language) -> Decimal:
    whole, fraction = _split_number(text, language)
    try:
        return Decimal(f"{whole or '0'}.{fraction or '0'}")
    except InvalidOperation:
        return Decimal(0)


# -------------------------------------------------------- English word tables

_CURRENCIES = {  # symbol or code: ISO code, (unit, units), (cent, cents) or None
    "$": ("USD", ("dollar", "dollars"), ("cent", "cents")),
    "US$": ("USD", ("dollar", "dollars"), ("cent", "cents")),
    "USD": ("USD", ("dollar", "dollars"), ("cent", "cents")),
    "€": ("EUR", ("euro", "euros"), ("cent", "cents")),
    "EUR": ("EUR", ("euro", "euros"), ("cent", "cents")),
    "£": ("GBP", ("pound", "pounds"), ("penny", "pence")),
    "GBP": ("GBP", ("pound", "pounds"), ("penny", "pence")),
    "¥": ("JPY", ("yen", "yen"), None),
    "JPY": ("JPY", ("yen", "yen"), None),
    "₹": ("INR", ("rupee", "rupees"), ("paisa", "paise")),
    "INR": ("INR", ("rupee", "rupees"), ("paisa", "paise")),
    "₩": ("KRW", ("won", "won"), None),
    "₽": ("RUB", ("ruble", "rubles"), ("kopek", "kopeks")),
    "CHF": ("CHF", ("franc", "francs"), ("centime", "centimes")),
}
_SCALES = {
    "k": "thousand",
    "K": "thousand",
    "thousand": "thousand",
    "m": "million",
    "M": "million",
    "mn": "million",
    "million": "million",
    "bn": "billion",
    "b": "billion",
    "B": "billion",
    "billion": "billion",
    "tn": "trillion",
    "trillion": "trillion",
}

_UNITS = {  # written unit: (singular, plural)
    "km": ("kilometer", "kilometers"),
    "m": ("meter", "meters"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "μm": ("micrometer", "micrometers"),
    "km2": ("square kilometer", "square kilometers"),
    "m2": ("square meter", "square meters"),
    "m3": ("cubic meter", "cubic meters"),
    "mi": ("mile", "miles"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "V": ("volt", "volts"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "ms": ("millisecond", "milliseconds"),
    "sec": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
}

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_NAMES = {m.lower(): i + 1 for i, m in enumerate(_MONTHS)}
_MONTH_NAMES.update({m[:3].lower(): i + 1 for i, m in enumerate(_MONTHS)})
_MONTH_NAMES["sept"] = 9
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)

# Titles read one way before a name and another after a street name: "Dr. Who", "Elm Dr."
_TITLES_BEFORE_NAME = {"Dr": ("Doctor", "Drive"), "St": ("Saint", "Street")}
_ABBREVIATIONS = {
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Mx": "Mix",
    "Prof": "Professor",
    "Mt": "Mount",
    "Jr": "Junior",
    "Sr": "Senior",
    "Capt": "Captain",
    "Gen": "General",
    "Lt": "Lieutenant",
    "Sgt": "Sergeant",
    "Col": "Colonel",
    "Gov": "Governor",
    "Rev": "Reverend",
    "Hon": "Honorable",
    "Ave": "Avenue",
    "Blvd": "Boulevard",
    "Rd": "Road",
    "Dept": "Department",
    "Inc": "Incorporated",
    "Ltd": "Limited",
    "Corp": "Corporation",
    "Fig": "Figure",
    "Vol": "Volume",
    "approx": "approximately",
    "vs": "versus",
    "etc": "et cetera",
    "Jan": "January",
    "Feb": "February",
    "Mar": "March",
    "Apr": "April",
    "Jun": "June",
    "Jul": "July",
    "Aug": "August",
    "Sep": "September",
    "Sept": "September",
    "Oct": "October",
    "Nov": "November",
    "Dec": "December",
}
_DOTTED = {
    "e.g.": "for example",
    "i.e.": "that is",
    "a.m.": "A M",
    "p.m.": "P M",
    "cf.": "compare",
    "U.S.": "U S",
    "U.K.": "U K",
    "viz.": "namely",
    "et al.": "and others",
}
_DOTTED_LOWER = {written.lower(): spoken for written, spoken in _DOTTED.items()}
# Words never ending a sentence although a period follows them.
_NO_SENTENCE_END = {
    "mr",
    "mrs",
    "ms",
    "mx",
    "dr",
    "prof",
    "st",
    "mt",
    "capt",
    "gen",
    "lt",
    "sgt",
    "col",
    "gov",
    "rev",
    "hon",
    "no",
    "vs",
    "fig",
    "vol",
    "approx",
    "e.g",
    "i.e",
    "cf",
    "viz",
}

_COUNTING_NOUNS = {
    "chapter",
    "part",
    "volume",
    "vol",
    "book",
    "act",
    "scene",
    "section",
    "war",
    "phase",
    "season",
    "episode",
    "level",
    "type",
    "class",
    "article",
    "appendix",
    "stage",
    "grade",
    "round",
    "bowl",
    "series",
    "mark",
    "unit",
    "track",
    "canto",
    "psalm",
    "movement",
}
_NOT_NAMES = {
    "the",
    "a",
    "an",
    "my",
    "our",
    "your",
    "his",
    "her",
    "their",
    "this",
    "that",
    "these",
    "those",
    "in",
    "on",
    "at",
    "of",
    "to",
    "for",
    "and",
    "or",
    "but",
    "with",
    "from",
    "by",
    "is",
    "was",
    "if",
    "so",
    "then",
    "when",
    "what",
    "who",
    "why",
    "how",
    "yes",
    "no",
    "oh",
    "hi",
    "hello",
    "dear",
    "it",
    "we",
    "they",
    "he",
    "she",
    "you",
    "i",
    "am",
    "are",
    "be",
    "as",
    "do",
    "did",
}

_SYMBOLS_EN = {
    "&": " and ",
    "%": " percent ",
    "‰": " per mille ",
    "+": " plus ",
    "=": " equals ",
    "×": " times ",
    "÷": " divided by ",
    "±": " plus or minus ",
    "@": " at ",
    "°": " degrees ",
    "€": " euros ",
    "$": " dollars ",
    "£": " pounds ",
    "¥": " yen ",
    "§": " section ",
    "©": " copyright ",
    "π": " pi ",
    "∞": " infinity ",
    "≈": " approximately ",
    "≠": " is not equal to ",
    "≤": " less than or equal to ",
    "≥": " greater than or equal to ",
    "√": " square root of ",
}

# ------------------------------------------------------------- the readers
# Each reader rewrites one kind of written thing into words; they run in this
# order, every one on the output of the last, so each sees only what the
# earlier ones left (a URL is gone before the numbers are read).

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
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
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
_ABBREVIATION = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.(?=\s|$|[,;:!?)])")
_DOTTED_RE = re.compile(
    r"(?<!\w)(" + "|".join(re.escape(d) for d in sorted(_DOTTED, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE
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
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+(?=[.,!?;:])")


def _roman_value(numeral: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
    total = 0
    for i, ch in enumerate(numeral):
        v = values[ch]
        total += -v if i + 1 < len(numeral) and values[numeral[i + 1]] > v else v
    return total


def _say_url(url: str) -> tuple[str, str]:
    """(spoken, what followed it): ``https://example.com/docs.`` -> ``example dot com slash docs``."""
    trailing = ""
    while url and url[-1] in ".,;:!?)]}'\"":
        trailing = url[-1] + trailing
        url = url[:-1]
    url = re.sub(r"^https?://", "", url, flags=re.IGNORECASE)
    url = re.split(r"[?#]", url, maxsplit=1)[0]
    host, _, path = url.partition("/")
    spoken = _say_domain(host)
    for segment in [s for s in path.split("/") if s][:6]:
        spoken += " slash " + " ".join(re.split(r"[-_.~+%=&]+", segment))
    return spoken, trailing


def _say_domain(host: str) -> str:
    parts = host.lower().split(".")
    if parts and parts[0] == "www":
        parts[0] = "w w w"
    return " dot ".join(" ".join(re.split(r"[-_]+", p)) for p in parts if p)


def _say_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return " dot ".join(" ".join(re.split(r"[-_+]+", p)) for p in local.split(".") if p) + " at " + _say_domain(domain)


def _say_time(hour: int, minute: int, second: int | None, ampm: str | None, language: Language) -> str:
    hours = _integer(str(hour), language)
    if not language.english:
        spoken = hours + (" " + _integer(str(minute), language) if minute else "")
        return spoken + (" " + _integer(str(second), language) if second else "")
    if minute == 0:
        spoken = hours + ("" if ampm else " o'clock" if hour <= 12 else " hundred")
    elif minute < 10:
        spoken = f"{hours} oh {_integer(str(minute), language)}"
    else:
        spoken = f"{hours} {_integer(str(minute), language)}"
    if second:
        spoken += f" and {_integer(str(second), language)} seconds"
    return spoken + (f" {ampm.upper()} M" if ampm else "")


def _say_date(year: str | None, month: int, day: int | None, language: Language) -> str | None:
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    if not language.english:
        parts = [str(day)] if day else []
        return " ".join(_integer(p, language) for p in parts + [str(month)] + ([year] if year else []))
    spoken = _MONTHS[month - 1]
    if day:
        spoken += " " + (_words(day, language, "ordinal") or str(day))
    if year:
        spoken += ", " + _integer(year, language, year=True)
    return spoken


def _say_money(amount: str, code: str, scale: str | None, language: Language) -> str | None:
    iso, unit, cent = _CURRENCIES[code.strip()]
    negative = amount[:1] in "-\u2212"
    amount = amount.lstrip("-\u2212")
    minus = "minus " if negative else ""
    if scale:
        return f"{minus}{number(amount, language, year=False)} {_SCALES[scale]} {unit[1]}"
    whole, fraction = _split_number(amount, language)
    if not language.english:
        forms = getattr(CONVERTER_CLASSES.get(language.numbers or ""), "CURRENCY_FORMS", {}).get(iso)
        if fraction is None and forms:
            count = int(whole or 0)
            try:
                name = CONVERTER_CLASSES[language.numbers].pluralize(count, forms[0])
            except _NUM2WORDS_ERRORS:
                name = forms[0][-1]
            return f"{minus}{_integer(whole, language)} {name}"
        spoken = _words(_value(amount, language), language, "currency") if forms else None
        return (minus + spoken) if spoken else None
    if fraction is not None and (len(fraction) > 2 or cent is None):
        return f"{minus}{number(amount, language, year=False)} {unit[1]}"
    units = int(whole or 0)
    cents = int((fraction or "0").ljust(2, "0")) if fraction else 0
    pieces = []
    if units or not cents:
        pieces.append(f"{_integer(whole or '0', language)} {unit[0] if units == 1 else unit[1]}")
    if cents and cent is not None:  # cents come with a fraction, and a fraction without a cent returned above
        pieces.append(f"{_integer(str(cents), language)} {cent[0] if cents == 1 else cent[1]}")
    return minus + " and ".join(pieces)


def _phone(match: re.Match, language: Language) -> str:
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
    spoken = ", ".join(_digits(g, language) for g in groups)
    return (" plus " if text.startswith("+") and language.english else " ") + spoken + " "


def _roman(match: re.Match) -> str:
    before, space, numeral = match.groups()
    if not numeral or (len(numeral) == 1 and numeral not in "IVX"):
        return match.group(0)
    value = _roman_value(numeral)
    if before.lower() in _COUNTING_NOUNS:
        return f"{before}{space}{num2words(value)}"
    if before.lower() in _NOT_NAMES or value > MAX_ROMAN_REGNAL or numeral in ("X", "I"):
        # "I" alone is the pronoun; "X" alone is too often a letter ("Malcolm X", "Generation X")
        return match.group(0)
    return f"{before}{space}the {num2words(value, to='ordinal')}"


def _fraction(match: re.Match) -> str:
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


def read_words(text: str, language: Language | str | None = "en") -> str:
    """The reading of plain text (no markup) in words: what the voice should say."""
    lang = language if isinstance(language, Language) else Language.of(language)
    en = lang.english
    written = text = clean(text)
    # Compatibility forms as their plain letters and digits: full-width digits, "²" (m² is m2), "½", "ﬁ".
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = _URL.sub(lambda m: " {} {}".format(*_say_url(m.group(0))), text)
    text = _EMAIL.sub(lambda m: f" {_say_email(m.group(0))} ", text)
    if en:
        text = _DOMAIN.sub(lambda m: f" {_say_domain(m.group(0))} ", text)
        text = _DOTTED_RE.sub(lambda m: f" {_DOTTED_LOWER[m.group(1).lower()]} ", text)
    text = _TIME.sub(
        lambda m: (
            " "
            + _say_time(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None, m.group(4), lang)
            + " "
        ),
        text,
    )
    if en:
        text = _HOUR_AMPM.sub(lambda m: f" {_integer(m.group(1), lang)} {m.group(2).upper()} M ", text)
    text = _ISO_DATE.sub(
        lambda m: f" {_say_date(m.group(1), int(m.group(2)), int(m.group(3)), lang) or m.group(0)} ", text
    )
    text = _NUMERIC_DATE.sub(lambda m: _numeric_date(m, lang), text)
    if en:
        text = _MONTH_DAY.sub(lambda m: f" {_month_day(m, lang)} ", text)
        text = _DAY_MONTH.sub(lambda m: f" {_day_month(m, lang)} ", text)
    text = _IP.sub(lambda m: " " + " dot ".join(_integer(p, lang) for p in m.group(0).split(".")) + " ", text)
    text = _PHONE.sub(lambda m: _phone(m, lang), text)
    text = _CURRENCY_BEFORE.sub(lambda m: _money(m.group(2), m.group(1), m.group(3), lang), text)
    text = _CURRENCY_AFTER.sub(lambda m: _money(m.group(1), m.group(3), m.group(2), lang), text)
    if en:
        text = _VERSION_NAMED.sub(lambda m: f" {m.group(1)} {_version(m.group(2), lang)} ", text)
        text = _VERSION_V.sub(lambda m: f" {m.group(1) or 'version'} {_version(m.group(2), lang)} ", text)
    text = _VERSION_DOTS.sub(lambda m: f" {_version(m.group(1), lang)} ", text)
    if en:
        text = _RANGE.sub(lambda m: f"{m.group(1)} to ", text)
        text = _TILDE.sub(" about ", text)
        text = _PERCENT.sub(
            lambda m: f" {number(m.group(1), lang, year=False)} {'per mille' if m.group(2) == '‰' else 'percent'} ",
            text,
        )
        text = _UNIT.sub(lambda m: _unit(m, lang), text)
        text = _ORDINAL.sub(lambda m: f" {_words(int(m.group(1)), lang, 'ordinal') or m.group(1)} ", text)
        text = _FRACTION.sub(_fraction, text)
        text = _BY.sub(" by ", text)
        text = _NUMBER_SIGN.sub(" number ", text)
        text = _ROMAN.sub(_roman, text)
        text = _TITLE.sub(lambda m: _TITLES_BEFORE_NAME[m.group(1)][0 if m.group(3) else 1] + m.group(2), text)
        text = _ABBREVIATION.sub(lambda m: _ABBREVIATIONS[m.group(1)], text)
        text = _MINUS.sub("minus ", text)
    text = _LETTER_DIGIT.sub(" ", text)
    text = _NUMBER.sub(lambda m: f" {number(m.group(1), lang)} ", text)
    text = _ANY_DIGITS.sub(lambda m: f" {_integer(m.group(0), lang)} ", text)  # digits left between symbols
    if en:
        text = _HASHTAG.sub(" hashtag ", text)
        text = _COMPARISON.sub(lambda m: " less than " if m.group(1) == "<" else " greater than ", text)
        for symbol, spoken in _SYMBOLS_EN.items():
            text = text.replace(symbol, spoken)
    text = _DASH.sub(", ", text)
    text = _SLASH.sub(" ", text)
    text = (_UNSPOKEN if en else _UNSPOKEN_OTHER).sub(" ", text)
    text = _LONG_WORD.sub(lambda m: " ".join(re.findall(rf".{{1,{MAX_WORD_CHARS}}}", m.group(0))), text)
    text = _SPACE_BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", text)).strip()
    if written.rstrip().endswith(".") and text and text[-1] not in ".!?":
        text += "."  # "at 9 a.m." still ends a sentence: the voice's intonation falls
    return text


def _numeric_date(match: re.Match, language: Language) -> str:
    first, _, second, year = int(match.group(1)), match.group(2), int(match.group(3)), match.group(4)
    if len(year) == 2:
        if match.group(2) != "/":
            return match.group(0)
        year = ("20" if int(year) < 50 else "19") + year
    day_first = language.day_first if first <= 12 and second <= 12 else first > 12
    day, month = (first, second) if day_first else (second, first)
    spoken = _say_date(year, month, day, language)
    return f" {spoken} " if spoken else match.group(0)


def _month_day(match: re.Match, language: Language) -> str:
    month, day, year = _MONTH_NAMES[match.group(1).lower()], int(match.group(2)), match.group(3)
    return _say_date(year, month, day, language) or match.group(0)


def _day_month(match: re.Match, language: Language) -> str:
    the, day, month, year = match.group(1) or "the", int(match.group(2)), match.group(3), match.group(4)
    if not 1 <= day <= 31:
        return match.group(0)
    spoken = f"{the} {num2words(day, to='ordinal')} of {_MONTHS[_MONTH_NAMES[month.lower()] - 1]}"
    return spoken + (f", {_integer(year, language, year=True)}" if year else "")


def _money(amount: str, code: str, scale: str | None, language: Language) -> str:
    spoken = _say_money(amount, code, scale, language)
    return f" {spoken} " if spoken else f" {number(amount, language, year=False)} {code} "


def _version(text: str, language: Language) -> str:
    return " point ".join(_integer(part, language) for part in text.split("."))


def _unit(match: re.Match, language: Language) -> str:
    amount, unit = match.group(1), match.group(2)
    singular, plural = _UNITS[unit]
    one = _value(amount.lstrip("-\u2212"), language) == 1 and not re.search(r"[.,]\d", amount)
    return f" {number(amount, language, year=False)} {singular if one else plural} "


# ----------------------------------------------------------- sentences


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
            if token in _NO_SENTENCE_END or re.fullmatch(r"[^\W\d_]", token) or following.islower():
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


# ---------------------------------------------------------------- SSML


@dataclass(frozen=True)
class _Text:
    written: str
    spoken: str | None  # None: read the written text; else this reading as it is
    rate: float


@dataclass(frozen=True)
class _Break:
    seconds: float


_TAG_LIKE = re.compile(
    r"<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>|<\s*/?\s*[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?\s*>"
    r"|<!--.*?-->|<![^<>]*>|<\?[^<>]*\?>",
    re.DOTALL,
)
_LOOKS_LIKE_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][\w:.-]*(?:\s+[\w:.-]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*/?\s*>")
_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)\s*$", re.IGNORECASE)
_PERCENTAGE = re.compile(r"^\s*([+-]?)(\d+(?:\.\d+)?)\s*%\s*$")
_DROPPED_CONTENT = {"desc", "lexicon", "metadata", "meta"}


class _Refused(Exception):
    pass


def _break_seconds(attributes: dict[str, str]) -> float:
    duration = _DURATION.match(attributes.get("time", ""))
    if duration:
        value = float(duration.group(1)) / (1000 if duration.group(2).lower() == "ms" else 1)
        return min(value, MAX_BREAK_S)
    return BREAK_STRENGTH_S.get(attributes.get("strength", "medium").strip().lower(), BREAK_STRENGTH_S["medium"])


def _rate(value: str, current: float) -> float:
    value = value.strip().lower()
    if value in RATE_WORDS:
        return RATE_WORDS[value]
    percentage = _PERCENTAGE.match(value)
    try:
        if percentage:
            sign, amount = percentage.group(1), float(percentage.group(2)) / 100
            rate = 1 + amount if sign == "+" else 1 - amount if sign == "-" else amount
        else:
            rate = float(value)
    except ValueError:
        return current
    return current if math.isnan(rate) else min(MAX_RATE, max(MIN_RATE, rate))


def _say_as(text: str, interpret_as: str, date_format: str, language: Language) -> str | None:
    """The reading of a <say-as>; None to read the text as usual."""
    kind = interpret_as.strip().lower()
    if kind in ("characters", "spell-out", "letters", "verbatim"):
        return " ".join(_digits(ch, language) if ch.isdecimal() else ch.upper() for ch in text if ch.isalnum())
    if kind in ("digits", "telephone"):
        return _digits(text, language)
    if kind == "ordinal" and language.english:
        digits = re.sub(r"\D", "", text)
        return _words(int(digits), language, "ordinal") if digits and len(digits) <= MAX_SPELLED_DIGITS else None
    if kind == "date":
        groups = re.findall(r"\d+", text)
        fields = [f for f in date_format.lower() if f in "ymd"] if date_format else []
        if groups and len(fields) == len(groups):
            values = dict(zip(fields, groups))
            month = int(values.get("m", "0")) or None
            if month:
                return _say_date(values.get("y"), month, int(values["d"]) if "d" in values else None, language)
        return None
    if kind == "time":
        digits = text.strip()
        if re.fullmatch(r"\d{3,4}", digits):
            return read_words(f"{digits[:-2]}:{digits[-2:]}", language)
    return None


def _parse_ssml(text: str, language: Language) -> list[_Text | _Break | str] | None:
    """The events of SSML markup (texts, breaks, "p"/"s" boundaries), or None when it is not well formed.

    Parsed by expat with no document type allowed: an entity declaration
    (the "billion laughs") or an external entity is refused, not expanded.
    """
    events: list[_Text | _Break | str] = []
    rates = [1.0]
    say_as: list[tuple[str, str, list[str]]] = []  # (interpret-as, format, text) of the open <say-as>
    aliases: list[tuple[str, list[str]]] = []
    dropped = [0]

    def refuse(*_args):
        raise _Refused()

    def start(name: str, attributes: dict[str, str]) -> None:
        tag = name.rsplit(":", 1)[-1].lower()
        if tag in _DROPPED_CONTENT:
            dropped[0] += 1
        elif tag == "break":
            events.append(_Break(_break_seconds(attributes)))
        elif tag in ("p", "s", "paragraph", "sentence"):
            events.append(tag[0])
        elif tag == "prosody":
            rates.append(_rate(attributes.get("rate", ""), rates[-1]) if "rate" in attributes else rates[-1])
        elif tag == "say-as":
            say_as.append((attributes.get("interpret-as", ""), attributes.get("format", ""), []))
        elif tag == "sub":
            aliases.append((attributes.get("alias", ""), []))

    def end(name: str) -> None:
        tag = name.rsplit(":", 1)[-1].lower()
        if tag in _DROPPED_CONTENT:
            dropped[0] -= 1
        elif tag in ("p", "s", "paragraph", "sentence"):
            events.append(tag[0])
        elif tag == "prosody" and len(rates) > 1:
            rates.pop()
        elif tag == "say-as" and say_as:
            kind, date_format, parts = say_as.pop()
            written = "".join(parts)
            characters(written, _say_as(written, kind, date_format, language))
        elif tag == "sub" and aliases:
            alias, parts = aliases.pop()
            characters("".join(parts), clean(alias))

    def characters(data: str, spoken: str | None = None) -> None:
        if dropped[0]:
            return
        if spoken is None and say_as:
            say_as[-1][2].append(data)
        elif spoken is None and aliases:
            aliases[-1][1].append(data)
        else:
            events.append(_Text(data, spoken, rates[-1]))

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    body = _BARE_AMPERSAND.sub("&amp;", _XML_DECLARATION.sub("", text))
    try:
        parser.Parse(f"<speak>{body}</speak>", True)
    except (expat.ExpatError, _Refused, ValueError, RecursionError):
        return None
    return events


def _events(text: str, language: Language) -> list[_Text | _Break | str]:
    """SSML when the text is well-formed markup; otherwise plain text with any tag-like thing dropped."""
    if _LOOKS_LIKE_MARKUP.search(text):
        events = _parse_ssml(text, language)
        if events is not None:
            return events
        text = re.sub(r"&[\w.-]+;", " ", html.unescape(_TAG_LIKE.sub(" ", text)))
    if "<" in text or ">" in text:
        # Angle brackets left over from broken markup are not read; "x < 5" still is.
        text = re.sub(r"(?<![\s\d])[<>]|[<>](?![\s\d])", " ", text)
    return [_Text(text, None, 1.0)]


# ---------------------------------------------------------------- units


@dataclass
class _Reading:
    """Where `read_text` stands: the pause before the next unit, the rate it is read at, breaks so far."""

    pause: float | None = None
    rate: float = 1.0
    breaks: float = 0.0


def read_text(text: str, language: str | None = "en") -> list[TextUnit]:
    """Written text (plain or the SSML subset) as the utterances the voice speaks, in order.

    Units with nothing to say (punctuation, emoji alone) are left out; a
    break before them moves to the next unit. The list is empty when the
    text has nothing to say at all.
    """
    lang = Language.of(language)
    utterances: list[TextUnit] = []
    written: list[str] = []
    spoken: list[str] = []
    state = _Reading()

    def finish(pause_after: float | None = None) -> None:
        said = _SPACE_BEFORE_PUNCTUATION.sub("", _SPACES.sub(" ", " ".join(spoken))).strip()
        if re.search(r"\w", said):
            pause = state.pause
            if pause is None:
                pause = SENTENCE_PAUSE_S if utterances else 0.0
            utterances.append(TextUnit(_SPACES.sub(" ", "".join(written)).strip(), said, pause, state.rate))
            state.pause = None
        written.clear()
        spoken.clear()
        if pause_after is not None:
            state.pause = max(state.pause or 0.0, pause_after) if utterances else state.pause

    for event in _events(clean(text), lang):
        if isinstance(event, _Break):
            seconds = max(0.0, min(event.seconds, MAX_TOTAL_BREAK_S - state.breaks))
            state.breaks += seconds
            finish()
            state.pause = max(state.pause or 0.0, seconds)
        elif isinstance(event, str):  # <p> or <s>, opening or closing
            finish(PARAGRAPH_PAUSE_S if event == "p" else SENTENCE_PAUSE_S)
        else:
            if event.rate != state.rate:
                if spoken:  # a new rate mid-sentence: a new unit, without a pause between
                    finish()
                    state.pause = 0.0 if state.pause is None else state.pause
                state.rate = event.rate
            if event.spoken is not None:
                written.append(event.written)
                spoken.append(event.spoken)
                continue
            if event.written[:1].isspace():
                written.append(" ")
            for sentence, boundary in split_sentences(event.written):
                written.append(sentence)
                spoken.append(read_words(sentence, lang))
                if boundary:
                    finish(PARAGRAPH_PAUSE_S if boundary == "p" else None)
            if event.written[-1:].isspace():
                written.append(" ")
    finish()
    return utterances


def spoken_text(text: str, language: str | None = "en") -> str:
    """The whole reading of `text` in one string (markup read as `read_text` does)."""
    return " ".join(u.spoken for u in read_text(text, language))
