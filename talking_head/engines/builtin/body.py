"""The body under the head: shoulders and chest rise and fall with the breath and sway a little with the head.

A smooth displacement field over the region below the chin, strongest on the
shoulders and fading to nothing above the chin, beside the body and far below
it, moves the picture there by a pixel or two; the background beyond the
shoulders moves with the field's fading edge only.
"""

from __future__ import annotations

import cv2
import numpy as np

from ...face import regions
from .deform import smoothstep

BREATH_IOD = (
    0.015  # the shoulders' rise for a full breath in (a millimetre or two; more costs the background its 35 dB)
)
SWAY_IOD_PER_DEG = 0.0015  # the upper body turns a little with the head: its sideways shift per degree of yaw
NECK_S = 0.7  # the field grows from the chin to this many face heights below it (the shoulders)
BODY_HALF_WIDTH = 1.2  # full strength within this many face widths of the chin, sideways
EDGE_WIDTH = 1.2  # then fading to nothing over this many more
DEPTH = 3.0  # and, downward, fading out from this many face heights below the chin, over one more
STILL_PX = 0.05  # displacements under this are not drawn


class Body:
    """The displacement field of one framed photo, and the frame-by-frame move of the picture under the head."""

    def __init__(self, shape: tuple[int, ...], landmarks: np.ndarray, iod: float):
        h, w = shape[:2]
        oval = landmarks[list(regions.FACE_OVAL), :2].astype(np.float64)
        face_w, face_h = float(np.ptp(oval[:, 0])), float(np.ptp(oval[:, 1]))
        chin_x, chin_y = landmarks[regions.CHIN, :2].astype(np.float64)
        reach = (BODY_HALF_WIDTH + EDGE_WIDTH) * face_w
        x0, x1 = int(max(0, chin_x - reach)), int(min(w, np.ceil(chin_x + reach)))
        y0, y1 = int(max(0, chin_y)), int(min(h, np.ceil(chin_y + (DEPTH + 1) * face_h)))
        self.box = (x0, y0, x1, y1)
        self.iod = iod
        if x1 - x0 < 2 or y1 - y0 < 2:
            self.weight = None
            return
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        down = (ys - chin_y) / (NECK_S * face_h)
        across = (np.abs(xs - chin_x) / face_w - BODY_HALF_WIDTH) / EDGE_WIDTH
        below = (ys - chin_y) / face_h - DEPTH
        self.weight = (smoothstep(down) * (1 - smoothstep(across)) * (1 - smoothstep(below))).astype(np.float32)
        self.xs, self.ys = xs, ys

    def move(self, frame: np.ndarray, breath: float, yaw_deg: float) -> None:
        """Moves the picture under the head in `frame` (in place) for one frame's breath and head turn."""
        if self.weight is None:
            return
        dx = SWAY_IOD_PER_DEG * yaw_deg * self.iod
        dy = -BREATH_IOD * breath * self.iod
        if abs(dx) < STILL_PX and abs(dy) < STILL_PX:
            return
        # Each pixel takes its colour from where the displacement came from, within a few rows above the box
        # (remapping from the whole frame costs three times as much).
        x0, y0, x1, y1 = self.box
        top = max(0, y0 - int(np.ceil(abs(dy))) - 2)
        # Fixed-point maps: converting and remapping costs three quarters of remapping with float maps.
        map1, map2 = cv2.convertMaps(self.xs - dx * self.weight, (self.ys - top) - dy * self.weight, cv2.CV_16SC2)
        frame[y0:y1, x0:x1] = cv2.remap(frame[top:y1], map1, map2, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
