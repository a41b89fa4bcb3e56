"""What shows when the lips part: a dark cavity, a hint of upper teeth, the tongue.

The opening lies between the two bite lines of the mesh. It is painted in a
frame aligned with the mouth corners: u runs from one corner (0) to the other
(1), and the upper and lower edges are smooth curves through the moved bite
points, so the opening has round, anti-aliased edges whatever the mesh does.
Colours come from the photo's own lips and skin, so a grey photo gets a grey mouth.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.interpolate import PchipInterpolator

from ...face import regions
from .mesh import Mesh

TEETH_IOD = 0.10  # height of the visible upper teeth
TEETH_HALF_WIDTH = 0.36  # share of the mouth width either side of the middle that has teeth
TONGUE_SHARE = 0.35  # the tongue fills this share of the opening from below
EDGE_PX = 1.2  # soft edge where the lips meet the opening
MIN_GAP_PX = 0.6  # narrower openings are left to the warp
CURVE_SAMPLES = 48


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

    def __init__(self, image: np.ndarray, landmarks: np.ndarray, iod: float, mesh: Mesh):
        self.upper, self.lower = list(mesh.bite_upper), list(mesh.bite_lower)
        self.iod = iod
        # A photo that shows its teeth keeps them; only the gap between the rows is painted.
        self.photo_teeth = mesh.shows_teeth
        lips = np.median(_lip_pixels(image, landmarks).astype(np.float32), axis=0)
        sample = image.reshape(-1, 3)[:: max(1, image.size // 30000)].astype(np.int16)
        grey = int(np.ptp(sample, axis=1).max()) < 8
        luma = float(lips.mean())
        self.cavity = lips * 0.32
        self.tongue = np.clip(lips * np.array([0.95, 0.72, 0.72]) + 8, 0, 255)
        self.teeth = np.array([218.0, 205.0, 178.0]) * np.clip(0.55 + luma / 300.0, 0.6, 1.0)
        if grey:
            self.cavity, self.tongue, self.teeth = (np.full(3, c.mean()) for c in (self.cavity, self.tongue, self.teeth))

    def paint(self, region: np.ndarray, points: np.ndarray, origin: tuple[int, int]) -> None:
        """Draw the opening into `region` (the warped frame region, modified in place)."""
        upper = points[self.upper] - origin
        lower = points[self.lower] - origin
        if np.max(np.linalg.norm(lower - upper, axis=1)) < MIN_GAP_PX:
            return
        left, right = upper[0], upper[-1]
        axis = (right - left) / max(np.linalg.norm(right - left), 1e-6)
        normal = np.array([-axis[1], axis[0]])  # points from the upper lip toward the lower
        length = max(np.linalg.norm(right - left), 1e-6)

        def to_mouth(xy):
            d = xy - left
            return d @ axis / length, d @ normal

        u_up, t_up = to_mouth(upper)
        u_low, t_low = to_mouth(lower)
        top = PchipInterpolator(*_monotone(u_up, t_up))
        bottom = PchipInterpolator(*_monotone(u_low, t_low))

        box = np.concatenate([upper, lower])
        x0, y0 = np.maximum(np.floor(box.min(axis=0)).astype(int) - 2, 0)
        x1, y1 = np.ceil(box.max(axis=0)).astype(int) + 3
        x1, y1 = min(x1, region.shape[1]), min(y1, region.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1]
        u, t = to_mouth(np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float64))
        inside_u = (u > 0) & (u < 1)
        uc = np.clip(u, 0, 1)
        t_top, t_bottom = top(uc), bottom(uc)
        gap = np.maximum(t_bottom - t_top, 1e-6)
        from_top, from_bottom = t - t_top, t_bottom - t
        edge = np.clip(np.minimum(from_top, from_bottom) / EDGE_PX + 0.5, 0, 1) * inside_u
        edge = edge * edge * (3 - 2 * edge) * np.clip(gap / (2 * EDGE_PX), 0, 1)
        keep = edge > 0.01
        if not keep.any():
            return
        u, v = uc[keep], np.clip(from_top[keep] / gap[keep], 0, 1)
        gap, from_top, from_bottom, edge = gap[keep], from_top[keep], from_bottom[keep], edge[keep]
        across = np.abs(u - 0.5)

        # The cavity darkens toward the throat and toward the corners.
        depth = (1.0 - 0.45 * np.exp(-((v - 0.55) ** 2) / 0.08) * np.exp(-(across**2) / 0.05)) * (1 - 0.4 * (2 * across) ** 4)
        colour = self.cavity[None, :] * depth[:, None]
        tongue_top = TONGUE_SHARE * gap * np.clip(1 - (across / 0.32) ** 2, 0, 1)
        tongue = np.clip((tongue_top - from_bottom) / 2.0, 0, 1) * np.clip(gap / (0.12 * self.iod), 0, 1)
        colour = colour * (1 - tongue[:, None]) + self.tongue[None, :] * (tongue * (0.65 + 0.3 * v))[:, None]
        if not self.photo_teeth:
            teeth_h = TEETH_IOD * self.iod * np.clip(1 - (across / TEETH_HALF_WIDTH) ** 4, 0, 1)
            teeth = np.clip((teeth_h - from_top) / 1.5, 0, 1)
            shade = (0.8 + 0.2 * np.clip(1 - from_top / np.maximum(teeth_h, 1e-3), 0, 1)) * (1 - 0.4 * across / TEETH_HALF_WIDTH)
            colour = colour * (1 - teeth[:, None]) + self.teeth[None, :] * (teeth * np.clip(shade, 0, 1))[:, None]

        flat = region[y0:y1, x0:x1].reshape(-1, 3)
        old = flat[keep].astype(np.float32)
        flat[keep] = np.clip(old + edge[:, None] * (colour - old), 0, 255).astype(np.uint8)
        region[y0:y1, x0:x1] = flat.reshape(y1 - y0, x1 - x0, 3)


def _monotone(u: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points sorted by u with repeats dropped, as the interpolator needs."""
    order = np.argsort(u, kind="stable")
    u, t = u[order], t[order]
    keep = np.concatenate([[True], np.diff(u) > 1e-6])
    return u[keep], t[keep]
