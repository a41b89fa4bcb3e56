"""A photo with parted lips, brought to a closed, relaxed mouth before anything moves.

An open-mouthed photo (a frame taken mid-word, a laugh) would otherwise keep its opening. It is
warped once to its rest pose the way a jaw closes a mouth (`closing_points`): the lower lip comes up
whole by the photo's own opening, the chin rises with the jaw, the upper lip comes down a little,
and everything between the lips (teeth, tongue, cavity) is folded onto the line where they meet.
The landmarker puts an open mouth's inner lip line on the teeth or inside the lip's darker, wet
inner side, which rolls in when lips close, so that line is first moved out to where each lip's own
colour begins (`lip_edges`): what lay inside it folds away too. A soft lip line is shaded where the
lips meet (`close_seam`). That closed photo becomes the photo every frame is warped from: it opens
from closed, with the painted interior, like any closed-mouthed photo; a grin becomes a closed-lip
smile.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions
from .deform import JAW_ACROSS_SHARE, JAW_DROP_IOD, LIP_GAP_IOD, PRESS_FALLOFF_IOD, RING_EXPRESSION_SHARE, Deformer
from .sharpness import luma_of

DARK_SHARE = 0.85  # darker than this share of its lip's own brightness: the wet inner side or the cavity
TEETH_MARGIN = 30.0  # grey levels brighter than its lip, and nearly colourless: a tooth
TEETH_SATURATION = 90  # of 255 (HSV): teeth are nearly colourless, lips are not
MAX_ROLL_IN = 0.6  # at most this share of each lip's thickness rolls in
LIP_LINE_SHADE = 0.22  # where the lips meet, this much darker at the middle of the line
LIP_LINE_IOD = 0.012  # the line's half width (std of its profile)
CHIN_ROOM_SHARE = 0.5  # of the picture's room below the chin, at most this much is the chin's rise
KEEP_BELOW_CORNER = 0.3  # a lower-lip point coming up as a whole keeps this share of its depth under the corner
CORNER_LIFT = 0.7  # share of their drop below the closed line's middle that the mouth corners come up
UPPER_LIP_SHARE = 0.1  # of the opening, the upper lip's part in closing it; the jaw and lower lip do the rest
MESH_POINTS = 468  # the face surface; the iris points do not belong to the lips
CAVITY_REACH_IOD = 0.04  # how far past the inner lip lines the cavity's dark is looked for
CORNER_REACH_IOD = 0.12  # within this of a mouth corner
CAVITY_SHARE = 0.4  # of the lips' brightness around the opening: this dark is cavity, not lip or shadow
FILL_RADIUS_PX = 3  # the lips' colour is carried this far into the opening before it folds away


def closing_points(deformer: Deformer) -> np.ndarray:
    """Mesh points (N, 2) of the photo's face with its mouth closed the way a jaw closes it.

    Column by column across the mouth (face-aligned): the upper lip comes down `UPPER_LIP_SHARE` of
    the opening there, the skin above following over `PRESS_FALLOFF_IOD`; everything between the
    inner lips (teeth, tongue, cavity, the bite lines) folds onto the line where they meet; the
    lower lip comes up, whole, by the rest of the opening, and the skin below it passes from the
    lip's rise to the chin's, which rises with the jaw across its width. One monotone map per column,
    so nothing folds over.
    """
    mesh, frame = deformer.mesh, deformer.frame
    rest = deformer.rest[:, :2]
    face = (mesh.ring_of < 0) & (mesh.head_weight > 0)  # not the rings (they follow the face's edge) nor the anchors
    local = frame.to_local(rest)
    u, v = local[:, 0], local[:, 1]
    corners = list(regions.MOUTH_CORNERS)
    up, low = regions.LIPS_OUTER_UPPER, regions.LIPS_OUTER_LOWER
    tops, bottoms = list(regions.LIPS_INNER_UPPER[1:-1]), list(regions.LIPS_INNER_LOWER[1:-1])

    def line(ids: list[int]) -> np.ndarray:
        """A lip line across every column, running into the mouth corners at its ends."""
        knots = [corners[0], *ids, corners[1]]
        order = np.argsort(u[knots])
        return np.interp(u, u[knots][order], v[knots][order])

    top, bottom = line(tops), np.maximum(line(bottoms), line(tops))
    upper_edge, lower_edge = line(list(up[1:-1])), np.maximum(line(list(low[1:-1])), bottom)
    gap = bottom - top
    meet = top + UPPER_LIP_SHARE * gap
    middle = (u[corners[0]] + u[corners[1]]) / 2
    half_width = max(abs(u[corners[1]] - u[corners[0]]) / 2, 1e-3)
    # The chin rises by what our own opening drops it for this gap, so that opening to the photo's gap
    # gives back about the photo's face.
    across = np.clip(1 - ((u - middle) / (JAW_ACROSS_SHARE * half_width)) ** 2, 0, 1)
    # A chin at the edge of the picture has no neck below it to show: it rises no more than a share of
    # the room below it (the skin between lip and chin takes the rest).
    room = (mesh.roi[3] - rest[regions.CHIN, 1]) / frame.iod
    jaw = min(JAW_DROP_IOD / LIP_GAP_IOD * float(gap.max()), CHIN_ROOM_SHARE * room) * across
    chin = v[regions.CHIN]
    ramp = np.clip((v - lower_edge) / np.maximum(chin - lower_edge, 1e-3), 0, 1)
    ramp = ramp * ramp * (3 - 2 * ramp)
    lip_rise = (1 - UPPER_LIP_SHARE) * gap
    above = UPPER_LIP_SHARE * gap * np.exp(-(np.maximum(upper_edge - v, 0) ** 2) / (2 * PRESS_FALLOFF_IOD**2))
    below = -(lip_rise + (jaw - lip_rise) * ramp)
    shift = np.where(v <= top, above, np.where(v < bottom, meet - v, below))
    shift = _lower_lip_whole(local, shift, face, meet, bottom, mesh.triangles)
    # An open mouth's corners sit low, about level with the middle of the opening; a closed, relaxed
    # mouth's line is nearly level: corners below the middle of the closed line come up, and the lips
    # near them; a smiling photo's corners are where its smile puts them, and stay.
    centre = float(np.interp(middle, np.sort(u[tops]), meet[tops][np.argsort(u[tops])]))
    drop = max(float(v[corners].mean()) - centre, 0.0) * (1 - deformer.photo.smile)
    beyond = np.maximum(np.abs(u - middle) - half_width, 0)
    near_line = np.exp(-((v - meet) ** 2 + beyond**2) / (2 * PRESS_FALLOFF_IOD**2))
    shift -= CORNER_LIFT * drop * (1 - gap / max(float(gap.max()), 1e-6)) * near_line
    move = np.zeros_like(rest)
    move[face] = frame.to_pixels(np.column_stack([np.zeros(face.sum()), shift[face]]))
    rings = ~face & (mesh.head_weight > 0)
    move[rings] = RING_EXPRESSION_SHARE * mesh.head_weight[rings, None] * move[mesh.ring_of[rings]]
    points = rest + move
    # Paired inner points a pixel or two apart along the line meet, and the bite lines with them.
    points[tops] = points[bottoms] = (points[tops] + points[bottoms]) / 2
    points[mesh.bite_upper[1:-1]] = points[tops]
    points[mesh.bite_lower[1:-1]] = points[bottoms]
    return points


def _lower_lip_whole(
    local: np.ndarray,
    shift: np.ndarray,
    face: np.ndarray,
    meet: np.ndarray,
    bottom: np.ndarray,
    triangles: np.ndarray,
) -> np.ndarray:
    """`shift` with the lower lip coming up as one body: each of its points at least as far as the
    nearest point of its inner line, and the skin beside its ends with it.

    Column by column a lip point rises by the opening above it. On the far side of a turned face the
    lower lip wraps round the corner, below a part of the opening seen edge-on: its end has no opening
    above it, stays down, and hangs under the closed line as a lump. Where the column rise is less
    than its inner line's, a lip point takes the nearest inner point's; the skin below the corners
    follows over `PRESS_FALLOFF_IOD`. Halved until no triangle folds (none at all: the column rise).
    """
    inner = list(regions.LIPS_INNER_LOWER[1:-1])
    outline = np.concatenate([local[list(regions.LIPS_OUTER_LOWER)], local[list(reversed(regions.LIPS_INNER_LOWER))]])
    polygon = outline.astype(np.float32).reshape(-1, 1, 2)
    in_lip = np.array([cv2.pointPolygonTest(polygon, (float(x), float(y)), False) >= 0 for x, y in local])
    in_lip[list(regions.LIPS_OUTER_LOWER) + list(regions.LIPS_INNER_LOWER)] = True
    in_lip &= face
    inner_rise = bottom[inner] - meet[inner]  # what each inner point rises to meet the upper lip
    distance = np.linalg.norm(local[:, None, :] - local[None, inner, :], axis=-1)
    nearest = inner_rise[np.argmin(distance, axis=1)]
    lip_extra = np.where(in_lip, np.maximum(nearest + shift, 0), 0.0)  # shift is negative going up
    # Each point stays below its nearer mouth corner by `KEEP_BELOW_CORNER` of what it was: the lip's
    # end comes up toward the corner, tapering, and does not pass it.
    corners = list(regions.MOUTH_CORNERS)
    nearer = np.argmin(np.abs(local[:, :1] - local[corners, 0][None, :]), axis=1)
    corner_v = local[corners, 1][nearer]
    corner_new = corner_v + shift[corners][nearer]
    below_corner = local[:, 1] - corner_v
    room = (local[:, 1] + shift) - corner_new - KEEP_BELOW_CORNER * below_corner
    lip_extra = np.clip(lip_extra, 0, np.maximum(room, 0))
    lip_ids = np.flatnonzero(lip_extra > 0)
    extra = lip_extra.copy()
    if len(lip_ids):
        beside = face & ~in_lip & (below_corner > 0)
        gap = np.linalg.norm(local[:, None, :] - local[None, lip_ids, :], axis=-1)
        falloff = np.exp(-(gap**2) / (2 * PRESS_FALLOFF_IOD**2)) * lip_extra[lip_ids][None, :]
        extra = np.where(beside, np.clip(falloff.max(axis=1), 0, np.maximum(room, 0)), extra)
    before = _flipped(local, local[:, 1] + np.where(face, shift, 0.0), triangles)
    for _ in range(4):
        moved = shift - extra
        if not (_flipped(local, local[:, 1] + np.where(face, moved, 0.0), triangles) & ~before).any():
            return moved
        extra = extra / 2
    return shift


def _flipped(local: np.ndarray, v_new: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Which triangles turn over when the points move to height `v_new` (local units)."""
    moved = np.column_stack([local[:, 0], v_new])

    def signed(p):
        a, b, c = p[triangles[:, 0]], p[triangles[:, 1]], p[triangles[:, 2]]
        return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])

    return np.sign(signed(local)) != np.sign(signed(moved))


def lip_edges(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """`landmarks` with each lip's inner line moved out to where the lip's own colour begins.

    On an open mouth the landmarker puts the inner lip line on the teeth or in the lip's dark, wet
    inner side; closing on that line would leave teeth and a dark band between the lips. Straight
    up (or down) from each inner point toward its outer lip line, past dark (the cavity, the wet
    side) and bright, colourless (teeth) pixels, at most `MAX_ROLL_IN` of the way; the lip's other
    points keep their place between its outer line and the moved inner line, so no triangle folds.
    """
    luma = luma_of(image)
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
        inside, share_of, line_o = _lip_interior(landmarks[:, :2].astype(np.float64), inner_ids, outer_ids)
        order = np.argsort(inner[:, 0])
        line_new = np.interp(landmarks[:, 0], inner[order, 0], new_inner[order])
        moved[inside, 1] = (line_o + share_of * (line_new - line_o))[inside]
    return moved


def fill_opening(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """`image` with the opening between the inner lip lines filled from the lips around it.

    Closing folds the opening onto the line where the lips meet, and each pixel of that line samples
    what was in it: teeth left a pale, stair-stepped seam that a head tilted back stretched into a
    visible gap. Filled with the lips' own colour first, the lips meet.
    """
    inner = [*regions.LIPS_INNER_UPPER, *reversed(regions.LIPS_INNER_LOWER)]
    mask = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[inner, :2]).astype(np.int32)], 255)
    if not mask.any():
        return image
    # The cavity's dark runs past the inner lip lines near the corners, where the landmarker cuts it short: left
    # there, it closed into a black notch at the mouth's corner. Pixels just around the opening near a corner as
    # dark as the cavity are filled with it.
    iod = regions.inter_ocular(landmarks)
    reach = max(1, round(CAVITY_REACH_IOD * iod))
    around = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))) > 0
    near_corner = np.zeros(mask.shape, np.uint8)
    for x, y in np.round(landmarks[list(regions.MOUTH_CORNERS), :2]).astype(int):
        cv2.circle(near_corner, (int(x), int(y)), round(CORNER_REACH_IOD * iod), 1, -1)
    ring = around & (mask == 0) & near_corner.astype(bool)
    if ring.any():
        luma = luma_of(image)
        mask[ring & (luma < CAVITY_SHARE * float(np.median(luma[ring])))] = 255
    # A pixel wider: the edge pixels are part tooth.
    return cv2.inpaint(image, cv2.dilate(mask, np.ones((3, 3), np.uint8)), FILL_RADIUS_PX, cv2.INPAINT_TELEA)


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


def _lip_interior(
    xy: np.ndarray, inner_ids: tuple[int, ...], outer_ids: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which of the points `xy` lie inside one lip, each one's share of the way from its outer line (0)
    to its inner line (1), column by column, and the outer line's height in each point's column."""
    inner = xy[list(inner_ids)]
    order = np.argsort(inner[:, 0])
    line_o = _line(xy, outer_ids, xy[:, 0])
    line_i = np.interp(xy[:, 0], inner[order, 0], inner[order, 1])
    span = line_i - line_o
    share = (xy[:, 1] - line_o) / np.where(np.abs(span) > 0.5, span, np.inf)
    x_min, x_max = sorted(xy[[outer_ids[0], outer_ids[-1]], 0])
    inside = (share > 0.02) & (share <= 1.001) & (xy[:, 0] > x_min) & (xy[:, 0] < x_max)
    inside[list(outer_ids)] = False
    inside[MESH_POINTS:] = False
    return inside, np.minimum(share, 1.0), line_o
