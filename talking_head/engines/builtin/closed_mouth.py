"""A photo with parted lips, brought to a closed, relaxed mouth before anything moves.

An open-mouthed photo (a frame taken mid-word, a laugh) would otherwise keep its opening. So the
face is warped once to its rest pose the way a jaw closes it: the chin and the lower lip come up by
the photo's own opening, whole lips keeping their thickness, and what lay between the lips (teeth,
tongue, the dark cavity) is squeezed to nothing on the line where the lips meet. An open lip shows
its darker, wet inner side, which rolls in when lips close: on each column the lips are drawn in
from their outer edges down to where their own colour begins, so that inner band (and any teeth
left on the line) goes too, and a thin soft lip line is shaded where they meet. That closed photo
becomes the photo every frame is warped from: it opens from closed, with the painted interior,
like any closed-mouthed photo.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions
from .deform import EXPRESSIONS, LIP_GAP_IOD, Deformer, expression_bases

DARK_SHARE = 0.85  # darker than this share of its lip's own brightness: the wet inner side or the cavity
TEETH_MARGIN = 30.0  # grey levels brighter than its lip, and nearly colourless: a tooth
TEETH_SATURATION = 90  # of 255 (HSV): teeth are nearly colourless, lips are not
MAX_ROLL_IN = 0.6  # at most this share of each lip's thickness rolls in
LIP_LINE_SHADE = 0.22  # where the lips meet, this much darker at the middle of the line
LIP_LINE_IOD = 0.012  # the line's half width (std of its profile)
MESH_POINTS = 468  # the face surface; the iris points do not belong to the lips


def closing_points(deformer: Deformer) -> np.ndarray:
    """Mesh points (N, 2) of the photo's face with its mouth closed the way a jaw closes it.

    The jaw comes up by the photo's own opening (the chin and the lower lip with it, the upper lip
    a little down); what gap is left between the inner lips is pressed shut on their middle line,
    and the bite lines fold into that line, so the teeth and the cavity are squeezed to nothing.
    """
    points = deformer.rest[:, :2].copy()
    points -= deformer.photo.gap_iod / LIP_GAP_IOD * deformer.bases[EXPRESSIONS.index("jaw")]
    landmarks = deformer.rest[:478].copy()
    landmarks[:, :2] = points[:478]
    tops, bottoms = list(regions.LIPS_INNER_UPPER[1:-1]), list(regions.LIPS_INNER_LOWER[1:-1])
    meet = (landmarks[tops, :2] + landmarks[bottoms, :2]) / 2
    points[:478] += expression_bases(landmarks, meet, deformer.frame, deformer.photo)["press"]
    # Points inside each lip move between what its outer and inner lines do (the bases move the
    # lines; left alone, a lip's inner rows would be overtaken by its edges and fold).
    rest = deformer.rest[:478, :2]
    moved = points[:478] - rest
    for inner_ids, outer_ids in (
        (regions.LIPS_INNER_UPPER, regions.LIPS_OUTER_UPPER),
        (regions.LIPS_INNER_LOWER, regions.LIPS_OUTER_LOWER),
    ):
        inside, share = _lip_interior(rest, inner_ids, outer_ids)
        for axis in (0, 1):
            at_outer = _line(np.column_stack([rest[:, 0], moved[:, axis]]), outer_ids, rest[:, 0])
            at_inner = _line(np.column_stack([rest[:, 0], moved[:, axis]]), inner_ids, rest[:, 0])
            points[:478][inside, axis] = (rest[:, axis] + at_outer + share * (at_inner - at_outer))[inside]
    mesh = deformer.mesh
    points[mesh.bite_upper[1:-1]] = points[tops]
    points[mesh.bite_lower[1:-1]] = points[bottoms]
    return points


def lip_edges(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """`landmarks` with each lip's inner line moved out to where the lip's own colour begins.

    On an open mouth the landmarker puts the inner lip line on the teeth or in the lip's dark, wet
    inner side; closing on that line would leave teeth and a dark band between the lips. Straight
    up (or down) from each inner point toward its outer lip line, past dark (the cavity, the wet
    side) and bright, colourless (teeth) pixels, at most `MAX_ROLL_IN` of the way; the lip's other
    points keep their place between its outer line and the moved inner line, so no triangle folds.
    """
    luma = image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    saturation = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1]
    h, w = luma.shape
    steps = np.linspace(0.0, 1.0, 21)
    moved = landmarks.copy()
    for inner_ids, outer_ids in (
        (regions.LIPS_INNER_UPPER, regions.LIPS_OUTER_UPPER),
        (regions.LIPS_INNER_LOWER, regions.LIPS_OUTER_LOWER),
    ):
        inner = landmarks[list(inner_ids), :2].astype(np.float64)
        outer = _line(landmarks, outer_ids, inner[:, 0])
        ys = inner[:, 1:2] + steps[None, :] * (outer - inner[:, 1])[:, None]
        cols = np.clip(np.round(inner[:, 0]).astype(int), 0, w - 1)[:, None]
        rows = np.clip(np.round(ys).astype(int), 0, h - 1)
        values, sat = luma[rows, cols], saturation[rows, cols]
        lip = values[1:-1][:, (steps >= 0.55) & (steps <= 0.85)]
        own, rim = float(np.median(lip)), float(np.percentile(lip, 90))
        other = (values < DARK_SHARE * own) | ((values > rim + TEETH_MARGIN) & (sat < TEETH_SATURATION))
        share = np.zeros(len(inner))
        for k in range(1, len(inner) - 1):
            first = np.flatnonzero(~other[k] & np.append(~other[k, 1:], True))
            share[k] = min(steps[first[0]] if len(first) else 0.0, MAX_ROLL_IN)
        # Neighbouring points roll in alike: a smooth lip edge, not a ragged one.
        share[1:-1] = np.convolve(np.pad(share[1:-1], 1, mode="edge"), np.ones(3) / 3, mode="valid")
        new_inner = inner[:, 1] + share * (outer - inner[:, 1])
        # Every point of this lip, column by column, keeps its share of the way from outer to inner line.
        inside, share_of = _lip_interior(landmarks[:, :2].astype(np.float64), inner_ids, outer_ids)
        line_o = _line(landmarks, outer_ids, landmarks[:, 0])
        order = np.argsort(inner[:, 0])
        line_new = np.interp(landmarks[:, 0], inner[order, 0], new_inner[order])
        moved[inside, 1] = (line_o + share_of * (line_new - line_o))[inside]
    return moved


def _line(landmarks: np.ndarray, ids: tuple[int, ...], xs: np.ndarray) -> np.ndarray:
    xy = landmarks[list(ids), :2].astype(np.float64)
    order = np.argsort(xy[:, 0])
    return np.interp(xs, xy[order, 0], xy[order, 1])


def close_seam(image: np.ndarray, landmarks: np.ndarray, iod: float) -> np.ndarray:
    """`image` with a soft lip line shaded where its closed lips meet (the inner lines of `landmarks`)."""
    h, w = image.shape[:2]
    corners = landmarks[list(regions.MOUTH_CORNERS), 0]
    x0, x1 = max(int(np.ceil(corners.min())), 0), min(int(np.floor(corners.max())), w - 1)
    if x1 - x0 < 4:
        return image
    xs = np.arange(x0, x1 + 1, dtype=np.float64)
    meet = _line(landmarks, regions.LIPS_INNER_UPPER, xs)
    ys = np.arange(h, dtype=np.float64)[:, None]
    along = np.clip(1 - ((xs - xs.mean()) / max((x1 - x0) / 2, 1.0)) ** 4, 0, 1)
    width = max(LIP_LINE_IOD * iod, 0.5)
    shade = 1 - LIP_LINE_SHADE * along * np.exp(-((ys - meet) ** 2) / (2 * width**2))
    out = image.copy()
    out[:, x0 : x1 + 1] = np.clip(image[:, x0 : x1 + 1].astype(np.float32) * shade[..., None], 0, 255).astype(np.uint8)
    return out


def _lip_interior(xy: np.ndarray, inner_ids: tuple[int, ...], outer_ids: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Which of the points `xy` lie inside one lip, and each one's share of the way from its outer line (0)
    to its inner line (1), column by column."""
    inner = xy[list(inner_ids)]
    order = np.argsort(inner[:, 0])
    line_o = _line(xy, outer_ids, xy[:, 0])
    line_i = np.interp(xy[:, 0], inner[order, 0], inner[order, 1])
    span = line_i - line_o
    share = (xy[:, 1] - line_o) / np.where(np.abs(span) > 0.5, span, np.inf)
    x_min, x_max = inner[order[[0, -1]], 0]
    inside = (share > 0.02) & (share <= 1.001) & (xy[:, 0] > x_min) & (xy[:, 0] < x_max)
    inside[list(outer_ids)] = False
    inside[MESH_POINTS:] = False
    return inside, np.minimum(share, 1.0)
