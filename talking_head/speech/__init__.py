"""Speech in: text through Piper, or a recording through PyAV; out: `Speech` with timelines."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from ..settings import MAX_TEXT_CHARS
from ..timing import timed
from .align import RECOGNISER, recognize_timed_words, spread_words, timeline
from .audio import ANALYSIS_RATE, read_audio, resample, split_at_pauses
from .scripts import check_script
from .sound import read_phones
from .text import clean, read_text
from .timeline import Phone, Speech, SpeechWarning, WarningCode, Word
from .tts import NOTHING_TO_SAY, load_voice, synthesize
from .voices import resolve_voice

__all__ = [
    "Phone",
    "Speech",
    "SpeechWarning",
    "WarningCode",
    "Word",
    "check_text",
    "speech_from_audio",
    "speech_from_text",
]


def check_text(text: str | None, max_chars: int, to_speak: bool = True) -> str:
    """Return the text cleaned (NFC; no NUL, control characters or lone surrogates) and stripped.

    Raise `InputError` for empty or over-long text, and, when it is `to_speak`
    (not a recording's transcript), for text with nothing the voice can say.
    """
    if text is not None and not isinstance(text, str):
        raise InputError(f"the text must be a string, not {type(text).__name__}.", field="text")
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


def speech_from_text(
    text: str | None,
    voice: str | None = None,
    max_chars: int = MAX_TEXT_CHARS,
    timings: dict[str, float] | None = None,
    *,
    speed: float = 1.0,
    speaker: str | int | None = None,
    seed: int = 0,
    voices_dir: str | Path | None = None,
    timing: str = "voice",
) -> Speech:
    """Speak `text` (plain or SSML, through the text front end) with a Piper voice
    (a name, a path, or None for the bundled one).

    The phones and words are timed by the voice itself (``alignment="voice"``).
    With `timing` ``forced``, or for a voice whose graph gives no durations,
    PocketSphinx aligns the speech back to its text instead (English only; kept
    to compare the two).
    With `timings`, the seconds spent in ``tts`` (and ``align`` then) are added to it.
    """
    text = check_text(text, max_chars)
    model = resolve_voice(voice, voices_dir)
    loaded = load_voice(model)
    warnings = check_script(text, loaded.info.language, loaded.info.name)
    with timed(timings, "tts"):
        said = synthesize(text, model, speed=speed, speaker=speaker, seed=seed)
        audio_16k = resample(said.audio, said.sample_rate, ANALYSIS_RATE)
    if said.timed and timing == "voice":
        return Speech(said.audio, said.sample_rate, audio_16k, said.words, said.phones, text, "voice", "text", warnings)
    scale = ANALYSIS_RATE / said.sample_rate
    spans = [(sentence, int(a * scale), int(b * scale)) for sentence, a, b in said.sentences]
    with timed(timings, "align"):
        words, phones, method = timeline(audio_16k, text, spans)
    return Speech(said.audio, said.sample_rate, audio_16k, words, phones, text, method, "text", warnings)


def speech_from_audio(
    path: str | Path,
    text: str | None = None,
    max_seconds: float | None = None,
    max_chars: int = MAX_TEXT_CHARS,
    timings: dict[str, float] | None = None,
    language: str | None = None,
    reading: str = "auto",
) -> Speech:
    """Read a recording; force-align `text` when given, else recognise phones.

    `reading` ``sound`` reads the mouth shapes from the sound itself
    (`sound`, any language, no recogniser); ``auto`` does so only when
    PocketSphinx is not installed, since its English phone recognition
    measured better, on German speech too (docs/voices.md). Without a
    transcript, an English recording (`language` ``en``...) is captioned from
    word recognition; any other or unknown language gets no captions, and a
    warning saying why. With `timings`, the seconds spent in ``audio``
    (decoding) and ``align`` are added to it.
    """
    if text is not None and text.strip():
        text = check_text(text, max_chars, to_speak=False)
    else:
        text = None
    with timed(timings, "audio"):
        audio, rate = read_audio(path, max_seconds)
        audio_16k = resample(audio, rate, ANALYSIS_RATE)
    spans: list[tuple[str | None, int, int]]
    if text:
        spans = [(text, 0, len(audio_16k))]
    else:
        spans = [(None, a, b) for a, b in split_at_pauses(audio_16k)]
    if reading == "sound" or not RECOGNISER:
        with timed(timings, "align"):
            phones = [p for _, a, b in spans for p in read_phones(audio_16k[a:b], a / ANALYSIS_RATE)]
        if text:
            spoken = [p for p in phones if p.label != "SIL"]
            start, end = (spoken[0].start, spoken[-1].end) if spoken else (0.0, len(audio_16k) / ANALYSIS_RATE)
            words = spread_words(text.split(), start, end)
            return Speech(audio, rate, audio_16k, words, phones, text, "sound", "text")
        return Speech(
            audio,
            rate,
            audio_16k,
            [],
            phones,
            None,
            "sound",
            None,
            [
                SpeechWarning(
                    WarningCode.NO_CAPTIONS,
                    "no captions: the recording came without a transcript and was read from its sound "
                    "(no recogniser); give its words as text to caption it",
                )
            ],
        )
    with timed(timings, "align"):
        words, phones, method = timeline(audio_16k, text, spans)
        if text:
            return Speech(audio, rate, audio_16k, words, phones, text, method, "text")
        if is_english(language):
            words = [w for _, a, b in spans for w in recognize_timed_words(audio_16k[a:b], a / ANALYSIS_RATE)]
            return Speech(audio, rate, audio_16k, words, phones, None, method, "recognition" if words else None)
    why = (
        f"its language ({language}) is not English, the only language recognised here"
        if language
        else "its language is not known (give language en for captions from recognition)"
    )
    return Speech(
        audio,
        rate,
        audio_16k,
        words,
        phones,
        None,
        method,
        None,
        [
            SpeechWarning(
                WarningCode.NO_CAPTIONS,
                f"no captions: the recording came without a transcript and {why}; give its words as text to caption it",
            )
        ],
    )


def is_english(language: str | None) -> bool:
    return language is not None and language.replace("-", "_").split("_")[0].lower() in ("en", "eng", "english")
