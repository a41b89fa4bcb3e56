"""Speech in: text through Piper, or a recording through PyAV; out: `Speech` with timelines."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..timing import timed
from .align import timeline
from .audio import ANALYSIS_RATE, read_audio, resample, split_at_pauses
from .text import clean, read_text
from .timeline import Phone, Phrase, Speech, Word
from .tts import NOTHING_TO_SAY, synthesize

__all__ = ["Phone", "Phrase", "Speech", "Word", "check_text", "speech_from_audio", "speech_from_text"]


def check_text(text: str | None, max_chars: int, to_speak: bool = True) -> str:
    """Return the text cleaned (NFC; no NUL, control characters or lone surrogates) and stripped.

    Raise `InputError` for empty or over-long text, and, when it is `to_speak`
    (not a recording's transcript), for text with nothing the voice can say.
    """
    text = clean(text or "").strip()
    if not text:
        raise InputError("the text is empty. Give the words to speak.", field="text")
    if len(text) > max_chars:
        raise InputError(
            f"the text has {len(text)} characters, over the limit of {max_chars}. "
            "Shorten it or split it into several videos.",
            field="text",
        )
    if to_speak and not read_text(text):
        raise InputError(NOTHING_TO_SAY, field="text")
    return text


def speech_from_text(text: str, voice: str | None = None, max_chars: int = 5000,
                     timings: dict[str, float] | None = None) -> Speech:
    """Speak `text` (plain or SSML) with a Piper voice and force-align each unit's spoken reading.

    With `timings`, the seconds spent in ``tts`` and ``align`` are added to it.
    """
    text = check_text(text, max_chars)
    with timed(timings, "tts"):
        audio, rate, sentences = synthesize(text, voice)
        audio_16k = resample(audio, rate, ANALYSIS_RATE)
    scale = ANALYSIS_RATE / rate
    spans = [(s.text, int(s.start * scale), int(s.end * scale)) for s in sentences]
    with timed(timings, "align"):
        words, phones, method = timeline(audio_16k, text, spans)
    phrases = [Phrase(s.written, s.text, s.start / rate, s.end / rate) for s in sentences]
    return Speech(audio, rate, audio_16k, words, phones, text, method, phrases)


def speech_from_audio(
    path: str | Path,
    text: str | None = None,
    max_seconds: float | None = None,
    max_chars: int = 5000,
    timings: dict[str, float] | None = None,
) -> Speech:
    """Read a recording; force-align `text` when given, else recognise phones.

    With `timings`, the seconds spent in ``audio`` (decoding) and ``align`` are added to it.
    """
    if text is not None and text.strip():
        text = check_text(text, max_chars, to_speak=False)
    else:
        text = None
    with timed(timings, "audio"):
        audio, rate = read_audio(path, max_seconds)
        audio_16k = resample(audio, rate, ANALYSIS_RATE)
    if text:
        spans = [(text, 0, len(audio_16k))]
    else:
        spans = [(None, a, b) for a, b in split_at_pauses(audio_16k)]
    with timed(timings, "align"):
        words, phones, method = timeline(audio_16k, text, spans)
    return Speech(audio, rate, audio_16k, words, phones, text, method)
