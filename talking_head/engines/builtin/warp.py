"""Piecewise-affine image warp over the mesh, drawn with OpenCV.

Each frame, the moved triangles are rasterised into a triangle-index map of
the region that can change; every pixel then looks up its triangle's affine
map back into the photo, and one `cv2.remap` draws the region.
"""

from __future__ import annotations

import cv2
import numpy as np

SUBPIXEL_BITS = 4  # fillConvexPoly's fixed-point precision
SLIVER_PX = 0.75  # triangles thinner than this are drawn first, under their neighbours
STILL_PX = 1e-3  # a triangle whose corners moved less than this keeps the identity map


def affines(dst: np.ndarray, src: np.ndarray) -> np.ndarray:
    """Per triangle, the (3, 2) matrix A with [x, y, 1] @ A = source point, for (T, 3, 2) corners.

    Degenerate triangles (no area, e.g. a closed mouth) get a constant map to their first corner.
    """
    m = np.concatenate([dst, np.ones(dst.shape[:2] + (1,))], axis=2)
    det = np.linalg.det(m)
    ok = np.abs(det) > 1e-9
    out = np.zeros((len(dst), 3, 2))
    out[:, 2, :] = src[:, 0, :]
    if ok.any():
        out[ok] = np.linalg.solve(m[ok], src[ok])
    return out


class Warper:
    """Warps one photo region by the mesh; reuses its buffers from frame to frame."""

    def __init__(self, triangles: np.ndarray, rest: np.ndarray, roi: tuple[int, int, int, int]):
        self.triangles = triangles
        self.rest = rest.astype(np.float64)  # (N, 2) point positions in the photo
        self.x0, self.y0, x1, y1 = roi
        self.shape = (y1 - self.y0, x1 - self.x0)
        # Full-resolution maps: interpolating coarser ones blurs where the lids fold over the eyes.
        ys, xs = np.mgrid[self.y0 : y1, self.x0 : x1]
        self.xs, self.ys = xs.astype(np.float32), ys.astype(np.float32)
        self.index = np.empty(self.shape, np.int32)

    def rasterise(self, points: np.ndarray) -> np.ndarray:
        """Triangle index of every region pixel for the moved `points` (-1 outside all).

        Slivers (a closed mouth, a shut eye) cover whole pixels along their
        edges but have no stable affine map, so they are drawn first and any
        proper triangle that touches the same pixel wins.
        """
        corners_f = points[self.triangles]
        edges = np.roll(corners_f, -1, axis=1) - corners_f
        a, b = edges[:, 0], -edges[:, 2]
        doubled_area = np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])
        height = doubled_area / np.maximum(np.linalg.norm(edges, axis=2).max(axis=1), 1e-9)
        self.sliver = height < SLIVER_PX
        # Triangles that did not move map to themselves: the index -1 (identity) already says so.
        moved = (np.abs(points - self.rest) > STILL_PX).any(axis=1)[self.triangles].any(axis=1)
        order = np.concatenate([np.nonzero(self.sliver & moved)[0], np.nonzero(~self.sliver & moved)[0]])
        fixed = np.round((points - (self.x0, self.y0)) * (1 << SUBPIXEL_BITS)).astype(np.int32)
        corners = fixed[self.triangles]
        self.index.fill(-1)
        for i in order.tolist():
            cv2.fillConvexPoly(self.index, corners[i], i, cv2.LINE_8, SUBPIXEL_BITS)
        return self.index

    def maps(self, points: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-pixel photo coordinates (map_x, map_y) of the region, for `cv2.remap`."""
        a = affines(points[self.triangles], self.rest[self.triangles])
        identity = np.array([[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
        a = np.concatenate([a, identity]).astype(np.float32)  # index -1 picks the identity
        # One flat lookup per coefficient is much faster than gathering (h, w, 3, 2) blocks.
        c = [np.take(a[:, row, col], index) for col in (0, 1) for row in (0, 1, 2)]
        map_x = c[0] * self.xs + c[1] * self.ys + c[2]
        map_y = c[3] * self.xs + c[4] * self.ys + c[5]
        # A sliver's map explodes off its thin axis: keep its pixels inside its source triangle's box.
        if self.sliver.any():
            ys, xs = np.nonzero(np.append(self.sliver, False)[index])
            if len(ys):
                tri = self.rest[self.triangles[index[ys, xs]]]
                map_x[ys, xs] = np.clip(map_x[ys, xs], tri[:, :, 0].min(axis=1), tri[:, :, 0].max(axis=1))
                map_y[ys, xs] = np.clip(map_y[ys, xs], tri[:, :, 1].min(axis=1), tri[:, :, 1].max(axis=1))
        return map_x, map_y
