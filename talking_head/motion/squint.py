"""The eyes narrow and open a little as a speaker talks: a slow play of the lids, quieter in pauses.

Real speakers' eyes are never held at one opening: with blinks left out, the eye
opening (the evaluator's eye aspect ratio) varies 0.045-0.068 of its median on the
footage clips (std), ours 0.033-0.048 with only blinks and smiles moving the lids;
two women's eyes were read as "fixed, the same opening in all 8 frames" by an
unlabelled viewer. The engine draws a squint from both lids: the lower rise as in a smile,
the upper come a little down.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .head import SETTLE_S, unit_noise

PLAY = 0.3  # std of the play in speech, in units of a full squint
REST = 0.1  # its middle: the lids come up a little and go back, mostly narrowing from the photo's opening
SMOOTH_S = 0.4  # it changes about this often
PAUSE_SHARE = 0.5  # in pauses the play quiets to this share
PAUSE_SMOOTH_S = 0.3


def squint_track(talk: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Squint per frame, 0 (the photo's eyes) .. 1 (a full squint); `talk` 1 in speech, 0 in pauses."""
    n = len(talk)
    quiet = gaussian_filter1d(talk.astype(np.float64), PAUSE_SMOOTH_S * fps, mode="nearest")
    play = REST + PLAY * unit_noise(n, SMOOTH_S * fps, rng) * (PAUSE_SHARE + (1 - PAUSE_SHARE) * quiet)
    play *= np.clip((np.arange(n) + 0.5) / (SETTLE_S * fps), 0, 1)  # the video opens on the photo's face
    return np.clip(play, 0, 1).astype(np.float32)
