"""The SSML subset (docs/text.md): markup as events (texts, breaks, paragraph and sentence
boundaries); text that is not well-formed markup is plain text with anything tag-like dropped."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from xml.parsers import expat

from ...options import MAX_SPEED, MIN_SPEED
from .cleaning import clean
from .language import Language
from .numbers import MAX_SPELLED_DIGITS, digit_words, in_words
from .readers import read_words
from .spoken_forms import say_date

MAX_BREAK_S = 10.0  # one <break> at most (as the big cloud voices cap it)
BREAK_STRENGTH_S = {"none": 0.0, "x-weak": 0.1, "weak": 0.2, "medium": 0.4, "strong": 0.7, "x-strong": 1.2}
RATE_WORDS = {"x-slow": 0.6, "slow": 0.8, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5}


@dataclass(frozen=True)
class Passage:
    """Text as written, read at `rate`; `spoken` is its reading where markup gives one (<say-as>, <sub>)."""

    written: str
    spoken: str | None  # None: read the written text; else this reading as it is
    rate: float


@dataclass(frozen=True)
class Break:
    """A <break>: this much silence."""

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
    return current if math.isnan(rate) else min(MAX_SPEED, max(MIN_SPEED, rate))


def _say_as(text: str, interpret_as: str, date_format: str, language: Language) -> str | None:
    """The reading of a <say-as>; None to read the text as usual."""
    kind = interpret_as.strip().lower()
    if kind in ("characters", "spell-out", "letters", "verbatim"):
        return " ".join(digit_words(ch, language) if ch.isdecimal() else ch.upper() for ch in text if ch.isalnum())
    if kind in ("digits", "telephone"):
        return digit_words(text, language)
    if kind == "ordinal" and language.english:
        digits = re.sub(r"\D", "", text)
        return in_words(int(digits), language, "ordinal") if digits and len(digits) <= MAX_SPELLED_DIGITS else None
    if kind == "date":
        groups = re.findall(r"\d+", text)
        fields = [f for f in date_format.lower() if f in "ymd"] if date_format else []
        if groups and len(fields) == len(groups):
            values = dict(zip(fields, groups))
            month = int(values.get("m", "0")) or None
            if month:
                return say_date(values.get("y"), month, int(values["d"]) if "d" in values else None, language)
        return None
    if kind == "time":
        digits = text.strip()
        if re.fullmatch(r"\d{3,4}", digits):
            return read_words(f"{digits[:-2]}:{digits[-2:]}", language)
    return None


def _parse_ssml(text: str, language: Language) -> list[Passage | Break | str] | None:
    """The events of SSML markup (texts, breaks, "p"/"s" boundaries), or None when it is not well formed.

    Parsed by expat with no document type allowed: an entity declaration
    (the "billion laughs") or an external entity is refused, not expanded.
    """
    events: list[Passage | Break | str] = []
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
            events.append(Break(_break_seconds(attributes)))
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
            events.append(Passage(data, spoken, rates[-1]))

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


def markup_events(text: str, language: Language) -> list[Passage | Break | str]:
    """SSML when the text is well-formed markup; otherwise plain text with any tag-like thing dropped."""
    if _LOOKS_LIKE_MARKUP.search(text):
        events = _parse_ssml(text, language)
        if events is not None:
            return events
        text = re.sub(r"&[\w.-]+;", " ", html.unescape(_TAG_LIKE.sub(" ", text)))
    if "<" in text or ">" in text:
        # Angle brackets left over from broken markup are not read; "x < 5" still is.
        text = re.sub(r"(?<![\s\d])[<>]|[<>](?![\s\d])", " ", text)
    return [Passage(text, None, 1.0)]
