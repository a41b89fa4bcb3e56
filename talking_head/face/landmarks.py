"""MediaPipe's full-range face detector and Face Mesh, from the models inside the wheel.

Face Mesh finds faces on its own only when they fill much of the picture, so
faces are found with the full-range detector (`model_selection=1`) and the
mesh runs on a square crop around the chosen one, resized to `MESH_INPUT_PX`:
small faces are upsampled and huge photos are never fed whole.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import warnings
from dataclasses import dataclass

import cv2
import numpy as np

warnings.filterwarnings("ignore", message="SymbolDatabase.GetPrototype", category=UserWarning)

DETECT_MAX_SIDE_PX = 1920  # the detector sees a copy at most this large
TILE_PX = 1600  # tile side when a large photo must be searched piece by piece
MESH_INPUT_PX = 512
MESH_CROP_SCALE = 2.0  # crop side as a multiple of the detected face box
MIN_DETECTION_SCORE = 0.5


@dataclass(frozen=True)
class Detection:
    """A face box in the photo's pixels, with the detector's confidence."""

    x: float
    y: float
    w: float
    h: float
    score: float

    @property
    def area(self) -> float:
        return self.w * self.h


@contextlib.contextmanager
def _native_stderr_silenced():
    """MediaPipe's C++ side logs to file descriptor 2 while it loads; our users need none of it."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


@functools.lru_cache(maxsize=1)
def _models():
    import mediapipe as mp

    with _native_stderr_silenced():
        detector = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=MIN_DETECTION_SCORE
        )
        mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=1, refine_landmarks=True, min_detection_confidence=0.3
        )
        # The first inference logs too (delegates, feedback tensors): run it here.
        blank = np.zeros((64, 64, 3), np.uint8)
        detector.process(blank)
        mesh.process(blank)
    return detector, mesh, threading.Lock()


def _detect(image: np.ndarray, x0: int = 0, y0: int = 0) -> list[Detection]:
    h, w = image.shape[:2]
    scale = min(1.0, DETECT_MAX_SIDE_PX / max(h, w))
    small = image if scale == 1.0 else cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    detector, _, lock = _models()
    with lock:
        result = detector.process(np.ascontiguousarray(small))
    found = []
    for det in result.detections or []:
        box = det.location_data.relative_bounding_box
        found.append(Detection(x0 + box.xmin * w, y0 + box.ymin * h, box.width * w, box.height * h, float(det.score[0])))
    return found


def detect_faces(image: np.ndarray) -> list[Detection]:
    """All faces the full-range detector finds, largest first, in `image` pixels.

    A photo much larger than the detector's input is searched whole first, then,
    if that finds nothing (a small face shrinks to a few pixels), in
    overlapping tiles at a finer scale.
    """
    found = _detect(image)
    h, w = image.shape[:2]
    if not found and max(h, w) > TILE_PX:
        step = TILE_PX // 2
        for y0 in range(0, max(h - step, 1), step):
            for x0 in range(0, max(w - step, 1), step):
                found += _detect(image[y0 : y0 + TILE_PX, x0 : x0 + TILE_PX], x0, y0)
        found = _unique(found)
    return sorted(found, key=lambda d: d.area, reverse=True)


def _unique(found: list[Detection]) -> list[Detection]:
    """Drop detections of the same face from overlapping tiles (the more confident one stays)."""
    kept: list[Detection] = []
    for d in sorted(found, key=lambda d: d.score, reverse=True):
        centre = np.array([d.x + d.w / 2, d.y + d.h / 2])
        if all(np.linalg.norm(centre - (k.x + k.w / 2, k.y + k.h / 2)) > 0.5 * max(k.w, k.h) for k in kept):
            kept.append(d)
    return kept


def _mesh_on(crop: np.ndarray) -> np.ndarray | None:
    _, mesh, lock = _models()
    with lock:
        result = mesh.process(np.ascontiguousarray(crop))
    if not result.multi_face_landmarks:
        return None
    points = result.multi_face_landmarks[0].landmark
    return np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64)


def mesh_landmarks(image: np.ndarray, box: Detection | None) -> np.ndarray | None:
    """478 landmarks (x, y, z) in `image` pixels, z on the same scale as x; None if no mesh fits.

    With `box`, the mesh runs on a square crop around it; without, on the whole image.
    """
    h, w = image.shape[:2]
    if box is None:
        cx, cy, side = w / 2, h / 2, float(max(w, h))
    else:
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        side = MESH_CROP_SCALE * max(box.w, box.h)
    scale = MESH_INPUT_PX / side
    to_crop = np.array([[scale, 0, MESH_INPUT_PX / 2 - scale * cx], [0, scale, MESH_INPUT_PX / 2 - scale * cy]])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    crop = cv2.warpAffine(image, to_crop, (MESH_INPUT_PX, MESH_INPUT_PX), flags=interpolation, borderMode=cv2.BORDER_REPLICATE)
    normalised = _mesh_on(crop)
    if normalised is None:
        return None
    crop_px = normalised * MESH_INPUT_PX
    points = np.empty_like(crop_px)
    points[:, 0] = (crop_px[:, 0] - to_crop[0, 2]) / scale
    points[:, 1] = (crop_px[:, 1] - to_crop[1, 2]) / scale
    points[:, 2] = crop_px[:, 2] / scale
    return points.astype(np.float32)
