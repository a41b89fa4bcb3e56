"""A camera's grain: every frame carries fresh sensor noise of the photo's own strength.

A still photo warped frame by frame is frozen bit for bit wherever the face does
not reach (real footage changes 94-99% of its pixels across a strip of frames);
fresh grain of the strength the photo already shows makes it a camera again,
while a clean studio photo stays almost clean. The noise level is estimated
from the photo itself (Immerkaer's Laplacian-difference estimator, made robust
with the median so that texture and edges do not count as noise).
"""

from __future__ import annotations

import cv2
import numpy as np

MIN_SIGMA = 1.5  # grey levels: weaker grain is lost to the encoder's quantiser (background macroblocks skipped)
MAX_SIGMA = 2.5  # grey levels: stronger grain would cost the background its 35 dB and the encoder its bits
BANK = 4  # noise fields drawn once; each frame takes one at a random offset (4 x 32 x 32 variants)
PAD_PX = 32
MAX_STEP = 10  # grey levels: the grain is clipped to this (4 sigma at the most)
# Most of the grain's strength in blobs about this wide: the encoder's quantiser drops pixel-fine noise in
# flat areas (their macroblocks are skipped, frozen bit for bit) but keeps blobs. Radio2's first frame, still,
# through our encoder: unchanged across a strip 29 % with pixel-fine grain, 8 % with COARSE_SHARE 0.9 of 8 px
# blobs, for 41.2 -> 40.3 dB against the photo.
COARSE_PX = 8
COARSE_SHARE = 0.9
# Laplacian difference of two smoothers: white noise of std s gives a response of std 6 s.
_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
FLAT_SHARE = 0.3


def noise_sigma(image: np.ndarray) -> float:
    """The photo's noise in grey levels: Immerkaer's mean absolute response, over the flattest areas.

    Only the `FLAT_SHARE` of pixels with the least local gradient count, so edges and texture do not
    read as noise.
    """
    grey = image.astype(np.float32)
    channels = [grey] if grey.ndim == 2 else [grey[..., c] for c in range(grey.shape[2])]
    luma = np.mean(channels, axis=0)
    gradient = cv2.GaussianBlur(np.abs(cv2.Sobel(luma, -1, 1, 0)) + np.abs(cv2.Sobel(luma, -1, 0, 1)), (0, 0), 2)
    flat = gradient <= np.quantile(gradient, FLAT_SHARE)
    sigmas = []
    for channel in channels:
        response = np.abs(cv2.filter2D(channel, -1, _KERNEL, borderType=cv2.BORDER_REFLECT))
        sigmas.append(np.sqrt(np.pi / 2) * float(response[flat].mean()) / 6.0)
    return float(np.mean(sigmas))


class Grain:
    """Adds fresh grain to frames of one size: `add(frame)` in place.

    `face` (bool, frame-sized), where given, keeps the blobs off the face: it is redrawn every frame
    anyway, and blobs the size of a lip confuse a landmark tracker reading the mouth.
    """

    def __init__(self, shape: tuple[int, ...], sigma: float, seed: int = 0, face: np.ndarray | None = None):
        self.sigma = float(np.clip(sigma, MIN_SIGMA, MAX_SIGMA))
        self._rng = np.random.default_rng([seed, 11])
        h, w = shape[:2]
        # Brightness grain only, drawn once for a few fields: drawing it per frame (or per channel) would
        # cost more than the warp itself. Pixel-fine fields are taken at a random offset each frame; the
        # blobs (masked off the face) in place.
        size = (h + PAD_PX, w + PAD_PX)
        fine = self._rng.standard_normal((BANK, *size), np.float32) * np.sqrt(1 - COARSE_SHARE**2)
        coarse = self._rng.standard_normal((BANK, h // COARSE_PX + 2, w // COARSE_PX + 2), np.float32)
        blobs = np.stack(
            [cv2.resize(c, None, fx=COARSE_PX, fy=COARSE_PX, interpolation=cv2.INTER_LINEAR) for c in coarse]
        )[:, :h, :w]
        blobs *= COARSE_SHARE / max(float(blobs.std()), 1e-6)
        if face is not None:
            blobs[:, face] = 0.0
        self._fine = self._signed(fine, shape)
        self._blobs = self._signed(blobs, shape)
        self._shape = (h, w)
        self._last = -1

    def _signed(self, field: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Grain fields as their positive and negative parts in uint8: adding one and subtracting the other,
        both saturating, is the signed sum clipped to 0..255, at a fraction of the cost of a signed add."""
        bank = np.clip(np.rint(field * self.sigma), -MAX_STEP, MAX_STEP)[..., None]
        bank = np.repeat(bank, shape[2], axis=-1) if len(shape) == 3 else bank[..., 0]
        return np.maximum(bank, 0).astype(np.uint8), np.maximum(-bank, 0).astype(np.uint8)

    def add(self, frame: np.ndarray) -> np.ndarray:
        """`frame` (uint8) with this frame's grain, saturating at 0 and 255."""
        k = int(self._rng.integers(BANK - 1))
        k += k >= self._last  # never the same field twice in a row
        self._last = k
        dy, dx = (int(v) for v in self._rng.integers(PAD_PX, size=2))
        h, w = self._shape
        window = (k, slice(dy, dy + h), slice(dx, dx + w))
        (fine_up, fine_down), (blob_up, blob_down) = self._fine, self._blobs
        frame = cv2.subtract(cv2.add(frame, fine_up[window]), fine_down[window])
        return cv2.subtract(cv2.add(frame, blob_up[k]), blob_down[k])
