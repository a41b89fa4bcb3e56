"""Gaze: the eyes hold the camera, look away now and then (most often as a phrase begins) and come back.

Speakers look away from their listener every few seconds while they plan what to
say, most often as a phrase starts, and back within a second or so; the eyes jump there and
back in saccades (a few tens of milliseconds: one frame at 25 fps), and drift a
degree or two between. Angles are where the eyes look relative to the camera;
the engine keeps them there while the head turns (the eyes counter-rotate).
"""

from __future__ import annotations

import numpy as np

from ..speech.sound import runs
from .head import SETTLE_S

MEAN_INTERVAL_S = 2.5  # between look-aways, irregular (gamma shape 3)
PHRASE_PULL_S = 0.8  # a look-away due this near a phrase start moves onto it
AWAY_DEG = (8.0, 18.0)  # size of a look away
AWAY_HOLD_S = (0.5, 1.5)
AWAY_UP_SHARE = 0.6  # looking away goes sideways and more often up than down
MIN_GAP_S = 0.8  # between the end of one look-away and the next
TURNED_DEG = 1.0  # a head turned at least this far leads a look-away its way
FIXATION_DEG = 1.5  # small shifts between fixations on the listener
FIXATION_S = (0.6, 1.6)


def gaze_track(talk: np.ndarray, fps: float, rng: np.random.Generator, yaw: np.ndarray | None = None) -> np.ndarray:
    """(n, 2) gaze in degrees per frame: x toward the image's right, y down; 0 is the camera.

    `talk` is 1 in speech, 0 in pauses (`head.speaking`). `yaw` (degrees per frame, the head's turn in
    the same sense as x), where given, sends each sideways look-away the way the head is turned: eyes
    that look away against the head's turn roll far into their corners, a sidelong glare (20 degrees
    and more in the head where a speaker's stay within about 10).
    """
    n = len(talk)
    gaze = np.zeros((n, 2))
    # Small fixational shifts around the listener, jump to jump.
    i = 0
    while i < n:
        j = min(n, i + max(1, round(rng.uniform(*FIXATION_S) * fps)))
        gaze[i:j] = rng.normal(0.0, FIXATION_DEG / 2, 2)
        i = j
    starts = runs(talk > 0)[0]
    moments = []
    t = rng.gamma(3.0, MEAN_INTERVAL_S / 3)
    while t * fps < n:
        near = starts[np.argmin(np.abs(starts - t * fps))] if len(starts) else -n
        moment = int(near) if abs(near - t * fps) <= PHRASE_PULL_S * fps else int(round(t * fps))
        moments.append(min(moment, n - 1))  # rounding may reach one past the last frame
        t += rng.gamma(3.0, MEAN_INTERVAL_S / 3)
    free_from = int(round(SETTLE_S * fps))  # the video opens looking at the camera
    for start in moments:
        if start < free_from:
            continue
        hold = int(round(rng.uniform(*AWAY_HOLD_S) * fps))
        size = rng.uniform(*AWAY_DEG)
        angle = rng.uniform(-0.6, 0.6) + (0 if rng.random() < 0.5 else np.pi)  # mostly sideways
        vertical = -abs(np.sin(angle)) if rng.random() < AWAY_UP_SHARE else abs(np.sin(angle))
        sideways = size * np.cos(angle)
        if yaw is not None and abs(yaw[start]) >= TURNED_DEG:
            sideways = abs(sideways) * np.sign(yaw[start])
        gaze[start : start + hold] = np.array([sideways, size * vertical])
        free_from = start + hold + int(round(MIN_GAP_S * fps))
    return gaze.astype(np.float32)  # held between jumps: a saccade takes under a frame
