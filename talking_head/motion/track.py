"""`MotionTrack`: what the face does in each video frame."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np


@dataclass
class MotionTrack:
    """Per-frame face parameters at `fps`; every array has one value per video frame.

    Mouth: `jaw` opening 0..1 (1 is a wide "ah"); `lip_width` -1 (rounded, "oo")
    to +1 (spread, "ee"); `lip_press` 0..1 lips pressed together (p, b, m);
    `lip_tuck` 0..1 lower lip against the upper teeth (f, v); `tongue` 0..1 its tip
    raised to the teeth (l, t, d, n, th).
    Eyes and brows: `blink` 0 open .. 1 closed; `squint` 0..1 the eyes narrowed by both lids (0: the photo's eyes);
    `brow` 0..1 raise.
    Head: `yaw`, `pitch`, `roll` in degrees (positive: turn to the subject's
    left, nod down, tilt to the subject's left).
    Gaze: `gaze_x`, `gaze_y` in degrees away from the camera (toward the image's
    right, down), whatever the head does. `smile` 0 (the photo's own face) .. 1.
    Body: `breath` chest rise, -1 breathed out .. 1 in, 0 as in the photo.
    """

    fps: int
    jaw: np.ndarray
    lip_width: np.ndarray
    lip_press: np.ndarray
    lip_tuck: np.ndarray
    tongue: np.ndarray
    blink: np.ndarray
    squint: np.ndarray
    brow: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    roll: np.ndarray
    gaze_x: np.ndarray
    gaze_y: np.ndarray
    smile: np.ndarray
    breath: np.ndarray

    @property
    def n_frames(self) -> int:
        return len(self.jaw)

    @classmethod
    def at_rest(cls, n_frames: int, fps: int) -> MotionTrack:
        """A face that does nothing, for `n_frames` frames."""
        zeros = {f.name: np.zeros(n_frames, np.float32) for f in fields(cls) if f.name != "fps"}
        return cls(fps=fps, **zeros)

    def frame(self, i: int) -> dict[str, float]:
        """The parameters of frame `i` as plain floats."""
        return {f.name: float(getattr(self, f.name)[i]) for f in fields(self) if f.name != "fps"}
