"""The far cheek of a turned photo, drawn as cheek when the head turns back toward the camera.

On a photo turned `TURNED_FROM_DEG` or more, the rows of the mesh along the far edge of the face are
seen nearly edge-on: the photo holds only a sliver of them, and inside MediaPipe's face oval that
sliver holds the shadow and the hair beside the cheek. Turning back unfolds those rows, as it should
(the far outline stays while the nose comes round: most of what reads as the turn), and the warp
stretched the sliver into a dark jagged streak down the face's edge (Radio2's open-mouthed frame,
turned 16 degrees). What turns into view there is cheek. So the sliver's dark pixels are filled once
from the skin beside them (OpenCV's inpainting), and as the head turns from the photo's pose those
rows show the filled photo, fully from `FULL_TURN_DEG` (either way: rows that fold over each other
jag the sliver too); at the photo's own pose, the photo itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ...face import regions
from .deform import smoothstep
from .mesh import N_FACE, Mesh
from .photo_mouth import PhotoMouth
from .sharpness import luma_of
from .warp import Warper

TURNED_FROM_DEG = 8.0  # a photo turned less keeps the far edge as it is: its rows there are not edge-on
# From the nose tip across the face toward the side it is turned to (turned 26 degrees, the edge lies 0.36 away).
FAR_SIDE_FROM_IOD = 0.1
EDGE_BAND_IOD = 0.15  # triangles with a corner this close to the face oval are the edge rows
SKIN_FROM_IOD = (0.1, 0.3)  # inside the oval, where the skin the edge is measured against lies
DARK_SHARE = 0.75  # edge pixels darker than this share of that skin are shadow or hair, and are filled
FEATURE_CLEAR_IOD = 0.08  # lashes, brows and lips are dark too: pixels this near them are kept
INPAINT_RADIUS_PX = 3
FULL_TURN_DEG = 3.0


@dataclass
class FarCheek:
    """The far edge rows of a turned photo (`triangles`, ids into `Mesh.triangles`; `is_edge`, per id and one
    more for the warper's -1, the unmoved photo) and the photo with their dark sliver filled with skin
    (`filled`)."""

    triangles: np.ndarray
    is_edge: np.ndarray
    filled: np.ndarray

    @classmethod
    def of(cls, image: np.ndarray, mesh: Mesh, iod: float, photo: PhotoMouth) -> FarCheek | None:
        """None for a photo turned less than `TURNED_FROM_DEG`, or one whose far edge shows no dark sliver."""
        if photo.turn_deg < TURNED_FROM_DEG:
            return None
        facing = float(np.sign(photo.forward[0]))
        chosen = _edge_rows(mesh, iod, facing)
        if not len(chosen):
            return None
        xy = mesh.points[:, :2]
        height, width = image.shape[:2]
        band = np.zeros((height, width), np.uint8)
        for triangle in xy[mesh.triangles[chosen]]:
            cv2.fillConvexPoly(band, np.round(triangle).astype(np.int32), 1)
        face = np.zeros((height, width), np.uint8)
        cv2.fillPoly(face, [np.round(xy[list(regions.FACE_OVAL)]).astype(np.int32)], 1)
        dark = _sliver(image, band, face, xy, iod, facing)
        if dark is None:
            return None
        # Inpainting draws from every known pixel around a hole: the hair outside the oval is made part of the
        # hole, so only skin fills it. Only the edge rows read the filled photo.
        hole = (cv2.dilate(dark.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0) | (face == 0)
        bx, by, bw, bh = cv2.boundingRect(band)
        margin = int(np.ceil(SKIN_FROM_IOD[1] * iod))
        x0, y0 = max(bx - margin, 0), max(by - margin, 0)
        x1, y1 = min(bx + bw + margin, width), min(by + bh + margin, height)
        filled = image.copy()
        filled[y0:y1, x0:x1] = cv2.inpaint(
            image[y0:y1, x0:x1], hole[y0:y1, x0:x1].astype(np.uint8), INPAINT_RADIUS_PX, cv2.INPAINT_TELEA
        )
        is_edge = np.zeros(len(mesh.triangles) + 1, bool)
        is_edge[chosen] = True
        return cls(chosen, is_edge, filled)

    def reveal(
        self,
        region: np.ndarray,
        warper: Warper,
        points: np.ndarray,
        index: np.ndarray,
        maps: tuple[np.ndarray, np.ndarray],
        yaw_deg: float,
    ) -> None:
        """Draw the edge rows of `region` (the `warper`'s, warped by `maps` over its triangle `index` for the moved
        `points`) from the filled photo, as far as the head has turned (`yaw_deg` from the photo's pose)."""
        share = float(smoothstep(np.array(abs(yaw_deg) / FULL_TURN_DEG)))
        if share == 0.0:
            return
        corners = points[warper.triangles[self.triangles]].reshape(-1, 2) - (warper.x0, warper.y0)
        (x0, y0), (x1, y1) = np.floor(corners.min(axis=0)), np.ceil(corners.max(axis=0)) + 1
        height, width = region.shape[:2]
        box = (slice(max(int(y0), 0), min(int(y1), height)), slice(max(int(x0), 0), min(int(x1), width)))
        inside = self.is_edge[index[box]]
        if not inside.any():
            return
        map_x, map_y = maps
        filled = cv2.remap(self.filled, map_x[box], map_y[box], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        patch = region[box]
        patch[inside] = (patch[inside] * (1 - share) + filled[inside] * share + 0.5).astype(np.uint8)


def _edge_rows(mesh: Mesh, iod: float, facing: float) -> np.ndarray:
    """Ids (into `Mesh.triangles`) of the face triangles with a corner within `EDGE_BAND_IOD` of the face oval,
    on the side the face is turned to (`facing`, +1 toward the image's right)."""
    xy = mesh.points[:N_FACE, :2]
    oval = xy[list(regions.FACE_OVAL)].astype(np.float32)
    inside = np.array([cv2.pointPolygonTest(oval, (float(x), float(y)), True) for x, y in xy]) / iod
    across = (xy[:, 0] - xy[regions.NOSE_TIP, 0]) * facing / iod
    edge = np.zeros(len(mesh.points), bool)
    edge[:N_FACE] = (across > FAR_SIDE_FROM_IOD) & (inside < EDGE_BAND_IOD)
    triangles = mesh.triangles
    return np.flatnonzero((triangles < N_FACE).all(axis=1) & edge[triangles].any(axis=1))


def _sliver(
    image: np.ndarray, band: np.ndarray, face: np.ndarray, xy: np.ndarray, iod: float, facing: float
) -> np.ndarray | None:
    """The dark pixels in and just around the edge rows' `band` (under `DARK_SHARE` of the far cheek's skin beside
    it, eyes, brows and lips left out); None where there are none."""
    height, width = band.shape
    inward = cv2.distanceTransform(face, cv2.DIST_L2, 3) / iod
    rows, cols = np.mgrid[0:height, 0:width]
    far = (cols - xy[regions.NOSE_TIP, 0]) * facing / iod > FAR_SIDE_FROM_IOD
    lines = np.flatnonzero(band.any(axis=1))
    skin = far & (rows >= lines[0]) & (rows <= lines[-1]) & (inward >= SKIN_FROM_IOD[0]) & (inward <= SKIN_FROM_IOD[1])
    if not skin.any():
        return None
    luma = luma_of(image)
    # A sliver of a row samples a pixel or two beyond its own triangle: those are filled too.
    near_band = cv2.dilate(band, np.ones((5, 5), np.uint8)) > 0
    dark = near_band & (luma < DARK_SHARE * np.median(luma[skin])) & ~_features(xy, iod, (height, width))
    return dark if dark.any() else None


def _features(xy: np.ndarray, iod: float, shape: tuple[int, int]) -> np.ndarray:
    """Eyes, brows and lips, with `FEATURE_CLEAR_IOD` around them."""
    mask = np.zeros(shape, np.uint8)
    lips = regions.LIPS_OUTER_UPPER + regions.LIPS_OUTER_LOWER
    for part in (regions.RIGHT_EYE, regions.LEFT_EYE, regions.RIGHT_BROW, regions.LEFT_BROW, lips):
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(xy[list(part)]).astype(np.int32)), 1)
    size = 2 * int(np.ceil(FEATURE_CLEAR_IOD * iod)) + 1
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))) > 0
