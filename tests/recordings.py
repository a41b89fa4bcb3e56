"""Test recordings made measurable: the LibriVox clips have no pause to measure the mouth at rest in."""

from __future__ import annotations

import wave
from pathlib import Path


def with_pauses(wav: Path, out: Path, pause_s: float = 1.0) -> Path:
    """The recording with a pause before and after it, written to `out`."""
    with wave.open(str(wav)) as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    silence = bytes(int(pause_s * params.framerate) * params.sampwidth * params.nchannels)
    with wave.open(str(out), "wb") as w:
        w.setparams(params)
        w.writeframes(silence + frames + silence)
    return out
