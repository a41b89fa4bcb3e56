"""Where the video's frame lies on the photo: a square crop around the face, or the whole photo."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import Face

FULL_MAX_SIDE_PX = 1920  # whole-photo videos are at most this large (H.264 level limits, sane files)


@dataclass
class Framing:
    """The still picture every frame starts from, and the landmarks on it.

    `to_frame` maps photo pixels to frame pixels (2x3 affine).
    """

    image: np.ndarray
    landmarks: np.ndarray
    to_frame: np.ndarray

    @property
    def width(self) -> int:
        return self.image.shape[1]

    @property
    def height(self) -> int:
        return self.image.shape[0]


def frame_face(face: Face, size: int) -> Framing:
    """`size` > 0: a `size` x `size` crop around the face; 0: the whole photo (even sides, capped)."""
    h, w = face.image.shape[:2]
    if size > 0:
        cx, cy, side = face.portrait_box()
        scale = size / side
        out_w = out_h = size
        to_frame = np.array([[scale, 0, size / 2 - scale * cx], [0, scale, size / 2 - scale * cy]])
    else:
        scale = min(1.0, FULL_MAX_SIDE_PX / max(w, h))
        out_w, out_h = int(w * scale) // 2 * 2, int(h * scale) // 2 * 2
        to_frame = np.array([[scale, 0, 0], [0, scale, 0]], dtype=np.float64)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    image = cv2.warpAffine(face.image, to_frame, (out_w, out_h), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    landmarks = face.landmarks.astype(np.float64).copy()
    landmarks[:, :2] = landmarks[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
    landmarks[:, 2] *= scale
    return Framing(image, landmarks.astype(np.float32), to_frame)
