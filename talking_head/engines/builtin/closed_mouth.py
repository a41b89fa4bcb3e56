"""A photo with parted lips, brought to a closed, relaxed mouth before anything moves.

An open-mouthed photo (a frame taken mid-word) would otherwise keep its opening:
the warp brings the inner-lip landmarks together, but the darker inner band of
each open lip (the wet side, which rolls in when lips close) and any teeth left
on the line stay as a dark seam that a viewer, and a landmark model, reads as an
open mouth. So the face is warped once to its rest pose (the lips pressed to the
bite line: `Deformer` does that for a parted photo), the dark band along the
meeting line is painted over from the lip around it, and that closed photo
becomes the photo every frame is warped from: it opens from closed, with the
painted interior, like any closed-mouthed photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions

SEAM_IOD = 0.1  # how far either side of the meeting line the inner, darker band of an open lip is looked for
DARK_SHARE = 0.9  # pixels darker than this share of the lips' median brightness: inner lip and seam
INPAINT_PX = 3
RIM_IOD = 0.04  # the outer rim of the lips, where their own colour is read
TEETH_MARGIN = 10.0  # grey levels above the lips' bright rim
TEETH_SATURATION = 110  # of 255 (HSV): teeth are nearly colourless, lips are not


def close_seam(image: np.ndarray, landmarks: np.ndarray, iod: float) -> np.ndarray:
    """`image` with the dark seam along its (closed) inner lip line painted over with lip colour."""
    inner = np.array([landmarks[i, :2] for i in regions.LIPS_INNER_UPPER + regions.LIPS_INNER_LOWER[::-1]], np.float64)
    outer = np.array([landmarks[i, :2] for i in regions.LIPS_OUTER_UPPER + regions.LIPS_OUTER_LOWER[::-1]], np.float64)
    band = np.zeros(image.shape[:2], np.uint8)
    thickness = max(2, round(2 * SEAM_IOD * iod))
    cv2.polylines(band, [np.round(inner).astype(np.int32)], True, 1, thickness)
    lips = np.zeros_like(band)
    cv2.fillPoly(lips, [np.round(outer).astype(np.int32)], 1)
    band &= lips
    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    lip_pixels = luma[(lips > 0) & (band == 0)]
    rim = np.zeros_like(band)
    cv2.polylines(rim, [np.round(outer).astype(np.int32)], True, 1, max(2, round(RIM_IOD * iod)))
    rim_pixels = luma[(rim > 0) & (lips > 0)]
    if not len(lip_pixels) or not len(rim_pixels):
        return image
    seam = (band > 0) & (luma < DARK_SHARE * float(np.median(lip_pixels)))
    # Teeth squeezed between the lips: brighter than anything on the lips' rim, and nearly colourless.
    saturation = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1]
    seam |= (lips > 0) & (luma > float(np.percentile(rim_pixels, 90)) + TEETH_MARGIN) & (saturation < TEETH_SATURATION)
    if not seam.any():
        return image
    mask = cv2.dilate(seam.astype(np.uint8), np.ones((3, 3), np.uint8))
    return cv2.inpaint(image, mask, INPAINT_PX, cv2.INPAINT_TELEA)
