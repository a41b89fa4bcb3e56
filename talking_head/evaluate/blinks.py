"""Blinks: short dips of the eye aspect ratio (EAR) under its running baseline.

The baseline is a running median, so slow changes (a nod, a look down) are
not blinks; a dip is a run of frames under `DIP_RATIO` of the baseline, and
dips closer than `MERGE_FRAMES` are one blink (a tracker flicker mid-blink).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import median_filter

BASELINE_S = 2.0  # running median window
DIP_RATIO = 0.8  # EAR under this share of the baseline: eyes closing
MERGE_FRAMES = 2
MAX_BLINK_S = 1.0  # longer closures are eyes shut, not blinks


def blink_frames(ear: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """Frame ranges [start, end) of each blink; frames without a face are never part of one."""
    ear = np.asarray(ear, float)
    found = np.isfinite(ear)
    if found.sum() < 3:
        return []
    filled = np.interp(np.arange(len(ear)), np.flatnonzero(found), ear[found])
    window = max(3, round(BASELINE_S * fps) | 1)
    baseline = median_filter(filled, size=window, mode="nearest")
    closed = found & (filled < DIP_RATIO * baseline)
    runs: list[list[int]] = []
    for i in np.flatnonzero(closed).tolist():
        if runs and i - runs[-1][1] <= MERGE_FRAMES:
            runs[-1][1] = i + 1
        else:
            runs.append([i, i + 1])
    return [(a, b) for a, b in runs if (b - a) <= MAX_BLINK_S * fps]


def blinks_per_minute(blinks: list[tuple[int, int]], ear: np.ndarray, fps: float) -> float | None:
    """Blinks (from `blink_frames`) a minute over the frames with a face; None for under a second of face."""
    seconds = np.isfinite(np.asarray(ear, float)).sum() / fps
    return round(len(blinks) / seconds * 60.0, 2) if seconds >= 1.0 else None


def blink_seconds(blinks: list[tuple[int, int]], fps: float) -> float | None:
    """The median blink's length in seconds (the frames it is found closing and closed); None without blinks."""
    lengths = [b - a for a, b in blinks]
    return round(float(np.median(lengths)) / fps, 3) if lengths else None
