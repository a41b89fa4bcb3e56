"""How soft a photo's edges are, so that what is painted into it is no sharper.

An edge blurred by a Gaussian of width s has its steepest gradient fall by
s / sqrt(s² + b²) when blurred again by b; measured on a photo's strongest
edges, that ratio gives s (the re-blur estimate of Crété-Roffet et al.,
2007). A painted edge crisper than the photo's own is what a viewer picks out.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions

REBLUR_PX = 1.5  # the second blur's width
STRONGEST_SHARE = 0.1  # the steepest tenth of the gradients inside the mask are the edges measured
MAX_RATIO = 0.99  # a ratio this near one is a featureless patch (no edge to measure)
EYE_BAND_IOD = 0.04  # the band along the eye outlines measured for the photo's own sharpness
MIN_BAND_PX = 2


def _gradient(luma: np.ndarray) -> np.ndarray:
    return np.hypot(cv2.Sobel(luma, cv2.CV_32F, 1, 0), cv2.Sobel(luma, cv2.CV_32F, 0, 1))


def edge_blur_px(luma: np.ndarray, mask: np.ndarray) -> float:
    """The Gaussian width (pixels) of the strongest edges in `luma` (2-D, float32) where `mask` is set."""
    before = _gradient(luma)[mask]
    after = _gradient(cv2.GaussianBlur(luma, (0, 0), REBLUR_PX))[mask]
    if len(before) == 0:
        return 0.0
    steepest = before >= np.percentile(before, 100 * (1 - STRONGEST_SHARE))
    ratio = min(float(after[steepest].mean()) / max(float(before[steepest].mean()), 1e-6), MAX_RATIO)
    return REBLUR_PX * ratio / float(np.sqrt(1 - ratio * ratio))


def outline_mask(shape: tuple[int, ...], outlines: list[np.ndarray], width_px: float) -> np.ndarray:
    """A band `width_px` wide along each closed outline ((N, 2) points), as a boolean image."""
    mask = np.zeros(shape[:2], np.uint8)
    thickness = max(MIN_BAND_PX, round(width_px))
    cv2.polylines(mask, [np.round(o).astype(np.int32) for o in outlines], True, 1, thickness)
    return mask.astype(bool)


def luma_of(image: np.ndarray) -> np.ndarray:
    """An RGB image's luma (Rec. 601 weights), float32."""
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def eye_blur_px(image: np.ndarray, landmarks: np.ndarray) -> float:
    """The photo's own sharpness: the blur of its eye outlines, which every portrait shows in focus."""
    eyes = [landmarks[list(eye), :2] for eye in (regions.RIGHT_EYE, regions.LEFT_EYE)]
    band = EYE_BAND_IOD * regions.inter_ocular(landmarks)
    return edge_blur_px(luma_of(image), outline_mask(image.shape, eyes, band))
