"""The share of pixels frozen bit for bit: a camera's grain changes every pixel a little in every frame.

Measured on a strip of frames spaced like the strips a viewer is shown
(`STRIP_FRAMES` frames `STRIP_STEP_S` apart, from the middle of the video).
"""

from __future__ import annotations

import numpy as np

STRIP_FRAMES = 8
STRIP_STEP_S = 0.24


def strip_indices(n_frames: int, fps: float) -> list[int]:
    """Frame indices of the strip: `STRIP_FRAMES` frames `STRIP_STEP_S` apart, centred in the video."""
    step = max(1, round(STRIP_STEP_S * fps))
    span = step * (STRIP_FRAMES - 1)
    start = max(0, (n_frames - 1 - span) // 2)
    return [i for i in range(start, start + span + 1, step) if i < n_frames]


def unchanged_share(frames: list[np.ndarray]) -> float | None:
    """Share of pixel positions whose value (every channel) is identical in all `frames`."""
    if len(frames) < 2:
        return None
    first = frames[0]
    same = np.ones(first.shape[:2], bool)
    for frame in frames[1:]:
        same &= (frame == first).all(axis=-1) if frame.ndim == 3 else frame == first
    return round(float(same.mean()), 4)
