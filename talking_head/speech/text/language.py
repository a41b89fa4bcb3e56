"""A voice's language as the text readers need it."""

from __future__ import annotations

from dataclasses import dataclass

from num2words import CONVERTER_CLASSES


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
