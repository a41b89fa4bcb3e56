"""From a photo to a `Face`: the image, its 478 landmarks, and the boxes engines frame it by."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..errors import InputError
from . import regions
from .blendshapes import BLENDSHAPE_MODEL, blendshapes
from .detection import FULL_RANGE, SHORT_RANGE, detect_faces
from .image import DEFAULT_MAX_PIXELS, load_image, read_source
from .landmarks import LANDMARK_MODEL, mesh_landmarks
from .runtime import model

WORK_MAX_SIDE_PX = 4096  # the kept image is at most this large; landmarks are found at full size
CACHE_SIZE = 8
MIN_IOD_PX = 8.0  # below this inter-ocular distance nothing can be animated


@dataclass
class Face:
    """A photo and the face that will talk in it.

    `image` is the upright RGB photo (downscaled to `WORK_MAX_SIDE_PX` at most);
    `landmarks` are MediaPipe's 478 points (x, y, z) in its pixels (468 mesh
    points, then 5 for each iris: the subject's right, then left), z on x's
    scale and growing away from the camera. `blendshapes` scores the photo's
    expression by ARKit name, 0 to 1 (see `face.blendshapes`): e.g.
    `jawOpen`, `mouthSmileLeft`, `eyeBlinkRight`.
    """

    image: np.ndarray
    landmarks: np.ndarray
    faces_found: int
    digest: str
    blendshapes: dict[str, float] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[1], self.image.shape[0]

    @property
    def box(self) -> tuple[float, float, float, float]:
        """Bounding box (x0, y0, x1, y1) of the landmarks."""
        xy = self.landmarks[:, :2]
        return (*xy.min(axis=0), *xy.max(axis=0))

    @property
    def eye_centres(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the subject's right and left eyes (x, y)."""
        return regions.eye_centres(self.landmarks)

    @property
    def iod(self) -> float:
        """Inter-ocular distance in pixels."""
        return regions.inter_ocular(self.landmarks)

    def portrait_box(self) -> tuple[float, float, float]:
        """Square (centre x, centre y, side) that frames head and shoulders for a cropped video."""
        x0, y0, x1, y1 = self.box
        side = 1.9 * max(x1 - x0, y1 - y0)
        cx = (x0 + x1) / 2
        cy = (y0 + y1) / 2 + 0.05 * (y1 - y0)
        return cx, cy, side


def load_models() -> None:
    """Load every face model now, as the first analysis would (to keep loading out of a timing)."""
    for name in (FULL_RANGE.file, SHORT_RANGE.file, LANDMARK_MODEL, BLENDSHAPE_MODEL):
        model(name)


_cache: OrderedDict[str, Face] = OrderedDict()
_cache_lock = threading.Lock()


def analyze_face(source, max_pixels: int = DEFAULT_MAX_PIXELS) -> Face:
    """Find and mesh the largest face in a photo (path, bytes or array); cached by content. A `Face`
    (analysed already, e.g. by the server for a stream's process) is returned as it is.

    Raises `InputError` when the image cannot be read or holds no face.
    """
    if isinstance(source, Face):
        return source
    # A path is read once: its bytes are both the cache key and what is decoded.
    if isinstance(source, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(source).tobytes() + str(source.shape).encode()).hexdigest()
        name = None
    else:
        source, name = read_source(source)
        digest = hashlib.sha256(source).hexdigest()
    with _cache_lock:
        if digest in _cache:
            _cache.move_to_end(digest)
            return _cache[digest]
    image = load_image(source, max_pixels, name)
    detections = detect_faces(image)
    landmarks = None
    # The largest few detections, in turn: a false detection has no face for the mesh model.
    for detection in detections[:3]:
        landmarks = mesh_landmarks(image, detection)
        if landmarks is not None:
            break
    if landmarks is None:
        landmarks = mesh_landmarks(image, None)  # a face so close the detector misses it
    if landmarks is None:
        raise InputError(
            "no face found in the photo. Give a photo where one face is clearly visible, "
            "facing the camera, at least 40 pixels wide.",
            field="image",
        )
    scores = blendshapes(landmarks)  # before any downscale: the model reads the photo's own pixels
    h, w = image.shape[:2]
    scale = min(1.0, WORK_MAX_SIDE_PX / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        landmarks = landmarks * np.float32(scale)
    face = Face(np.ascontiguousarray(image), landmarks, max(1, len(detections)), digest, scores)
    if face.iod < MIN_IOD_PX:
        raise InputError(
            f"the face is too small to animate ({face.iod:.0f} pixels between the eyes). "
            "Give a photo in which the face is larger.",
            field="image",
        )
    with _cache_lock:
        _cache[digest] = face
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return face
