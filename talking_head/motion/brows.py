"""Eyebrows lift a little on stressed words."""

from __future__ import annotations

import numpy as np

from ..speech.audio import ANALYSIS_RATE
from ..speech.timeline import Word

STRESS_QUANTILE = 0.75  # the loudest quarter of words count as stressed
MIN_GAP_S = 1.5  # brows do not flutter
ATTACK_S, RELEASE_S = 0.12, 0.35
LIFT = 0.7


def brow_track(words: list[Word], audio_16k: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """Brow raise 0..1 per frame."""
    brow = np.zeros(n_frames, np.float32)
    if not words:
        return brow
    peaks = []
    for w in words:
        chunk = audio_16k[int(w.start * ANALYSIS_RATE) : int(w.end * ANALYSIS_RATE)]
        peaks.append(float(np.sqrt(np.mean(chunk.astype(np.float64) ** 2))) if len(chunk) else 0.0)
    threshold = np.quantile(peaks, STRESS_QUANTILE)
    times = (np.arange(n_frames) + 0.5) / fps
    last = -np.inf
    for w, peak in zip(words, peaks):
        if peak < threshold or w.end - w.start < 0.18 or w.start - last < MIN_GAP_S:
            continue
        last = w.start
        rise = np.clip((times - (w.start - ATTACK_S)) / ATTACK_S, 0, 1)
        fall = np.clip(1 - (times - w.end) / RELEASE_S, 0, 1)
        pulse = np.where(times < w.end, rise, fall) * (times >= w.start - ATTACK_S)
        brow = np.maximum(brow, LIFT * np.sin(pulse * np.pi / 2) ** 2)
    return brow.astype(np.float32)
