"""Face landmarks in every frame (`face.tracking.FaceTracker`), and the per-frame measures taken from them.

Only a few numbers per frame are kept (`FaceSeries`), so memory stays small for long videos.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..face import regions
from ..face.regions import eye_centres, inter_ocular
from ..face.tracking import FaceTracker
from .expression import brow_height, gaze_across, mouth_width
from .pose import angles, relative_rotation

__all__ = ["FaceSeries", "FaceTracker", "eye_aspect_ratio", "inter_ocular", "lip_gap", "roll_degrees"]

JITTER_POINTS = (regions.NOSE_TIP, *regions.RIGHT_EYE_CORNERS, *regions.LEFT_EYE_CORNERS)


def lip_gap(landmarks: np.ndarray) -> float:
    """Inner-lip distance in pixels: upper lip's lower edge to lower lip's upper edge, mid-mouth."""
    return float(np.linalg.norm(landmarks[regions.INNER_LIP_TOP, :2] - landmarks[regions.INNER_LIP_BOTTOM, :2]))


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (Soukupova & Cech 2016): lid gaps over eye width."""
    ratios = []
    for p1, p2, p3, p4, p5, p6 in (regions.RIGHT_EYE_EAR, regions.LEFT_EYE_EAR):
        pts = landmarks[:, :2]
        vertical = np.linalg.norm(pts[p2] - pts[p6]) + np.linalg.norm(pts[p3] - pts[p5])
        ratios.append(vertical / max(2.0 * float(np.linalg.norm(pts[p1] - pts[p4])), 1e-6))
    return float(np.mean(ratios))


def roll_degrees(landmarks: np.ndarray) -> float:
    """Head roll: angle of the line from the subject's right eye to the left eye, in degrees."""
    right, left = eye_centres(landmarks)
    dx, dy = left - right
    return float(np.degrees(np.arctan2(dy, dx)))


@dataclass
class FaceSeries:
    """Per-frame measures of the tracked face; NaN where no face was found."""

    times: list[float] = field(default_factory=list)
    gap_px: list[float] = field(default_factory=list)
    iod_px: list[float] = field(default_factory=list)
    ear: list[float] = field(default_factory=list)
    centre: list[tuple[float, float]] = field(default_factory=list)
    roll_deg: list[float] = field(default_factory=list)
    rigid: list[np.ndarray] = field(default_factory=list)
    brow: list[float] = field(default_factory=list)
    mouth_width: list[float] = field(default_factory=list)
    """Mouth corner to corner, in inter-ocular units."""
    gaze: list[float] = field(default_factory=list)
    yaw_deg: list[float] = field(default_factory=list)
    """Yaw and pitch relative to the first frame with a face (`pose.relative_rotation`)."""
    pitch_deg: list[float] = field(default_factory=list)
    reference: np.ndarray | None = None

    def append(self, t: float, landmarks: np.ndarray | None) -> None:
        self.times.append(t)
        if landmarks is None:
            nan = float("nan")
            self.gap_px.append(nan)
            self.iod_px.append(nan)
            self.ear.append(nan)
            self.centre.append((nan, nan))
            self.roll_deg.append(nan)
            self.rigid.append(np.full((len(JITTER_POINTS), 2), np.nan, np.float32))
            self.brow.append(nan)
            self.mouth_width.append(nan)
            self.gaze.append(nan)
            self.yaw_deg.append(nan)
            self.pitch_deg.append(nan)
            return
        self.gap_px.append(lip_gap(landmarks))
        self.iod_px.append(inter_ocular(landmarks))
        self.ear.append(eye_aspect_ratio(landmarks))
        cx, cy = landmarks[list(regions.RIGID), :2].mean(axis=0)
        self.centre.append((float(cx), float(cy)))
        self.roll_deg.append(roll_degrees(landmarks))
        self.rigid.append(landmarks[list(JITTER_POINTS), :2].astype(np.float32))
        self.brow.append(brow_height(landmarks))
        self.mouth_width.append(mouth_width(landmarks))
        self.gaze.append(gaze_across(landmarks))
        if self.reference is None:
            self.reference = landmarks.copy()
        yaw, pitch, _ = angles(relative_rotation(landmarks, self.reference))
        self.yaw_deg.append(yaw)
        self.pitch_deg.append(pitch)

    def __len__(self) -> int:
        return len(self.times)

    @property
    def found(self) -> np.ndarray:
        return np.isfinite(np.asarray(self.iod_px, float))

    @property
    def iod(self) -> float:
        """Median inter-ocular distance in pixels: the unit every head measure is given in."""
        values = np.asarray(self.iod_px, float)
        return float(np.nanmedian(values)) if np.isfinite(values).any() else float("nan")

    @property
    def opening(self) -> np.ndarray:
        """Mouth opening per frame: inner-lip gap over that frame's inter-ocular distance."""
        return np.asarray(self.gap_px, float) / np.asarray(self.iod_px, float)
