"""Head rotation per frame from the 3D landmarks: yaw, pitch and roll relative to a reference frame.

The rigid points (nose bridge, eye corners, ears' tragus region) of a frame are
aligned to the same points of the reference by the least-squares rotation
(Kabsch); the rotation is read back in the axes of `MotionTrack` (positive yaw
turns toward the image's right, positive pitch nods down, positive roll tilts
the top of the head to the right).
"""

from __future__ import annotations

import numpy as np

from ..face import regions


def _centred(landmarks: np.ndarray) -> np.ndarray:
    pts = landmarks[list(regions.RIGID), :3].astype(np.float64)
    return pts - pts.mean(axis=0)


def relative_rotation(landmarks: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """The 3x3 rotation R with R @ reference point ~ frame point (both centred, least squares)."""
    a, b = _centred(reference), _centred(landmarks)
    # Scale does not rotate: a head nearer the camera is bigger, not turned.
    a /= max(float(np.linalg.norm(a)), 1e-9)
    b /= max(float(np.linalg.norm(b)), 1e-9)
    u, _, vt = np.linalg.svd(b.T @ a)
    d = np.sign(np.linalg.det(u @ vt))
    return u @ np.diag([1.0, 1.0, d]) @ vt


def angles(r: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees of R = roll @ pitch @ yaw (`engines.builtin.deform.rotation`)."""
    # R = Rz(roll) Rx(pitch) Ry(yaw): its last row is (cos p sin y, sin p, cos p cos y), its middle
    # column (-sin r cos p, cos r cos p, sin p).
    yaw = np.arctan2(r[2, 0], r[2, 2])
    pitch = np.arcsin(np.clip(r[2, 1], -1.0, 1.0))
    roll = np.arctan2(-r[0, 1], r[1, 1])
    return float(np.degrees(yaw)), float(np.degrees(pitch)), float(np.degrees(roll))
