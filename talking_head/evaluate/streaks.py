"""Edge streaks: frame area that repeats a photo's edge pixels, as a framing that runs off the photo makes.

Repeating the last row (or column) of a photo fills the rest of the frame with
straight streaks side by side: each constant along its length, neighbours
differing as much as the edge pixels they repeat. Real pictures rarely hold
that: a pole or a door frame is one straight edge, not a band of them, and a
soft fold of cloth drifts in tone along its length. So the measure counts
pixels in bands `BAND_PX` wide where every column (or row) stays constant for
`RUN_PX` or more (within `FLAT_RANGE` grey levels, which survives video
coding) and most of them (`TEXTURED_SHARE`) differ from their neighbours
`ACROSS_SPAN_PX` away by `ACROSS_STEP` grey levels or more, averaged along the run.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

RUN_PX = 24
FLAT_RANGE = 3.0  # grey levels a streak varies by along its length
BAND_PX = 16
TEXTURED_SHARE = 0.75
ACROSS_SPAN_PX = 3  # the step across is taken between pixels this far either side
ACROSS_STEP = 4.0


def _window_sum(x: np.ndarray, n: int) -> np.ndarray:
    """Sums of `n` consecutive entries along axis 0 (one per window start)."""
    c = np.concatenate([np.zeros((1,) + x.shape[1:], np.float64), np.cumsum(x, axis=0, dtype=np.float64)])
    return c[n:] - c[:-n]


def _vertical(grey: np.ndarray) -> np.ndarray:
    """Pixels on vertical streaks (runs down a column)."""
    h, w = grey.shape
    if h < RUN_PX or w < BAND_PX + 2 * ACROSS_SPAN_PX:
        return np.zeros((h, w), bool)
    # Range of each window of RUN_PX rows, indexed by its first row.
    start = -(RUN_PX // 2)
    spread = maximum_filter1d(grey, RUN_PX, axis=0, origin=start) - minimum_filter1d(grey, RUN_PX, axis=0, origin=start)
    s = ACROSS_SPAN_PX
    across = np.zeros_like(grey)
    across[:, s:-s] = np.abs(grey[:, 2 * s :] - grey[:, : -2 * s])
    runs = (spread[: h - RUN_PX + 1] <= FLAT_RANGE).astype(np.float32)  # windows that stay constant
    textured = (_window_sum(across, RUN_PX)[: len(runs)] / RUN_PX >= ACROSS_STEP).astype(np.float32)
    # Bands of such windows side by side (sums across the columns, one per band start).
    band_runs = _window_sum(runs.T, BAND_PX).T >= BAND_PX - 0.5
    band_textured = _window_sum(textured.T, BAND_PX).T >= TEXTURED_SHARE * BAND_PX
    starts = (band_runs & band_textured).astype(np.float32)  # (h - RUN_PX + 1, w - BAND_PX + 1)
    # Every pixel of a qualifying band window is on a streak.
    down = _window_sum(np.pad(starts, ((RUN_PX - 1, RUN_PX - 1), (0, 0))), RUN_PX)
    covered = _window_sum(np.pad(down, ((0, 0), (BAND_PX - 1, BAND_PX - 1))).T, BAND_PX).T
    return covered > 0


def streak_mask(frame: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels on an edge streak, vertical or horizontal."""
    grey = (
        frame.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        if frame.ndim == 3
        else frame.astype(np.float32)
    )
    return _vertical(grey) | _vertical(grey.T).T


def streak_share(frame: np.ndarray) -> float:
    """Share of the frame on edge streaks (0..1)."""
    return float(streak_mask(frame).mean())
