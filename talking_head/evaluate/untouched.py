"""How far a dubbed video stays the clip it dubs: PSNR outside the lower face, frame i against frame i.

The lower face is found in each source frame by its own landmarks (the face
oval below the nose), widened by `MARGIN_IOD`; everything else in the frame
(eyes, brows, hair, background) should be the clip's own pixels, up to the
encoder.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..face import regions
from ..face.tracking import FaceTracker
from .decode import iter_frames

MARGIN_IOD = 0.3
LOWER_OVAL = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
UNDER_NOSE = (98, 2, 327)  # the nose's lower edge: wings and the point above the lip


def lower_face_mask(shape: tuple[int, int], landmarks: np.ndarray, margin_iod: float = MARGIN_IOD) -> np.ndarray:
    """True over the lower face: below the nose, inside the jaw, widened by `margin_iod`."""
    points = landmarks[[*LOWER_OVAL, *UNDER_NOSE[::-1]], :2]
    mask = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(mask, np.round(cv2.convexHull(points.astype(np.float32))).astype(np.int32), 1)
    radius = max(1, round(margin_iod * regions.inter_ocular(landmarks)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask, kernel).astype(bool)


def untouched_psnr(video: str | Path, clip: str | Path) -> dict:
    """PSNR (dB) of `video` against `clip` outside the lower face, over the frames both have.

    `psnr_db` from the mean squared error of all those pixels; `worst_db` the
    worst single frame; `frames` compared.
    """
    tracker = FaceTracker()
    total, count, worst, frames = 0.0, 0, float("inf"), 0
    for (_, made), (_, source) in zip(iter_frames(video), iter_frames(clip)):
        if made.shape != source.shape:
            source = cv2.resize(source, (made.shape[1], made.shape[0]), interpolation=cv2.INTER_AREA)
        landmarks = tracker.find(source)
        keep = (
            ~lower_face_mask(source.shape[:2], landmarks) if landmarks is not None else np.ones(source.shape[:2], bool)
        )
        error = (made[keep].astype(np.float32) - source[keep].astype(np.float32)) ** 2
        total += float(error.sum())
        count += error.size
        worst = min(worst, _psnr(float(error.mean())))
        frames += 1
    return {
        "psnr_db": round(_psnr(total / max(count, 1)), 2) if frames else None,
        "worst_db": round(worst, 2) if frames else None,
        "frames": frames,
    }


def _psnr(mse: float) -> float:
    return float(10 * np.log10(255.0**2 / mse)) if mse > 0 else 99.0
