"""The plain data that `speech/` hands to every later stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .spool import Signal


class WarningCode(StrEnum):
    """What a warning is about; later stages pick warnings by code, never by their wording."""

    NO_CAPTIONS = "no_captions"  # a recording without a transcript, in a language not recognised here
    UNREADABLE_SCRIPT = "unreadable_script"  # letters the voice cannot read are spelled out or skipped


@dataclass(frozen=True)
class SpeechWarning:
    """Something the user should know about the speech: its `code`, and a `message` that says it."""

    code: WarningCode
    message: str


@dataclass(frozen=True)
class Word:
    """A spoken word and when it is heard, in seconds from the start."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Phone:
    """An ARPAbet phone without stress marks (``AA``, ``P``, ``SIL``, ...), in seconds."""

    label: str
    start: float
    end: float


@dataclass
class Speech:
    """Mono speech with its timelines.

    `audio` is what the video carries, at `sample_rate` (the voice's or the
    file's own rate); `audio_16k` is the same speech at 16 kHz for analysis
    (alignment, envelopes, neural audio front ends). Both are made here, once.
    Speech from text is spooled (`AudioSpool`, read by slices), so a long text
    does not stay in memory; a recording's is in arrays.
    """

    audio: Signal
    sample_rate: int
    audio_16k: Signal
    words: list[Word] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    text: str | None = None
    alignment: str = "none"
    """How the phones were timed: ``voice`` (the TTS voice's own durations), ``forced``,
    ``recognized``, ``mixed``, ``sound`` (read from the sound, any language) or ``none``."""
    captions_source: str | None = None
    """Where the words come from: ``text`` (as written), ``recognition``, or None (no words)."""
    warnings: list[SpeechWarning] = field(default_factory=list)
    """What the user should know about this speech (letters the voice cannot read, no captions and why)."""

    @property
    def duration_s(self) -> float:
        return len(self.audio) / self.sample_rate

    def frame_count(self, fps: float) -> int:
        """Number of video frames that cover the whole audio at `fps`."""
        return max(1, int(round(self.duration_s * fps)))
