"""Which writing systems a voice can read, and what to do with text in another one.

espeak-ng reads letters it has no rules for by name: an English voice says
"Arabic letter, Arabic letter" for Arabic and "Chinese letter" for every Han
character. Text mostly in such a script is refused (`InputError` naming the
script and what to do); a few such words in otherwise readable text give a
video with a warning in its record.
"""

from __future__ import annotations

import unicodedata

from ..errors import InputError
from .timeline import SpeechWarning, WarningCode

REFUSE_SHARE = 0.5  # of the text's letters in scripts the voice cannot read
# Language families written in each script besides Latin (which every espeak-ng voice reads).
_FAMILIES = {
    "CYRILLIC": "ru uk be bg mk sr kk ky mn tt ba cv tg",
    "GREEK": "el grc",
    "ARABIC": "ar fa ur ps sd ug ku",
    "HEBREW": "he yi",
    "CJK": "zh cmn yue hak ja ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "DEVANAGARI": "hi mr ne sa kok bh",
    "BENGALI": "bn as",
    "GURMUKHI": "pa",
    "GUJARATI": "gu",
    "ORIYA": "or",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "SINHALA": "si",
    "THAI": "th",
    "LAO": "lo",
    "KHMER": "km",
    "MYANMAR": "my",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "ETHIOPIC": "am ti",
    "TIBETAN": "bo",
    "THAANA": "dv",
}
_NAMES = {
    "CJK": "Chinese (Han)",
    "HANGUL": "Korean (Hangul)",
    "HIRAGANA": "Japanese (kana)",
    "KATAKANA": "Japanese (kana)",
}


def script_of(ch: str) -> str | None:
    """The writing system of a letter (``LATIN``, ``ARABIC``, ``CJK``, ...); None for anything else."""
    if not unicodedata.category(ch).startswith("L"):
        return None
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else None


def voice_scripts(language: str) -> set[str]:
    """The scripts a voice for `language` (``de_DE``, ``en-us``, ``cmn``) reads."""
    family = language.replace("-", "_").split("_")[0].lower()
    return {"LATIN"} | {script for script, families in _FAMILIES.items() if family in families.split()}


def check_script(text: str, language: str, voice_name: str) -> list[SpeechWarning]:
    """Warnings for letters the voice cannot read; `InputError` when they are most of the text."""
    readable = voice_scripts(language)
    letters = [s for s in map(script_of, text) if s is not None]
    foreign: dict[str, int] = {}
    for script in letters:
        if script not in readable:
            foreign[script] = foreign.get(script, 0) + 1
    if not foreign:
        return []
    names = ", ".join(_NAMES.get(s, s.title()) for s in sorted(foreign, key=lambda s: foreign[s], reverse=True))
    share = sum(foreign.values()) / len(letters)
    if share >= REFUSE_SHARE:
        raise InputError(
            f"the text is written in {names} script, which the voice {voice_name} ({language}) cannot read "
            "(it would spell out letter names). Choose a voice for that language (talking-head voices lists "
            "the installed ones; docs/voices.md says how to add one), or give text in its language.",
            field="text",
        )
    return [
        SpeechWarning(
            WarningCode.UNREADABLE_SCRIPT,
            f"{sum(foreign.values())} letters in {names} script, which the voice {voice_name} ({language}) "
            "cannot read, are spelled out or skipped",
        )
    ]
