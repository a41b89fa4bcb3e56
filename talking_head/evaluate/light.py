"""Light on the face: how much the face's brightness, and the balance of its two cheeks, change over a video.

A real face turning and nodding under a room's light changes both (the footage clips: the cheeks'
balance 6.6-9.8 % of the face's brightness, std over a clip, the face's level 1.2-2.3 %); a photo whose
shading never changes reads as a still picture moved about. Sampled on both cheeks and the forehead,
each the median of a disc (so that a landmark's drift onto an edge does not count).
"""

from __future__ import annotations

import numpy as np

from ..face.regions import inter_ocular
from .background import luma

RIGHT_CHEEK, LEFT_CHEEK, FOREHEAD = 205, 425, 151  # face mesh landmarks
SAMPLE_IOD = 0.12  # the discs' radius


def _disc_luma(frame: np.ndarray, centre: np.ndarray, radius: float) -> float:
    h, w = frame.shape[:2]
    x0, x1 = int(max(centre[0] - radius, 0)), int(min(centre[0] + radius + 1, w))
    y0, y1 = int(max(centre[1] - radius, 0)), int(min(centre[1] + radius + 1, h))
    if x1 <= x0 or y1 <= y0:
        return float("nan")
    ys, xs = np.mgrid[y0:y1, x0:x1]
    inside = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2
    pixels = frame[y0:y1, x0:x1][inside]
    return float(np.median(luma(pixels))) if len(pixels) else float("nan")


class LightMeter:
    """Feed it frames with their landmarks; `result()` says how much the light on the face changed."""

    def __init__(self):
        self.levels: list[float] = []
        self.balances: list[float] = []

    def add(self, frame: np.ndarray, landmarks: np.ndarray) -> None:
        points = landmarks[:, :2]
        radius = SAMPLE_IOD * inter_ocular(points)
        right, left, forehead = (_disc_luma(frame, points[i], radius) for i in (RIGHT_CHEEK, LEFT_CHEEK, FOREHEAD))
        self.levels.append((right + left + forehead) / 3)
        self.balances.append(right - left)

    def result(self) -> dict:
        """`level_pct`: std of the face's brightness over its mean; `balance_pct`: std of the cheeks'
        difference over the same mean (None without two frames of a face)."""
        levels, balances = np.asarray(self.levels), np.asarray(self.balances)
        keep = np.isfinite(levels) & np.isfinite(balances)
        if keep.sum() < 2 or levels[keep].mean() <= 0:
            return {"level_pct": None, "balance_pct": None}
        mean = float(levels[keep].mean())
        return {
            "level_pct": round(100 * float(levels[keep].std()) / mean, 2),
            "balance_pct": round(100 * float(balances[keep].std()) / mean, 2),
        }
