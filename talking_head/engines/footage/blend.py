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


def colour_gain(sample: np.ndarray, base: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-channel gain that makes `sample`'s mean on the blend ring equal the frame's there (HxWx3, any dtype)."""
    # Every third pixel each way: the means are the same, at a ninth of the cost.
    grid = mask[::3, ::3]
    ring = ((grid > RING[0]) & (grid < RING[1])).astype(np.uint8)
    if cv2.countNonZero(ring) < 16:
        return np.ones(3, np.float32)
    base_mean = np.array(cv2.mean(np.ascontiguousarray(base[::3, ::3]), ring)[:3])
    sample_mean = np.array(cv2.mean(np.ascontiguousarray(sample[::3, ::3]), ring)[:3])
    return np.clip((base_mean + 1.0) / (sample_mean + 1.0), 1 - MAX_GAIN, 1 + MAX_GAIN).astype(np.float32)


def multiband(sample: np.ndarray, base: np.ndarray, mask: np.ndarray, levels: int = LEVELS) -> np.ndarray:
    """`sample` over `base` (float32 HxWx3) where `mask` (float32 HxW, 0..1) says, blended band by band."""
    h, w = mask.shape
    levels = max(1, min(levels, int(np.log2(max(1, min(h, w) // 8)))))
    # The bands are linear in the image: blending sample and base band by band is adding to the base the
    # bands of their difference, each weighted by the mask at its scale (one pyramid, not two).
    gauss_d, gauss_m = [sample - base], [mask]
    for _ in range(levels):
        gauss_d.append(cv2.pyrDown(gauss_d[-1]))
        gauss_m.append(cv2.pyrDown(gauss_m[-1]))
    gauss_m = [cv2.merge([m, m, m]) for m in gauss_m]
    change = gauss_d[levels] * gauss_m[levels]
    for level in range(levels - 1, -1, -1):
        size = (gauss_d[level].shape[1], gauss_d[level].shape[0])
        band = gauss_d[level] - cv2.pyrUp(gauss_d[level + 1], dstsize=size)
        band *= gauss_m[level]
        change = cv2.pyrUp(change, dstsize=size)
        change += band
    change += base
    return change
