"""The warp mesh: MediaPipe's canonical face tessellation, filled eye and mouth openings,
two rings around the face that blend head motion into the surroundings, and
fixed anchors on the edge of the region that moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.spatial import Delaunay

from ...face import regions
from ...face.tessellation import face_triangles

N_FACE = 468  # tessellated face-mesh points; 468-477 are the irises, not part of the surface
RING_SCALES = (
    1.3,
    1.5,
)  # rings around the face oval, as multiples of its radius from the face centre: the outer one, fixed, lies on the evaluator's background edge (a head moving like a real speaker's leaves the background beyond it still)
RING_HEAD_WEIGHT = (0.5, 0.0)  # how much of the head's rotation each ring follows
ANCHOR_SPACING_PX = 48
ROI_MARGIN_PX = 4
TEETH_GAP_IOD = 0.05  # lips at least this far apart in the photo show its teeth
MIN_POINT_GAP_PX = 2.0
IRIS_SHRINK = (1.0, 0.8, 0.6, 0.45)  # the iris ring is drawn in until it lies inside the eye opening
IRIS_MARGIN_PX = 1.0  # that far inside at least

# Eyelid and lip lines, corner to corner, paired point by point across each opening.
RIGHT_UPPER_LID = (33, 246, 161, 160, 159, 158, 157, 173, 133)
RIGHT_LOWER_LID = (33, 7, 163, 144, 145, 153, 154, 155, 133)
LEFT_UPPER_LID = (263, 466, 388, 387, 386, 385, 384, 398, 362)
LEFT_LOWER_LID = (263, 249, 390, 373, 374, 380, 381, 382, 362)
UPPER_INNER_LIP = regions.LIPS_INNER_UPPER
LOWER_INNER_LIP = regions.LIPS_INNER_LOWER


def strip(upper: tuple[int, ...], lower: tuple[int, ...]) -> np.ndarray:
    """Triangles filling the opening between two point lines that share their end points."""
    triangles = []
    for i in range(len(upper) - 1):
        a, b, c, d = upper[i], upper[i + 1], lower[i], lower[i + 1]
        for tri in ((a, b, c), (b, d, c)):
            if len(set(tri)) == 3:
                triangles.append(tri)
    return np.array(triangles, np.int32)


@dataclass
class Mesh:
    """Control points (photo-frame pixels) with their triangles, split by role.

    Points 0..477 are the face landmarks; then the bite line twice (`bite_upper`
    moves with the upper lip, `bite_lower` with the lower one; they coincide
    in the photo and part when the jaw opens), the top edge of each eyeball
    (`eyeball_tops`: copies of the upper lid margin that stay when the lid
    comes down over them), the ring points and the fixed anchors. `head_weight` is how much of the head rotation each point
    follows; `ring_of` gives each ring point's nearest face-oval landmark (-1
    for other points). `roi` (x0, y0, x1, y1) is the rectangle that can change; `photo_edges` says which of
    its sides (left, top, right, bottom) lie on the photo's own edge, with nothing of the photo beyond.
    """

    points: np.ndarray  # (N, 3) x, y, z
    head_weight: np.ndarray  # (N,)
    ring_of: np.ndarray  # (N,)
    bite_upper: np.ndarray  # point ids, corner to corner
    bite_lower: np.ndarray
    eyeball_tops: np.ndarray  # point ids, both eyes, matching the upper lid margins' inner points
    shows_teeth: bool  # the photo's lips are apart: its own teeth lie between them
    surround: np.ndarray  # triangles outside the face oval
    face: np.ndarray  # the face tessellation and the teeth between lips and bite line
    eyes: np.ndarray  # the eyeballs with their irises, drawn under the lids
    mouth: np.ndarray  # the opening between the two bite lines, in strip order
    roi: tuple[int, int, int, int]
    photo_edges: tuple[bool, bool, bool, bool] = (False, False, False, False)

    @property
    def triangles(self) -> np.ndarray:
        """All triangles, in drawing order: what lies in front is drawn last."""
        return np.concatenate([self.surround, self.eyes, self.face, self.mouth])


def eyeball(points: np.ndarray, upper: tuple[int, ...], lower: tuple[int, ...], iris: tuple[int, ...]) -> np.ndarray:
    """Triangles of one eye opening, with the iris (centre and ring) as points inside it, so that the
    eye can look elsewhere; the plain strip between the lid lines where the iris does not fit inside.

    `points` is changed in place: iris ring points that lie beyond the lids are drawn in toward the centre.
    """
    contour = np.array([*upper, *lower[-2:0:-1]])
    polygon = points[contour, :2].astype(np.float32).reshape(-1, 1, 2)

    def margin(xy: np.ndarray) -> float:
        return cv2.pointPolygonTest(polygon, (float(xy[0]), float(xy[1])), True)

    centre = points[iris[0], :2].copy()
    if margin(centre) < IRIS_MARGIN_PX:
        return strip(upper, lower)
    for ring in iris[1:]:
        away = points[ring, :2] - centre
        shrink = next((f for f in IRIS_SHRINK if margin(centre + f * away) >= IRIS_MARGIN_PX), 0.0)
        points[ring, :2] = centre + shrink * away
    ids = np.concatenate([contour, [iris[0]], [r for r in iris[1:] if np.linalg.norm(points[r, :2] - centre) > 1]])
    triangles = ids[Delaunay(points[ids, :2]).simplices]
    corners = points[triangles, :2]
    inside = _inside(points[contour, :2], corners.mean(axis=1))
    # Delaunay fills the hull: if the opening is not convex, what is kept must still cover it exactly.
    a, b = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]
    kept_area = 0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0])[inside].sum()
    if abs(kept_area - cv2.contourArea(polygon)) > 0.02 * cv2.contourArea(polygon) + 1:
        return strip(upper, lower)
    return triangles[inside].astype(np.int32)


def _inside(polygon: np.ndarray, points: np.ndarray) -> np.ndarray:
    contour = polygon.astype(np.float32).reshape(-1, 1, 2)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), False) >= 0 for x, y in points])


def bite_line(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Where upper and lower teeth meet between the inner lips: (11, 3), corner to corner.

    Where the lips are closed this is the lip line itself; where the photo
    shows teeth it is the darkest point between the lips, usually the gap
    between the rows of teeth.
    """
    upper = landmarks[list(UPPER_INNER_LIP)].astype(np.float64)
    lower = landmarks[list(LOWER_INNER_LIP)].astype(np.float64)
    share = np.full(len(upper), 0.5)
    grey = image.mean(axis=2) if image.ndim == 3 else image
    steps = np.linspace(0.2, 0.85, 14)
    for k in range(1, len(upper) - 1):
        if np.linalg.norm(lower[k, :2] - upper[k, :2]) < 4:
            continue
        along = upper[k, :2] + steps[:, None] * (lower[k, :2] - upper[k, :2])
        xs = np.clip(np.round(along[:, 0]).astype(int), 0, grey.shape[1] - 1)
        ys = np.clip(np.round(along[:, 1]).astype(int), 0, grey.shape[0] - 1)
        share[k] = steps[int(np.argmin(grey[ys, xs]))]
    share[1:-1] = np.convolve(np.pad(share[1:-1], 1, mode="edge"), np.ones(3) / 3, mode="valid")
    return upper + share[:, None] * (lower - upper)


def build_mesh(landmarks: np.ndarray, width: int, height: int, image: np.ndarray) -> Mesh:
    """The mesh for one framed photo whose face has `landmarks` (478 x 3)."""
    oval_idx = np.array(regions.FACE_OVAL)
    oval = landmarks[oval_idx, :2].astype(np.float64)
    centre = oval.mean(axis=0)
    oval_z = float(landmarks[oval_idx, 2].mean())

    extra: list[np.ndarray] = []
    weights: list[float] = []
    for scale, weight in zip(RING_SCALES, RING_HEAD_WEIGHT):
        ring = centre + scale * (oval - centre)
        extra.append(ring)
        weights += [weight] * len(ring)
    ring_points = np.concatenate(extra)
    outer = ring_points[-len(oval) :]
    # The outer ring does not move, so the region that can change ends just beyond it.
    x0, y0 = np.floor(np.maximum(outer.min(axis=0) - ROI_MARGIN_PX, 0)).astype(int)
    x1, y1 = np.ceil(np.minimum(outer.max(axis=0) + ROI_MARGIN_PX, [width - 1, height - 1])).astype(int)
    # Ring points outside the region are pulled onto its edge.
    ring_points = np.clip(ring_points, [x0, y0], [x1, y1])
    nx = max(2, int(np.ceil((x1 - x0) / ANCHOR_SPACING_PX)) + 1)
    ny = max(2, int(np.ceil((y1 - y0) / ANCHOR_SPACING_PX)) + 1)
    xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
    anchors = np.concatenate(
        [
            np.stack([xs, np.full(nx, y0)], 1),
            np.stack([xs, np.full(nx, y1)], 1),
            np.stack([np.full(ny - 2, x0), ys[1:-1]], 1),
            np.stack([np.full(ny - 2, x1), ys[1:-1]], 1),
        ]
    )

    # Drop ring points that crowd the face oval or each other (degenerate triangles).
    kept_ring, kept_weight = [], []
    taken = [oval, anchors]
    for point, weight in zip(ring_points, weights):
        nearest = min(np.min(np.linalg.norm(t - point, axis=1)) for t in taken)
        if nearest >= MIN_POINT_GAP_PX * 4:
            kept_ring.append(point)
            kept_weight.append(weight)
            taken.append(point[None])
    ring_points = np.array(kept_ring).reshape(-1, 2)

    bite = bite_line(image, landmarks)[1:-1]
    eye_gap = regions.inter_ocular(landmarks)
    lip_gap = np.linalg.norm(landmarks[list(LOWER_INNER_LIP), :2] - landmarks[list(UPPER_INNER_LIP), :2], axis=1).max()
    lid_inner = list(RIGHT_UPPER_LID[1:-1]) + list(LEFT_UPPER_LID[1:-1])
    n_land, n_bite, n_lid = len(landmarks), len(bite), len(lid_inner)
    points = np.concatenate(
        [
            landmarks.astype(np.float64),
            bite,
            bite,
            landmarks[lid_inner].astype(np.float64),
            np.column_stack([ring_points, np.full(len(ring_points), oval_z)]),
            np.column_stack([anchors, np.full(len(anchors), oval_z)]),
        ]
    )
    ring_start = n_land + 2 * n_bite + n_lid
    head_weight = np.concatenate([np.ones(ring_start), kept_weight, np.zeros(len(anchors))])
    ring_of = np.full(len(points), -1)
    distances = np.linalg.norm(ring_points[:, None, :] - oval[None, :, :], axis=2)
    ring_of[ring_start : ring_start + len(ring_points)] = oval_idx[distances.argmin(axis=1)]

    # The surround: Delaunay over the oval, rings and anchors, minus what lies inside the oval.
    ids = np.concatenate([oval_idx, ring_start + np.arange(len(ring_points) + len(anchors))])
    surround = ids[Delaunay(points[ids, :2]).simplices]
    centroids = points[surround, :2].mean(axis=1)
    surround = surround[~_inside(oval, centroids)]

    tops = np.arange(n_land + 2 * n_bite, ring_start)
    half = n_lid // 2
    right_top = (RIGHT_UPPER_LID[0], *tops[:half], RIGHT_UPPER_LID[-1])
    left_top = (LEFT_UPPER_LID[0], *tops[half:], LEFT_UPPER_LID[-1])
    eyes = np.concatenate(
        [
            eyeball(points, right_top, RIGHT_LOWER_LID, regions.RIGHT_IRIS),
            eyeball(points, left_top, LEFT_LOWER_LID, regions.LEFT_IRIS),
        ]
    )
    corners = regions.INNER_MOUTH_CORNERS
    bite_upper = (corners[0], *range(n_land, n_land + n_bite), corners[1])
    bite_lower = (corners[0], *range(n_land + n_bite, n_land + 2 * n_bite), corners[1])
    teeth = np.concatenate([strip(UPPER_INNER_LIP, bite_upper), strip(bite_lower, LOWER_INNER_LIP)])
    return Mesh(
        points=points,
        head_weight=head_weight,
        ring_of=ring_of,
        bite_upper=np.array(bite_upper),
        bite_lower=np.array(bite_lower),
        eyeball_tops=tops,
        shows_teeth=bool(lip_gap > TEETH_GAP_IOD * eye_gap),
        surround=surround.astype(np.int32),
        face=np.concatenate([face_triangles(), teeth]),
        eyes=eyes,
        mouth=strip(bite_upper, bite_lower),
        roi=(int(x0), int(y0), int(x1) + 1, int(y1) + 1),
        photo_edges=(bool(x0 == 0), bool(y0 == 0), bool(x1 == width - 1), bool(y1 == height - 1)),
    )
