"""Speech-driven head motion read from sound as it streams: nods loosely tied to stress, a turn and tilt per phrase.

The causal counterpart of `head.head_track` for a voice agent's audio, a
frame at a time with no look-ahead: loudness above its own slow trend (a
stressed syllable) drives the nods by a coupling drawn per stream, a restless
bob of the same pace the rest (as `head.nods`); each utterance, and each `PHRASE_MAX_S` of
it, turns and tilts it to one side, alternating like `head.phrase_targets`;
when the voice stops the turn eases back. Exponential smoothing stands in for
the batch path's Gaussian filters (which look both ways): two in a row for
turns, so a turn starts and ends gently, and a last one over everything. The stream's idle
wander and breathing (`motion.stream`) go on underneath.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from .head import (
    EMPHASIS_STD,
    EMPHASIS_TREND_S,
    FINAL_SMOOTH_S,
    MAX_EMPHASIS,
    NOD_BOB_S,
    NOD_COUPLING,
    NOD_SMOOTH_S,
    PHRASE_MAX_S,
    PHRASE_SIZE,
    PHRASE_SMOOTH_S,
    PHRASE_SWITCH,
    SPEECH_SMOOTH_S,
    amplitudes,
)

TREND_S = 0.6  # the slow loudness trend a stressed syllable stands out from (as head_track)
LEVEL_DECAY_S = 5.0  # the loud level forgets a loud moment over this long
MIN_LEVEL = 0.02  # RMS full scale
SPREAD_S = 5.0  # the stress's spread, which the bob takes, is learnt over about this long
TYPICAL_SPREAD = 0.6  # the stress's spread before any is heard (emphasis units; ordinary speech)
CALIBRATION_FRAMES = 20000


def _follow(time_constant_s: float, fps: int) -> float:
    """The share of the way to its target an exponential smoother moves in one frame."""
    return 1.0 - float(np.exp(-1.0 / max(time_constant_s * fps, 1e-6)))


def _bob_gain(fps: int) -> float:
    """What brings the bob (white noise smoothed at a nod's pace, its slow trend taken off) to unit spread."""
    quick, trend = _follow(NOD_BOB_S, fps), _follow(EMPHASIS_TREND_S, fps)
    noise = np.random.default_rng(0).standard_normal(CALIBRATION_FRAMES)
    fast = lfilter([quick], [1.0, quick - 1.0], noise)
    bob = fast - lfilter([trend], [1.0, trend - 1.0], fast)
    return 1.0 / max(float(np.std(bob[CALIBRATION_FRAMES // 10 :])), 1e-9)


class StreamingHead:
    """Yaw, pitch and roll offsets (degrees) for consecutive frames, from each frame's sound."""

    def __init__(self, fps: int, pose_style: int, seed: int):
        self.fps = fps
        _, self._amp = amplitudes(pose_style)
        self._rng = np.random.default_rng([seed, pose_style, 11])
        self._level = MIN_LEVEL
        self._envelope = 0.0
        self._trend = 0.0
        self._nod = 0.0
        self._turning = np.zeros(2)  # two smoothers in a row: a turn starts and ends gently
        self._turn = np.zeros(2)
        self._target = np.zeros(2)
        self._out = np.zeros(3)
        self._side = self._rng.choice([-1.0, 1.0], size=2)
        self._phrase_frames = 0
        # The nods' own draws, apart from the turns', so a seed keeps its turns and tilts.
        self._nod_rng = np.random.default_rng([seed, pose_style, 12])
        self._coupling = float(self._nod_rng.uniform(*NOD_COUPLING))
        self._bob_gain = _bob_gain(fps)
        self._bob_fast = 0.0
        self._bob_trend = 0.0
        self._spread2 = TYPICAL_SPREAD**2

    def frame(self, audio_16k: np.ndarray | None) -> dict[str, float]:
        """The offsets of the next frame; `audio_16k` is its sound, None when the face is not speaking."""
        speaking = audio_16k is not None
        rms = 0.0
        if audio_16k is not None and len(audio_16k):
            rms = float(np.sqrt(np.mean(np.square(audio_16k, dtype=np.float64))))
        self._level = max(rms, MIN_LEVEL, self._level * (1 - _follow(LEVEL_DECAY_S, self.fps)))
        self._envelope += _follow(SPEECH_SMOOTH_S, self.fps) * (rms / self._level - self._envelope)
        self._trend += _follow(TREND_S, self.fps) * (self._envelope - self._trend)
        emphasis = float(np.clip((self._envelope - self._trend) / EMPHASIS_STD, -MAX_EMPHASIS, MAX_EMPHASIS))
        self._bob_fast += _follow(NOD_BOB_S, self.fps) * (self._nod_rng.standard_normal() - self._bob_fast)
        self._bob_trend += _follow(EMPHASIS_TREND_S, self.fps) * (self._bob_fast - self._bob_trend)
        nod = 0.0  # a listening head does not nod to the fading of the last word
        if speaking:
            self._spread2 += _follow(SPREAD_S, self.fps) * (emphasis**2 - self._spread2)
            bob = (self._bob_fast - self._bob_trend) * self._bob_gain * np.sqrt(self._spread2)
            nod = self._coupling * emphasis + np.sqrt(1 - self._coupling**2) * bob
        self._nod += _follow(NOD_SMOOTH_S, self.fps) * (nod - self._nod)
        if speaking:
            if self._phrase_frames % round(PHRASE_MAX_S * self.fps) == 0:  # a new phrase turns to a side
                self._target = self._side * self._rng.uniform(*PHRASE_SIZE, size=2)
                self._side = self._side * np.where(self._rng.random(2) < PHRASE_SWITCH, -1.0, 1.0)
            self._phrase_frames += 1
        else:
            self._target, self._phrase_frames = np.zeros(2), 0
        self._turning += _follow(PHRASE_SMOOTH_S, self.fps) * (self._target - self._turning)
        self._turn += _follow(PHRASE_SMOOTH_S, self.fps) * (self._turning - self._turn)
        driven = self._amp * np.array([self._turn[0], self._nod, self._turn[1]])
        self._out += _follow(FINAL_SMOOTH_S, self.fps) * (driven - self._out)
        return {"yaw": float(self._out[0]), "pitch": float(self._out[1]), "roll": float(self._out[2])}
