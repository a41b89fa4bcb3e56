"""Eyebrows: a lift on stressed words and at the end of a question, and a small restless play between.

Real speakers (the footage clips, `bench/motion_fit.py`) move their brows 0.02-0.04
inter-ocular distances (std of the brows' height over the eye corners); a brow that
only twitches on a few words reads as a fixed expression.
"""

from __future__ import annotations

import numpy as np

from ..speech.audio import ANALYSIS_RATE, frame_rms
from ..speech.sound import runs
from ..speech.spool import Signal
from ..speech.timeline import Word
from .head import SETTLE_S, unit_noise

STRESS_QUANTILE = 0.6  # the loudest two fifths of words count as stressed
MIN_GAP_S = 0.7  # brows do not flutter
MIN_WORD_S = 0.12
ATTACK_S, RELEASE_S = 0.12, 0.35
LIFT = (0.55, 1.0)  # a stressed word's lift, drawn from this range
QUESTION_LIFT = 1.0  # the last words of a question
QUESTION_WORDS = 2
LOUD_QUANTILE = 0.7  # without words: the loudest stretches of voice stand for the stressed words
LOUD_SMOOTH_S = 0.06
PLAY = 0.25  # std of the restless play, in units of a full lift
PLAY_SMOOTH_S = 0.35
SPEECH_PLAY_ONLY = 0.4  # in pauses the play quiets to this share
# The track's spread over a video, in full lifts. Drawn lifts and play alone spread 0.20-0.41 from seed to seed
# and clip to clip, so one speaker's brows moved twice another's; the evaluator reads about 0.1 IOD per unit
# here, and real speakers move 0.020-0.042 IOD (the footage clips): 0.26 sits inside 0.5x-1.5x of all four.
SPREAD = 0.26
SPREAD_GAIN = (0.5, 1.5)  # a track of one lift or a busy one is brought only this far towards SPREAD
LOWEST = -0.1  # brows barely lower: lowered, they knit into a frown where a speaker's lift and stay open


def _pulse(times: np.ndarray, start: float, end: float) -> np.ndarray:
    rise = np.clip((times - (start - ATTACK_S)) / ATTACK_S, 0, 1)
    fall = np.clip(1 - (times - end) / RELEASE_S, 0, 1)
    pulse = np.where(times < end, rise, fall) * (times >= start - ATTACK_S)
    return np.sin(pulse * np.pi / 2) ** 2


def _word_loudness(words: list[Word], audio_16k: Signal) -> list[float]:
    out = []
    for w in words:
        chunk = audio_16k[int(w.start * ANALYSIS_RATE) : int(w.end * ANALYSIS_RATE)]
        out.append(float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if len(chunk) else 0.0)
    return out


def loud_stretches(audio_16k: Signal, fps: float, n_frames: int) -> list[Word]:
    """Without words (a recording read by its sound): the stretches of loudest voice, as unnamed words."""
    from scipy.ndimage import gaussian_filter1d

    rms = gaussian_filter1d(frame_rms(audio_16k, fps, n_frames).astype(np.float64), LOUD_SMOOTH_S * fps)
    if not n_frames or rms.max() <= 0:
        return []
    loud = rms > np.quantile(rms[rms > 0.05 * rms.max()], LOUD_QUANTILE)
    return [Word("", a / fps, b / fps) for a, b in zip(*runs(loud))]


def brow_track(
    words: list[Word], audio_16k: Signal, fps: float, n_frames: int, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Brow raise per frame: 0 rest, 1 a full lift, down to `LOWEST` a slight lowering; spread near `SPREAD`."""
    rng = rng or np.random.default_rng(0)
    times = (np.arange(n_frames) + 0.5) / fps
    brow = np.zeros(n_frames, np.float64)
    words = words or loud_stretches(audio_16k, fps, n_frames)
    if words:
        loudness = _word_loudness(words, audio_16k)
        threshold = np.quantile(loudness, STRESS_QUANTILE)
        last = -np.inf
        for k, (w, loud) in enumerate(zip(words, loudness)):
            question = any(x.text.rstrip().endswith("?") for x in words[k : k + QUESTION_WORDS])
            if question:
                brow = np.maximum(brow, QUESTION_LIFT * _pulse(times, w.start, w.end))
                continue
            if loud < threshold or w.end - w.start < MIN_WORD_S or w.start - last < MIN_GAP_S:
                continue
            last = w.start
            brow = np.maximum(brow, rng.uniform(*LIFT) * _pulse(times, w.start, w.end))
    rms = frame_rms(audio_16k, fps, n_frames)
    loud = max(float(np.percentile(rms, 95)), 1e-9) if n_frames else 1.0
    talking = np.clip(rms / loud * 4, 0, 1)
    play = unit_noise(n_frames, PLAY_SMOOTH_S * fps, rng) * PLAY
    brow = brow + play * (SPEECH_PLAY_ONLY + (1 - SPEECH_PLAY_ONLY) * talking)
    brow *= np.clip(times / SETTLE_S, 0, 1)  # the video opens on the photo's own expression
    brow = np.clip(brow, LOWEST, None)
    spread = float(brow.std())
    if spread > 0:
        brow *= np.clip(SPREAD / spread, *SPREAD_GAIN)
    return np.clip(brow, LOWEST, 1.2).astype(np.float32)
