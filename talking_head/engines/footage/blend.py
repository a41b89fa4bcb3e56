"""Laying a mouth sample into a frame without a seam: colour matched, blended band by band.

Multi-band blending (Burt & Adelson 1983): fine detail changes over a narrow
band at the mask's edge, broad shading over a wide one, so neither a hard
line nor a ghost shows. The colour of the sample is first matched to the
frame on the ring of skin where the two meet.
"""

from __future__ import annotations

import cv2
import numpy as np

LEVELS = 4  # pyramid levels: the widest band is 2**LEVELS times the finest
MAX_GAIN = 0.12  # colour correction at most this much either way, per channel
RING = (0.05, 0.6)  # the mask values counted as the ring where sample and frame meet


def match_colour(sample: np.ndarray, base: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`sample` scaled per channel so its mean on the blend ring equals the frame's there."""
    # Every third pixel each way: the means are the same, at a ninth of the cost.
    grid = mask[::3, ::3]
    ring = (grid > RING[0]) & (grid < RING[1])
    if ring.sum() < 16:
        return sample
    gain = (base[::3, ::3][ring].mean(axis=0) + 1.0) / (sample[::3, ::3][ring].mean(axis=0) + 1.0)
    gain = np.clip(gain, 1 - MAX_GAIN, 1 + MAX_GAIN).astype(np.float32)
    return sample * gain


def multiband(sample: np.ndarray, base: np.ndarray, mask: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """`sample` over `base` (float32 HxWx3) where `mask` (float32 HxW, 0..1) says, blended band by band."""
    h, w = mask.shape
    levels = max(1, min(levels, int(np.log2(max(1, min(h, w) // 8)))))
    gauss_s, gauss_b, gauss_m = [sample], [base], [mask]
    for _ in range(levels):
        gauss_s.append(cv2.pyrDown(gauss_s[-1]))
        gauss_b.append(cv2.pyrDown(gauss_b[-1]))
        gauss_m.append(cv2.pyrDown(gauss_m[-1]))
    blended = None
    for level in range(levels, -1, -1):
        size = (gauss_s[level].shape[1], gauss_s[level].shape[0])
        if level == levels:
            band_s, band_b = gauss_s[level], gauss_b[level]
        else:
            band_s = gauss_s[level] - cv2.pyrUp(gauss_s[level + 1], dstsize=size)
            band_b = gauss_b[level] - cv2.pyrUp(gauss_b[level + 1], dstsize=size)
        m = gauss_m[level][..., None]
        band = band_s * m + band_b * (1 - m)
        blended = band if blended is None else cv2.pyrUp(blended, dstsize=size) + band
    assert blended is not None  # levels >= 1: the loop ran
    return blended
