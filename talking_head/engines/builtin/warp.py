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
    # In closed form from the edge vectors: a batched 3x3 solve costs four times as much per frame.
    e1, e2 = dst[:, 1] - dst[:, 0], dst[:, 2] - dst[:, 0]
    f1, f2 = src[:, 1] - src[:, 0], src[:, 2] - src[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    ok = np.abs(det) > 1e-9
    inv_det = (np.where(ok, 1.0, 0.0) / np.where(ok, det, 1.0))[:, np.newaxis]
    out = np.empty((len(dst), 3, 2))
    out[:, 0] = (e2[:, 1:2] * f1 - e1[:, 1:2] * f2) * inv_det
    out[:, 1] = (e1[:, 0:1] * f2 - e2[:, 0:1] * f1) * inv_det
    out[:, 2] = src[:, 0] - dst[:, 0, 0:1] * out[:, 0] - dst[:, 0, 1:2] * out[:, 1]
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
        self.sliver_box: tuple[slice, slice] | None = None

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
        moved = np.any(np.any(np.abs(points - self.rest) > STILL_PX, axis=1)[self.triangles], axis=1)
        slivers = np.nonzero(self.sliver & moved)[0]
        order = np.concatenate([slivers, np.nonzero(~self.sliver & moved)[0]])
        fixed = np.round((points - (self.x0, self.y0)) * (1 << SUBPIXEL_BITS)).astype(np.int32)
        corners = fixed[self.triangles]
        # Only where slivers were drawn can a sliver own a pixel: `maps` looks for them in this box alone.
        self.sliver_box = None
        if len(slivers):
            drawn = corners[slivers].reshape(-1, 2) >> SUBPIXEL_BITS
            (bx0, by0), (bx1, by1) = np.maximum(drawn.min(axis=0) - 1, 0), drawn.max(axis=0) + 2
            self.sliver_box = (slice(int(by0), int(by1)), slice(int(bx0), int(bx1)))
        self.index.fill(-1)
        # A list of the triangles' corner arrays: indexing the array in the loop costs a third of the loop.
        for i, triangle in zip(order.tolist(), list(corners[order])):
            cv2.fillConvexPoly(self.index, triangle, i, cv2.LINE_8, SUBPIXEL_BITS)
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
        if self.sliver_box is not None:
            rows, cols = self.sliver_box
            ys, xs = np.nonzero(np.append(self.sliver, False)[index[rows, cols]])
            if len(ys):
                ys, xs = ys + rows.start, xs + cols.start
                tri = self.rest[self.triangles[index[ys, xs]]]
                map_x[ys, xs] = np.clip(map_x[ys, xs], tri[:, :, 0].min(axis=1), tri[:, :, 0].max(axis=1))
                map_y[ys, xs] = np.clip(map_y[ys, xs], tri[:, :, 1].min(axis=1), tri[:, :, 1].max(axis=1))
        return map_x, map_y
