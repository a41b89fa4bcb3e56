"""What the photo's own face is doing, as far as the mouth motion cares.

The mouth is moved in true inter-ocular distances (IOD): a face turned away
from the camera shows its eyes closer together than they are, but its mouth
opens downward at full size, so vertical motion is sized by the eyes'
distance in 3D, not in the picture. A photo whose lips are already parted
(or stretched in a broad smile) closes them fully for p/b/m and opens from
closed: its own opening is part of the range, not added on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...face import regions

MAX_FORESHORTENING = 1.6  # beyond ~50 degrees of yaw MediaPipe's depth is not worth trusting
PARTED_IOD = 0.01  # lips further apart than this count as parted
SMILE_LIFT_IOD = 0.12  # mouth corners this far above the lips' middle: a full smile (landmark reading)


@dataclass(frozen=True)
class PhotoMouth:
    """`gap_iod`: inner-lip gap mid-mouth (true IOD); `smile` 0..1; `depth_scale`: true IOD over the
    picture's IOD (1 for a frontal face); `forward`: the picture's (x, y) of a unit step toward the
    camera from the face (0, 0 for a frontal face).
    """

    gap_iod: float
    smile: float
    depth_scale: float
    forward: np.ndarray

    @property
    def parted(self) -> bool:
        return self.gap_iod > PARTED_IOD

    @property
    def turn_deg(self) -> float:
        """How far the face is turned from the camera, either way, in degrees."""
        return float(np.degrees(np.arcsin(min(abs(float(self.forward[0])), 1.0))))

    @classmethod
    def of(cls, landmarks: np.ndarray, blendshapes: dict[str, float] | None = None) -> PhotoMouth:
        """From the 478 landmarks (x, y, z; z on x's scale) and, when known, the photo's blendshape scores."""
        xyz = landmarks.astype(np.float64)
        right = xyz[list(regions.RIGHT_EYE_CORNERS)].mean(axis=0)
        left = xyz[list(regions.LEFT_EYE_CORNERS)].mean(axis=0)
        iod_2d = max(float(np.linalg.norm((left - right)[:2])), 1e-6)
        iod_3d = float(np.linalg.norm(left - right))
        depth_scale = float(np.clip(iod_3d / iod_2d, 1.0, MAX_FORESHORTENING))

        # The face's normal, from its eye line and its midline, pointing at the camera (z toward it is negative).
        across = (left - right) / max(iod_3d, 1e-6)
        down = xyz[regions.CHIN] - xyz[regions.FOREHEAD]
        down -= across * (down @ across)
        normal = np.cross(down, across)
        normal /= max(float(np.linalg.norm(normal)), 1e-6)
        if normal[2] > 0:
            normal = -normal
        forward = normal[:2].copy()

        top, bottom = xyz[regions.INNER_LIP_TOP, :2], xyz[regions.INNER_LIP_BOTTOM, :2]
        gap_iod = float(np.linalg.norm(bottom - top)) / iod_2d / depth_scale
        scores = blendshapes or {}
        if "mouthSmileLeft" in scores and "mouthSmileRight" in scores:
            smile = (scores["mouthSmileLeft"] + scores["mouthSmileRight"]) / 2
        else:
            # Corners above the lips' middle, along the face's own vertical.
            eye_line = np.array([across[0], across[1]]) / max(float(np.linalg.norm(across[:2])), 1e-6)
            up = np.array([eye_line[1], -eye_line[0]])
            corners = xyz[list(regions.MOUTH_CORNERS), :2].mean(axis=0)
            lift = float((corners - (top + bottom) / 2) @ up) / iod_2d
            smile = lift / SMILE_LIFT_IOD
        return cls(gap_iod, float(np.clip(smile, 0.0, 1.0)), depth_scale, forward)
