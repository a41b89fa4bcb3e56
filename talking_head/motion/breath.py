"""Breathing: a speaker breathes in during pauses and out slowly while talking; the chest and shoulders rise and fall with it."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .head import SETTLE_S

INHALE_S = 0.5  # time constant of the breath in, in a pause
EXHALE_S = 2.5  # and of the breath out, while talking
QUIET_HZ = 0.25  # a calm breath every four seconds when a pause runs long
MAX_TALK_S = 4.0  # talking on without a pause, a speaker still snatches a breath this often
SNATCH_S = 0.35  # taking this long over it
SMOOTH_S = 0.15


def breath_track(talk: np.ndarray, fps: float) -> np.ndarray:
    """Chest rise per frame, about -1 (breathed out) .. 1 (in); 0 is the photo. `talk`: 1 in speech, 0 in pauses."""
    n = len(talk)
    level, out = 0.0, np.zeros(n)
    pause_frames = talk_frames = 0
    for i in range(n):
        talk_frames = talk_frames + 1 if talk[i] else 0
        if talk_frames > MAX_TALK_S * fps:
            talk_frames = -round(SNATCH_S * fps)  # counts up through the snatched breath
        if talk[i] and talk_frames >= 0:
            level += (-1.0 - level) / (EXHALE_S * fps)
            pause_frames = 0
        elif talk[i]:
            level += (1.0 - level) / (INHALE_S * fps)
        else:
            level += (1.0 - level) / (INHALE_S * fps)
            pause_frames += 1
        # A pause longer than a second: calm breathing, in and out, around the breath taken.
        pause_s = pause_frames / fps
        out[i] = level - 0.6 * np.sin(2 * np.pi * QUIET_HZ * pause_s) * np.clip(pause_s - 1, 0, 1)
    out = gaussian_filter1d(out, SMOOTH_S * fps)
    settle = np.clip((np.arange(n) + 0.5) / (SETTLE_S * fps), 0, 1)
    return (out * settle).astype(np.float32)
