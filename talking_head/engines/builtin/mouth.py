"""What shows when the lips part: a dark cavity, a hint of upper teeth, the tongue.

The opening is parametrised by (u, v): u runs from one mouth corner (0) to
the other (1), v from the upper lip (0) to the lower lip (1). Colours come
from the photo's own lips and skin, so a grey photo gets a grey mouth.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions
from .mesh import Mesh
from .warp import affines

TEETH_IOD = 0.10  # height of the visible upper teeth
TEETH_HALF_WIDTH = 0.36  # share of the mouth width either side of the middle that has teeth
TONGUE_SHARE = 0.35  # the tongue fills this share of the opening from below
EDGE_PX = 1.5  # soft edge where the lips meet the opening


def _lip_pixels(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    outer = np.array([landmarks[i, :2] for i in regions.LIPS_OUTER_UPPER + regions.LIPS_OUTER_LOWER[::-1]], np.int32)
    inner = np.array([landmarks[i, :2] for i in regions.LIPS_INNER_UPPER + regions.LIPS_INNER_LOWER[::-1]], np.int32)
    cv2.fillPoly(mask, [outer], 1)
    cv2.fillPoly(mask, [inner], 0)
    pixels = image[mask.astype(bool)]
    return pixels if len(pixels) else image[mask.shape[0] // 2 : mask.shape[0] // 2 + 1, :].reshape(-1, 3)


class MouthPainter:
    """Paints the mouth opening of each frame over the warped photo."""

    def __init__(self, image: np.ndarray, landmarks: np.ndarray, iod: float, first_triangle: int, mesh: Mesh):
        self.first = first_triangle
        self.triangles = mesh.mouth
        self.upper, self.lower = list(mesh.bite_upper), list(mesh.bite_lower)
        self.iod = iod
        self.texture = np.zeros((len(mesh.points), 2))
        steps = len(self.upper) - 1
        for k, (top, bottom) in enumerate(zip(self.upper, self.lower)):
            self.texture[top] = (k / steps, 0.0)
            self.texture[bottom] = (k / steps, 1.0)
        for corner in regions.INNER_MOUTH_CORNERS:
            self.texture[corner, 1] = 0.5
        # A photo that shows its teeth keeps them; only the gap between the rows is painted.
        self.photo_teeth = mesh.shows_teeth
        lips = np.median(_lip_pixels(image, landmarks).astype(np.float32), axis=0)
        grey = float(np.ptp(image.reshape(-1, 3)[:: max(1, image.size // 30000)].astype(np.int16), axis=1).max()) < 8
        luma = float(lips.mean())
        self.cavity = lips * 0.3
        self.tongue = np.clip(lips * np.array([0.95, 0.7, 0.72]) + 10, 0, 255)
        self.teeth = np.array([236.0, 231.0, 218.0]) * np.clip(0.55 + luma / 300.0, 0.6, 1.0)
        if grey:
            self.cavity, self.tongue, self.teeth = (np.full(3, c.mean()) for c in (self.cavity, self.tongue, self.teeth))

    def paint(self, region: np.ndarray, index: np.ndarray, points: np.ndarray, origin: tuple[int, int]) -> None:
        """Draw the opening into `region` (the warped frame region, modified in place)."""
        inside = index >= self.first
        if not inside.any():
            return
        ys, xs = np.nonzero(inside)
        tri = index[ys, xs] - self.first
        a = affines(points[self.triangles], self.texture[self.triangles])[tri]
        gx, gy = xs + origin[0], ys + origin[1]
        u = np.clip(a[:, 0, 0] * gx + a[:, 1, 0] * gy + a[:, 2, 0], 0, 1)
        v = np.clip(a[:, 0, 1] * gx + a[:, 1, 1] * gy + a[:, 2, 1], 0, 1)
        gaps = np.linalg.norm(points[self.lower] - points[self.upper], axis=1)
        gap = np.interp(u * (len(gaps) - 1), np.arange(len(gaps)), gaps)
        from_top, from_bottom = v * gap, (1 - v) * gap
        across = np.abs(u - 0.5)

        depth = 1.0 - 0.45 * np.exp(-((v - 0.55) ** 2) / 0.08) * np.exp(-(across**2) / 0.05)
        colour = self.cavity[None, :] * depth[:, None]
        tongue_top = TONGUE_SHARE * gap * np.clip(1 - (across / 0.32) ** 2, 0, 1)
        tongue = np.clip((tongue_top - from_bottom) / 2.0, 0, 1) * np.clip(gap / (0.12 * self.iod), 0, 1)
        colour = colour * (1 - tongue[:, None]) + self.tongue[None, :] * tongue[:, None] * (0.7 + 0.3 * v[:, None])
        teeth_h = (0.0 if self.photo_teeth else TEETH_IOD * self.iod) * np.clip(1 - (across / TEETH_HALF_WIDTH) ** 4, 0, 1)
        teeth = np.clip((teeth_h - from_top) / 1.5, 0, 1)
        shade = (0.75 + 0.25 * np.clip(1 - from_top / np.maximum(teeth_h, 1e-3), 0, 1)) * (1 - 0.35 * across / TEETH_HALF_WIDTH)
        colour = colour * (1 - teeth[:, None]) + self.teeth[None, :] * (teeth * shade)[:, None]

        edge = np.clip(np.minimum(from_top, from_bottom) / EDGE_PX, 0, 1)
        edge = edge * edge * (3 - 2 * edge)
        old = region[ys, xs].astype(np.float32)
        region[ys, xs] = np.clip(old + edge[:, None] * (colour - old), 0, 255).astype(np.uint8)
