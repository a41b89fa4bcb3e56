"""Control videos the evaluator must tell apart: how each is made.

- still: the photo, unmoving, over real speech;
- follow: the same photo with its jaw dropped in proportion to the audio's RMS
  envelope in the same frame (a crude but exact energy-driven mouth);
- late: the same, four frames late;
- blinking: the still photo with its eyelids painted shut at `BLINK_STARTS`;
- smooth: the photo swaying slowly (a few pixels, a couple of degrees): motion without jitter;
- shaky: the photo jumping a few pixels from frame to frame (background and jitter must show it);
- no face: a grey noise picture over speech;
- silent: the photo without any audio track.
The speech is a real LibriVox recording from tests/data with its transcript.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from talking_head.face import regions
from talking_head.speech.audio import ANALYSIS_RATE, read_audio, resample

FPS = 25
SIZE = 256
SHIFT_FRAMES = 4
SHAKE_PX = 3
SWAY_IOD = 0.05  # smooth sway amplitude, in inter-ocular distances
SWAY_DEG = 2.0
MAX_DROP_IOD = 0.35  # the widest jaw drop, in inter-ocular distances
MOUTH_INSIDE = (70, 25, 30)  # RGB, a dark mouth interior
LASHES = (60, 40, 35)  # RGB
LID_MARGIN = 1.35
BLINK_STARTS = (20, 60, 100, 140)  # frames
BLINK_SHAPE = (0.5, 1.0, 1.0, 1.0, 0.5)  # lid closure over a blink's frames


def jaw_dropped(image: np.ndarray, landmarks: np.ndarray, drop_px: float) -> np.ndarray:
    """The photo with everything under the lips' meeting line moved down by up to `drop_px`.

    The shift is full under the mouth's centre and fades towards the mouth
    corners and below the chin; the gap it opens is painted as the mouth's inside.
    """
    if drop_px < 0.25:
        return image
    h, w = image.shape[:2]
    top, bottom = landmarks[regions.INNER_LIP_TOP, :2], landmarks[regions.INNER_LIP_BOTTOM, :2]
    left, right = landmarks[regions.MOUTH_CORNERS[0], 0], landmarks[regions.MOUTH_CORNERS[1], 0]
    chin_y = landmarks[regions.CHIN, 1]
    line_y = (top[1] + bottom[1]) / 2
    cx, half = (left + right) / 2, abs(right - left) / 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    across = np.clip(1 - ((xs - cx) / (1.15 * half)) ** 2, 0, 1)  # lens-shaped opening
    fade = np.clip(1 - (ys - chin_y) / (0.6 * (chin_y - line_y)), 0, 1)  # back to rest under the chin
    shift = drop_px * across * np.where(ys < chin_y, 1.0, fade)
    below = ys >= line_y
    map_y = np.where(below, ys - shift, ys).astype(np.float32)
    out = cv2.remap(image, xs, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    gap = below & (ys < line_y + shift)
    out[gap] = MOUTH_INSIDE
    return out


def eyes_closed(image: np.ndarray, landmarks: np.ndarray, amount: float) -> np.ndarray:
    """The photo with each upper lid painted down `amount` (0 open .. 1 shut) of the way to the lower lid."""
    if amount <= 0:
        return image
    out = image.copy()
    for eye in (regions.RIGHT_EYE, regions.LEFT_EYE):
        pts = landmarks[list(eye), :2].astype(np.float64)
        pts = pts.mean(axis=0) + LID_MARGIN * (pts - pts.mean(axis=0))  # the mesh contour lies inside the lids
        outer, upper, inner, lower = pts[0], pts[1:8], pts[8], pts[9:16][::-1]  # both lids outer to inner
        lid = upper + amount * (lower - upper)
        height = pts[:, 1].max() - pts[:, 1].min()
        x, y = int(pts[:, 0].mean()), int(pts[:, 1].min() - 0.6 * height)
        skin = image[y - 2 : y + 3, x - 3 : x + 4].reshape(-1, 3).mean(axis=0)
        cv2.fillPoly(
            out,
            [np.round(np.vstack([[outer], upper, [inner], lid[::-1]])).astype(np.int32)],
            tuple(int(v) for v in skin),
        )
        cv2.polylines(
            out, [np.round(np.vstack([[outer], lid, [inner]])).astype(np.int32)], False, LASHES, 1, cv2.LINE_AA
        )
    return out


def read_speech(wav: Path) -> tuple[np.ndarray, int, np.ndarray]:
    audio, rate = read_audio(wav)
    return audio, rate, resample(audio, rate, ANALYSIS_RATE)


def write_silent_video(path: Path, frames) -> Path:
    """An H.264 MP4 with no audio track."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = SIZE, SIZE, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for i, frame in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            vf.pts, vf.time_base = i, Fraction(1, FPS)
            container.mux(stream.encode(vf))
        container.mux(stream.encode(None))
    return path


def swayed(image: np.ndarray, t: float, iod: float) -> np.ndarray:
    """The whole picture moved smoothly at time `t` s: slow sines in x, y and roll."""
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), SWAY_DEG * np.sin(2 * np.pi * 0.3 * t), 1.0)
    matrix[:, 2] += (
        SWAY_IOD * iod * np.sin(2 * np.pi * 0.4 * t),
        0.6 * SWAY_IOD * iod * np.sin(2 * np.pi * 0.27 * t + 1),
    )
    return cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
