"""Brow, gaze and eyelid motion and lip closures: how much of the face besides the opening mouth moves.

Both are measured the same way on a made video and on real footage, so the two
can be compared number for number (`bench/footage_compare.py`).
"""

from __future__ import annotations

import numpy as np

from ..face import regions

CLOSED_IOD = 0.04  # lips nearer than this (inner-lip gap over inter-ocular distance) count as closed
REOPENED_IOD = 0.07  # and must part this far before the next closure counts (hysteresis against tracker noise)
MIN_SPEECH_S = 1.0


def brow_height(landmarks: np.ndarray) -> float:
    """Brows above the eye corners, along the face's own vertical, in inter-ocular units.

    Eye corners, not lids: a blink must not read as a brow moving.
    """
    pts = landmarks[:, :2].astype(np.float64)
    right = pts[list(regions.RIGHT_EYE_CORNERS)].mean(axis=0)
    left = pts[list(regions.LEFT_EYE_CORNERS)].mean(axis=0)
    across = left - right
    iod = max(float(np.linalg.norm(across)), 1e-6)
    up = np.array([across[1], -across[0]]) / iod
    brows = pts[list(regions.RIGHT_BROW + regions.LEFT_BROW)].mean(axis=0)
    return float((brows - (right + left) / 2) @ up) / iod


def _spread(per_frame: np.ndarray) -> float | None:
    values = np.asarray(per_frame, float)
    values = values[np.isfinite(values)]
    return round(float(np.std(values)), 5) if len(values) >= 3 else None


def brow_motion(heights: np.ndarray) -> float | None:
    """Std of brow height (inter-ocular units) over the frames with a face."""
    return _spread(heights)


def mouth_width(landmarks: np.ndarray) -> float:
    """Mouth corner to corner, in inter-ocular units."""
    pts = landmarks[:, :2].astype(np.float64)
    right, left = regions.MOUTH_CORNERS
    return float(np.linalg.norm(pts[left] - pts[right])) / max(regions.inter_ocular(landmarks), 1e-6)


def mouth_width_motion(widths: np.ndarray) -> float | None:
    """Std of the mouth's width over its median, over the frames with a face: how far the lips round ("oo")
    and spread ("ee"), whatever the mouth's own size."""
    values = np.asarray(widths, float)
    values = values[np.isfinite(values)]
    return _spread(values / np.median(values)) if len(values) else None


def eye_opening_motion(ear: np.ndarray, blinks: list[tuple[int, int]]) -> float | None:
    """Std of the eyes' opening (eye aspect ratio) over its median, the `blinks` (from `blinks.blink_frames`)
    left out: how much the lids narrow and widen while the eyes are open."""
    values = np.asarray(ear, float).copy()
    for start, end in blinks:
        values[start:end] = np.nan
    values = values[np.isfinite(values)]
    return _spread(values / np.median(values)) if len(values) else None


def gaze_across(landmarks: np.ndarray) -> float:
    """Where the irises sit between their eye corners, sideways along the eye line, in inter-ocular units
    (both eyes' mean; 0 centred, positive toward the image's right)."""
    pts = landmarks[:, :2].astype(np.float64)
    right = pts[list(regions.RIGHT_EYE_CORNERS)].mean(axis=0)
    left = pts[list(regions.LEFT_EYE_CORNERS)].mean(axis=0)
    across = left - right
    iod = max(float(np.linalg.norm(across)), 1e-6)
    irises = pts[[regions.RIGHT_IRIS[0], regions.LEFT_IRIS[0]]]
    return float(((irises[0] - right) + (irises[1] - left)) @ across) / (2 * iod * iod)


def gaze_motion(offsets: np.ndarray) -> float | None:
    """Std of the irises' sideways place (`gaze_across`, inter-ocular units) over the frames with a face.

    Sideways only: the iris's height reads a blink as a look down.
    """
    return _spread(offsets)


def closures_per_second(opening: np.ndarray, speech: np.ndarray, fps: float) -> float | None:
    """Lip closures per second of speech: the mouth coming down to under `CLOSED_IOD` from over `REOPENED_IOD`.

    Counted only where the closing frame lies in speech (pauses close the mouth once, not per word).
    """
    speech = np.asarray(speech, bool)
    seconds = speech.sum() / fps
    if seconds < MIN_SPEECH_S:
        return None
    count, is_open = 0, False
    for value, speaking in zip(np.asarray(opening, float), speech):
        if not np.isfinite(value):
            continue
        if value > REOPENED_IOD:
            is_open = True
        elif value < CLOSED_IOD and is_open:
            is_open = False
            count += speaking
    return round(float(count / seconds), 3)
