"""The 478-point face mesh: MediaPipe's Face Landmarker landmark model on a rotated face region.

The model sees a `MESH_INPUT_PX` square cut from the photo around the face,
turned so that the eyes lie level, and `FACE_REGION_SCALE` times the size of
the face box (MediaPipe's `RectTransformationCalculator` options for this
model). Its 478 points (468 mesh + 10 iris) come back in the square's pixels,
z on x's scale; they are mapped back into the photo's pixels here.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import regions
from .detection import Detection
from .runtime import model

LANDMARK_MODEL = "face_landmarks_detector.tflite"
MESH_INPUT_PX = 256
N_LANDMARKS = 478
FACE_REGION_SCALE = 1.5  # region side as a multiple of the face box's longer side
MIN_PRESENCE_SCORE = 0.5  # the model's own "is there a face in this square" score
MAX_WARP_SHRINK = 2.0  # a region shrunk more than this is first reduced by area averaging (no aliasing)
# The eye corners that level a region made from landmarks (MediaPipe's choice: the outer corners).
LEVEL_FROM, LEVEL_TO = regions.RIGHT_EYE_CORNERS[0], regions.LEFT_EYE_CORNERS[0]


@dataclass(frozen=True)
class Region:
    """A square of the photo, `side` pixels, centred on (cx, cy), turned by `angle` radians (clockwise)."""

    cx: float
    cy: float
    side: float
    angle: float = 0.0

    @classmethod
    def from_detection(cls, d: Detection) -> Region:
        """The region around a detected face, levelled by its eye keypoints."""
        angle = 0.0
        if len(d.keypoints) >= 2:
            (rx, ry), (lx, ly) = d.keypoints[:2]
            angle = float(np.arctan2(ly - ry, lx - rx))
        return cls(d.x + d.w / 2, d.y + d.h / 2, FACE_REGION_SCALE * max(d.w, d.h), angle)

    @classmethod
    def from_landmarks(cls, landmarks: np.ndarray) -> Region:
        """The region a mesh found in it would frame the face by (for a second pass, or the next frame)."""
        (x0, y0), (x1, y1) = landmarks[:, :2].min(axis=0), landmarks[:, :2].max(axis=0)
        dx, dy = landmarks[LEVEL_TO, :2] - landmarks[LEVEL_FROM, :2]
        return cls(
            float(x0 + x1) / 2,
            float(y0 + y1) / 2,
            FACE_REGION_SCALE * float(max(x1 - x0, y1 - y0)),
            float(np.arctan2(dy, dx)),
        )

    @classmethod
    def whole(cls, image: np.ndarray) -> Region:
        """The square around the whole image, upright."""
        h, w = image.shape[:2]
        return cls(w / 2, h / 2, float(max(w, h)))

    def to_square(self, size: int) -> np.ndarray:
        """Affine map (2x3) from photo coordinates to the `size` square's, pixel edges at integers."""
        u = np.array([np.cos(self.angle), np.sin(self.angle)])
        v = np.array([-np.sin(self.angle), np.cos(self.angle)])
        linear = np.stack([u, v]) * (size / self.side)
        return np.column_stack([linear, size / 2 - linear @ (self.cx, self.cy)])


def _cut(image: np.ndarray, to_square: np.ndarray, size: int) -> np.ndarray:
    """The `size` square that `to_square` (pixel edges at integers) cuts from the image."""
    shrink = 1.0 / np.sqrt(abs(np.linalg.det(to_square[:, :2])))
    if shrink > MAX_WARP_SHRINK:
        # Reduce only the part under the square, by area, then warp what is left.
        corners = np.array([[0, 0], [size, 0], [0, size], [size, size]], float)
        inverse = cv2.invertAffineTransform(to_square)
        photo = corners @ inverse[:, :2].T + inverse[:, 2]
        h, w = image.shape[:2]
        x0, y0 = np.clip(np.floor(photo.min(axis=0)).astype(int), 0, (w - 1, h - 1))
        x1, y1 = np.clip(np.ceil(photo.max(axis=0)).astype(int), x0 + 1, (w, h))
        factor = MAX_WARP_SHRINK / shrink
        part = image[y0:y1, x0:x1]
        reduced = cv2.resize(
            part,
            (max(1, round(part.shape[1] * factor)), max(1, round(part.shape[0] * factor))),
            interpolation=cv2.INTER_AREA,
        )
        fx, fy = reduced.shape[1] / part.shape[1], reduced.shape[0] / part.shape[0]
        # photo = (x0, y0) + reduced / f: fold that into the map.
        to_square = np.column_stack([to_square[:, :2] / (fx, fy), to_square[:, :2] @ (x0, y0) + to_square[:, 2]])
        image = reduced
    # OpenCV samples at pixel centres: shift the edge-based map by half a pixel on both sides.
    centred = to_square.copy()
    centred[:, 2] += to_square[:, :2] @ (0.5, 0.5) - 0.5
    # Enlarging, cubic keeps lip and lid edges sharper than linear (the lips' landmarks move by it).
    interpolation = cv2.INTER_CUBIC if np.linalg.det(centred[:, :2]) > 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, centred, (size, size), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)


def mesh_in(image: np.ndarray, region: Region) -> tuple[np.ndarray, float]:
    """The 478 landmarks (x, y, z) found in `region`, in photo pixels, and the model's face-presence score."""
    to_square = region.to_square(MESH_INPUT_PX)
    square = _cut(image, to_square, MESH_INPUT_PX)
    raw, presence, *_ = model(LANDMARK_MODEL)(square[None].astype(np.float32) / 255.0)
    points = raw.reshape(N_LANDMARKS, 3).astype(np.float64)
    back = cv2.invertAffineTransform(to_square)
    out = np.empty_like(points)
    out[:, :2] = points[:, :2] @ back[:, :2].T + back[:, 2]
    out[:, 2] = points[:, 2] * (region.side / MESH_INPUT_PX)
    score = 1.0 / (1.0 + np.exp(-float(presence.reshape(-1)[0])))
    return out.astype(np.float32), score


def mesh_landmarks(image: np.ndarray, where: Detection | Region | None) -> np.ndarray | None:
    """478 landmarks (x, y, z) in `image` pixels, z on the same scale as x; None if no face is there.

    `where` is a detected face, a region (such as the previous video frame's
    `Region.from_landmarks`), or None for the whole image. A detection or the
    whole image frames the face only roughly, so there the mesh is taken a
    second time in the region its first landmarks frame, as the model was
    trained to see faces.
    """
    if isinstance(where, Region):
        landmarks, score = mesh_in(image, where)
        return landmarks if score >= MIN_PRESENCE_SCORE else None
    region = Region.whole(image) if where is None else Region.from_detection(where)
    landmarks, score = mesh_in(image, region)
    if score < MIN_PRESENCE_SCORE:
        return None
    refined, score = mesh_in(image, Region.from_landmarks(landmarks))
    return refined if score >= MIN_PRESENCE_SCORE else landmarks
