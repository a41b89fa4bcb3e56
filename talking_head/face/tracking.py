"""Following one face through a video's frames.

The face is found once with the full-range detector (largest face first) and
then followed: each frame's mesh runs in the region the previous frame's
landmarks frame (`Region.from_landmarks`), so a crowd in the background
cannot steal the track and the detector runs only when the face is lost.
"""

from __future__ import annotations

import numpy as np

from .detection import detect_faces
from .landmarks import Region, mesh_landmarks


class FaceTracker:
    """Landmarks of one face through a video; `find(frame)` returns (478, 3) pixels or None."""

    def __init__(self) -> None:
        self._region: Region | None = None

    def find(self, frame: np.ndarray) -> np.ndarray | None:
        if self._region is not None:
            landmarks = mesh_landmarks(frame, self._region)
            if landmarks is not None:
                self._region = Region.from_landmarks(landmarks)
                return landmarks
        # None last: a face that fills the frame, too close for the detector (as face analysis does).
        for detection in [*detect_faces(frame)[:3], None]:
            landmarks = mesh_landmarks(frame, detection)
            if landmarks is not None:
                self._region = Region.from_landmarks(landmarks)
                return landmarks
        self._region = None
        return None
