"""The canonical position of the lower face, and a mouth's shape in numbers.

Every frame is brought to one position by a similarity transform (shift,
turn, scale) fitted to points that move only with the head: the eye corners,
the nose bridge and the upper face oval. In that position the lower face of
any frame can be laid over any other frame's head. Lengths are in
inter-ocular distances (IOD) of the canonical face.
"""

from __future__ import annotations

import numpy as np

from ..face import regions

# Points that move with the head only: eye corners, nose bridge, the oval beside the eyes.
STABLE = (33, 133, 362, 263, 168, 6, 197, 195, 127, 356, 234, 454)
# The lower face's outline in the canonical crop: the jaw from one cheek round the chin to the other.
JAW = (132, 58, 172, 136, 150, 149, 176, 148, 152, 377, 400, 378, 379, 365, 397, 288, 361)
SUBNASALE = 2  # where the nose meets the upper lip
# The crop, in IOD, around the midpoint of the eyes: wide enough for both cheeks, tall to below the chin.
CROP_HALF_WIDTH_IOD = 1.2
CROP_TOP_IOD, CROP_BOTTOM_IOD = 0.35, 2.25
CHIN_PUSH_IOD = 0.12  # the mask reaches this far below the chin
SIDE_PULL_IOD = 0.06  # and stays this far inside the face's edge at the sides
DESCRIPTORS = ("opening", "width", "rounding", "jaw", "teeth", "nose_x", "nose_y")
SHAPE = slice(0, 5)  # the descriptors of the mouth itself; the last two say how the head is turned
TURN = slice(5, 7)  # the nose offset: how the head is turned (left-right) and tilted (up-down)


def similarity(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The 2x3 similarity (Umeyama, no reflection) that maps `source` points closest onto `target`."""
    mean_s, mean_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mean_s, target - mean_t
    covariance = t.T @ s / len(source)
    u, d, vt = np.linalg.svd(covariance)
    sign = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[-1] = -1
    rotation = u @ np.diag(sign) @ vt
    scale = float((d * sign).sum() / max((s**2).sum() / len(source), 1e-12))
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mean_t - matrix[:, :2] @ mean_s
    return matrix


def apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    return points[..., :2] @ matrix[:, :2].T + matrix[:, 2]


def invert(matrix: np.ndarray) -> np.ndarray:
    full = np.vstack([matrix, [0.0, 0.0, 1.0]])
    return np.linalg.inv(full)[:2]


class Canonical:
    """The canonical frame of one clip: crop size in pixels and the stable points' template.

    `iod_px` is the canonical inter-ocular distance (the clip's own median, so
    samples keep the footage's resolution).
    """

    def __init__(self, iod_px: float, template: np.ndarray | None = None):
        self.iod_px = float(iod_px)
        self.width = int(round(2 * CROP_HALF_WIDTH_IOD * iod_px)) // 2 * 2
        self.height = int(round((CROP_BOTTOM_IOD - CROP_TOP_IOD) * iod_px)) // 2 * 2
        self.eyes_mid = np.array([self.width / 2, -CROP_TOP_IOD * iod_px])
        self.template = template

    def eye_fit(self, landmarks: np.ndarray) -> np.ndarray:
        """The similarity that puts this face's eye centres where the canonical eyes are."""
        right, left = regions.eye_centres(landmarks)
        half = np.array([self.iod_px / 2, 0.0])
        return similarity(np.stack([right, left]), np.stack([self.eyes_mid - half, self.eyes_mid + half]))

    def fit(self, landmarks: np.ndarray) -> np.ndarray:
        """Image -> canonical similarity for one frame's landmarks."""
        if self.template is None:
            return self.eye_fit(landmarks)
        return similarity(landmarks[list(STABLE), :2].astype(np.float64), self.template)

    @classmethod
    def for_clip(cls, tracks: list[np.ndarray], iod_px: float) -> Canonical:
        """The canonical frame whose template is the mean of the clip's stable points, eyes levelled."""
        canonical = cls(iod_px)
        stable = list(STABLE)
        aligned = [apply(canonical.eye_fit(lm), lm[stable]) for lm in tracks]
        canonical.template = np.mean(aligned, axis=0)
        aligned = [apply(canonical.fit(lm), lm[stable]) for lm in tracks]
        canonical.template = np.mean(aligned, axis=0)
        return canonical

    def to_dict(self) -> dict:
        return {"iod_px": self.iod_px, "template": np.asarray(self.template).round(3).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Canonical:
        return cls(data["iod_px"], np.asarray(data["template"], np.float64))


def mouth_mask_polygon(points: np.ndarray, iod_px: float, lower: np.ndarray | None = None) -> np.ndarray:
    """The region a sample replaces, in canonical pixels: under the nose, across the cheeks, round the jaw.

    The top edge runs just below the nose over the smooth skin of the upper
    lip and cheeks; the sides run just inside the face's edge, over the
    cheeks (outside it is hair or background, which the sample's frame shows
    elsewhere); round the chin the edge is pushed down so that a chin lower
    or higher than the base frame's is covered. `lower`: the landmarks of a
    second face (the sample laid on this one) whose jaw, where it hangs lower, is covered too.
    """
    jaw = points[list(JAW), :2].astype(np.float64)
    if lower is not None:
        jaw[:, 1] = np.maximum(jaw[:, 1], lower[list(JAW), 1])
    centre = points[[regions.INNER_LIP_TOP, regions.INNER_LIP_BOTTOM], :2].mean(axis=0)
    outward = jaw - centre
    outward /= np.maximum(np.linalg.norm(outward, axis=1, keepdims=True), 1e-6)
    # How much each point of the jaw faces down (the chin: 1) rather than sideways (the cheeks: 0).
    down = np.clip(outward[:, 1:], 0.0, 1.0)
    jaw[:, 1:] += CHIN_PUSH_IOD * iod_px * down
    jaw -= SIDE_PULL_IOD * iod_px * (1 - down) * outward
    # The cheek ends of the jaw come in toward the mouth: the edge stays on the cheek, off the silhouette.
    for end in (0, -1):
        jaw[end] = jaw[end] + 0.25 * (centre - jaw[end])
    top_y = points[SUBNASALE, 1] + 0.06 * iod_px
    top = np.array([[jaw[-1, 0], top_y], [centre[0], top_y - 0.02 * iod_px], [jaw[0, 0], top_y]])
    return np.vstack([jaw, top]).astype(np.float32)


def _polygon_mean(luma: np.ndarray, polygon: np.ndarray) -> tuple[float, float]:
    """Share of bright, unsaturated-looking pixels inside `polygon` and the polygon's area in pixels."""
    import cv2

    mask = np.zeros(luma.shape, np.uint8)
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    area = float(mask.sum())
    if area < 4:
        return 0.0, area
    return float((luma[mask > 0] > 150).mean()), area


def descriptors(points: np.ndarray, crop: np.ndarray | None, iod_px: float) -> np.ndarray:
    """One sample's shape: inner-lip opening, width, rounding, jaw drop, teeth showing, nose offset.

    All in IOD of the canonical face but `teeth` (share of bright pixels inside the inner lips).
    """
    p = points[:, :2]
    opening = np.linalg.norm(p[regions.INNER_LIP_TOP] - p[regions.INNER_LIP_BOTTOM]) / iod_px
    corners = p[list(regions.MOUTH_CORNERS)]
    width = np.linalg.norm(corners[0] - corners[1]) / iod_px
    outer_height = np.linalg.norm(p[regions.OUTER_LIP_TOP] - p[regions.OUTER_LIP_BOTTOM]) / iod_px
    rounding = float(outer_height) / max(float(width), 1e-6)
    jaw = (p[regions.CHIN, 1] - p[SUBNASALE, 1]) / iod_px
    teeth = 0.0
    if crop is not None and opening > 0.02:
        inner = np.vstack([p[list(regions.LIPS_INNER_UPPER)], p[list(regions.LIPS_INNER_LOWER)][::-1]])
        luma = crop.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        teeth, _ = _polygon_mean(luma, inner)
    nose = head_turn(points, iod_px)
    return np.array([opening, width, rounding, jaw, teeth, nose[0], nose[1]], np.float32)


def head_turn(points: np.ndarray, iod_px: float) -> np.ndarray:
    """The nose tip's offset from where the nose meets the lip, in IOD: how the head is turned and tilted."""
    return (points[regions.NOSE_TIP, :2] - points[SUBNASALE, :2]) / iod_px
