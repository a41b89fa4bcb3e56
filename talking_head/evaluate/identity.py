"""Identity: does the upper face (eyes, brows, nose) still look like the photo's?

Both faces are brought to one canonical patch by a similarity transform on
the rigid landmarks (nose bridge and tip, eye corners, temples), turned to
luma and lightly blurred (compression noise is not a change of identity);
their zero-mean normalised cross-correlation inside the upper-face outline is
the score: 1 is the same picture, a different person scores well below.
The mouth and jaw are left out because they are meant to move.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..face import regions

PATCH_PX = 128
EYE_SPAN = 0.42  # canonical inter-ocular distance, as a share of the patch side
EYE_HEIGHT = 0.4  # canonical eye line, as a share of the patch side from the top
BLUR_SIGMA_PX = 1.0
UPPER_FACE = (
    *regions.RIGHT_EYE,
    *regions.LEFT_EYE,
    *regions.RIGHT_BROW,
    *regions.LEFT_BROW,
    1,
    4,
    5,
    6,
    168,
    195,
    197,
    98,
    327,
)
SAMPLES = 60  # frames compared, spread evenly over the video


def _canonical(landmarks: np.ndarray) -> np.ndarray:
    """Similarity transform (2x3) taking `landmarks` to the canonical patch (eyes level, fixed span)."""
    src = np.array(regions.eye_centres(landmarks), np.float64)
    dst = np.array(
        [
            [(0.5 - EYE_SPAN / 2) * PATCH_PX, EYE_HEIGHT * PATCH_PX],
            [(0.5 + EYE_SPAN / 2) * PATCH_PX, EYE_HEIGHT * PATCH_PX],
        ]
    )
    # Exact similarity from two point pairs.
    s, d = src[1] - src[0], dst[1] - dst[0]
    scale = np.linalg.norm(d) / max(float(np.linalg.norm(s)), 1e-6)
    angle = np.arctan2(d[1], d[0]) - np.arctan2(s[1], s[0])
    a, b = scale * np.cos(angle), scale * np.sin(angle)
    rot = np.array([[a, -b], [b, a]])
    t = dst[0] - rot @ src[0]
    return np.hstack([rot, t[:, None]])


def _patch(image: np.ndarray, to_patch: np.ndarray) -> np.ndarray:
    gray: np.ndarray = image.astype(np.float32)
    if gray.ndim == 3:
        gray = 0.299 * gray[..., 0] + 0.587 * gray[..., 1] + 0.114 * gray[..., 2]
    scale = float(np.sqrt(abs(np.linalg.det(to_patch[:, :2]))))
    if scale < 0.5:
        # Shrink most of the way with area averaging first, so the patch does not alias.
        small = cv2.resize(gray, None, fx=2 * scale, fy=2 * scale, interpolation=cv2.INTER_AREA)
        factor = small.shape[1] / gray.shape[1]
        to_patch = to_patch.copy()
        to_patch[:, :2] /= factor
        gray = small
    patch = cv2.warpAffine(
        gray, to_patch, (PATCH_PX, PATCH_PX), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return cv2.GaussianBlur(patch, (0, 0), BLUR_SIGMA_PX)


def _rigid_fit(landmarks: np.ndarray, reference_points: np.ndarray) -> np.ndarray:
    """Similarity transform taking this face's rigid landmarks onto the reference's canonical ones."""
    rigid = list(regions.RIGID)
    matrix, _ = cv2.estimateAffinePartial2D(
        landmarks[rigid, :2].astype(np.float32), reference_points[rigid].astype(np.float32)
    )
    return matrix if matrix is not None else _canonical(landmarks)


class IdentityMeter:
    """Compares the upper face of sampled frames with the reference photo's."""

    def __init__(self, reference: np.ndarray, reference_landmarks: np.ndarray, reference_kind: str):
        to_patch = _canonical(reference_landmarks)
        self.points = reference_landmarks[:, :2] @ to_patch[:, :2].T + to_patch[:, 2]
        self.patch = _patch(reference, to_patch)
        mask = np.zeros((PATCH_PX, PATCH_PX), np.uint8)
        hull = cv2.convexHull(np.round(self.points[list(UPPER_FACE)]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 1)
        self.mask = mask.astype(bool)
        self.kind = reference_kind
        self.scores: list[float] = []

    def score(self, frame: np.ndarray, landmarks: np.ndarray) -> float:
        """Normalised cross-correlation of this frame's upper face with the reference's."""
        patch = _patch(frame, _rigid_fit(landmarks, self.points))
        a = patch[self.mask] - patch[self.mask].mean()
        b = self.patch[self.mask] - self.patch[self.mask].mean()
        denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
        return float((a * b).sum() / denom) if denom > 0 else 0.0

    def add(self, frame: np.ndarray, landmarks: np.ndarray) -> None:
        self.scores.append(self.score(frame, landmarks))

    def result(self) -> dict:
        if not self.scores:
            return {"identity": None, "identity_min": None, "reference": self.kind}
        return {
            "identity": round(float(np.mean(self.scores)), 4),
            "identity_min": round(float(np.min(self.scores)), 4),
            "reference": self.kind,
        }
