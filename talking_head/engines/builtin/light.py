"""Light on the face: as the head turns and nods, the side turning toward the light brightens.

Real speakers' faces change brightness as they move (the footage clips, `evaluate/light.py`: the
balance of the two cheeks by 6.6-9.8 %, std over a clip, and the face's level by 1.2-2.3 %); a photo
warped frame by frame keeps its own shading, and only the landmarks' drift moved ours (0.7-1.6 % and
0.4-0.9 %).
The face is shaded as under a key light near the camera and a little above it: a turn brightens
the side of the face turning toward the camera and darkens the other, more the farther from the
face's middle; a nod down darkens the whole face a little.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions

TURN_GAIN = 0.6  # brightness change per radian of yaw, half a face width from the middle
NOD_GAIN = 0.4  # brightness change per radian of pitch, over the whole face
SOFT_IOD = 0.25  # the face's edge fades over about this much
STILL_GAIN = 0.002  # smaller changes are not drawn
GAIN_UNIT = 200  # an unchanged pixel's gain in 8 bits: steps of 0.5 %, up to 1.27x


class Light:
    """The shading fields of one framed photo's face, and the frame-by-frame change of light on it."""

    def __init__(self, shape: tuple[int, ...], landmarks: np.ndarray, iod: float):
        h, w = shape[:2]
        oval = landmarks[list(regions.FACE_OVAL), :2].astype(np.float64)
        soft = SOFT_IOD * iod
        x0, y0 = np.maximum(np.floor(oval.min(axis=0) - 3 * soft).astype(int), 0)
        x1, y1 = np.minimum(np.ceil(oval.max(axis=0) + 3 * soft).astype(int), (w, h))
        self.box = (int(x0), int(y0), int(x1), int(y1))
        if x1 - x0 < 2 or y1 - y0 < 2:
            self.face = None
            return
        face = np.zeros((y1 - y0, x1 - x0), np.float32)
        cv2.fillPoly(face, [np.round(oval - (x0, y0)).astype(np.int32)], 1.0)
        face = cv2.GaussianBlur(face, (0, 0), max(soft, 0.5))
        half_width = max(float(np.ptp(oval[:, 0])) / 2, 1.0)
        across = (np.arange(x0, x1, dtype=np.float32) - float(oval[:, 0].mean())) / half_width
        self.face = cv2.merge([face] * 3)
        self.across = cv2.merge([face * across[np.newaxis, :]] * 3)

    def shade(self, frame: np.ndarray, yaw_deg: float, pitch_deg: float) -> None:
        """Changes the light on the face in `frame` (in place) for one frame's head turn and nod."""
        if self.face is None:
            return
        # Positive yaw turns the face toward the image's right: its image-left side comes toward the light.
        turn = -TURN_GAIN * np.sin(np.radians(yaw_deg))
        nod = -NOD_GAIN * np.sin(np.radians(pitch_deg))
        if abs(turn) + abs(nod) < STILL_GAIN:
            return
        x0, y0, x1, y1 = self.box
        # In 8 bits, `GAIN_UNIT` for no change: a float image of the face would cost four times as much.
        gain = cv2.addWeighted(self.across, GAIN_UNIT * turn, self.face, GAIN_UNIT * nod, GAIN_UNIT, dtype=cv2.CV_8U)
        frame[y0:y1, x0:x1] = cv2.multiply(frame[y0:y1, x0:x1], gain, scale=1 / GAIN_UNIT)
