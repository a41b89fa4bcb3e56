"""A smile that comes and goes: it grows over some phrases and fades in the pauses after them
(or, in speech that runs on without pauses, where the next sentence-long stretch starts).

The engine draws it from wherever the photo's face starts (a photo already
smiling has less left to add) and narrows the eyes with it, as real smiles do.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..speech.sound import runs
from .head import SETTLE_S

SMILE_SHARE = 0.5  # of the phrases carry a smile
LEVEL = (0.4, 1.0)  # its height at the phrase's end, in units of a full smile
RISE_S = 1.5  # it grows over about this much of the phrase
FADE_S = 0.5  # and fades over about this much of the pause after (smoothing sigma)
MIN_PAUSE_S = 0.35  # shorter pauses do not let a smile go
SENTENCE_S = 4.0  # speech running on without a pause changes its mood about this often


def smile_track(talk: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Smile per frame, 0 (the photo's own face) .. 1; `talk` is 1 in speech, 0 in pauses (`head.speaking`)."""
    n = len(talk)
    # Phrases joined across pauses too short to let a smile go.
    held = talk.astype(bool).copy()
    for a, b in zip(*runs(talk == 0)):
        if 0 < a and b < n and b - a < MIN_PAUSE_S * fps:
            held[a:b] = True
    smile = np.zeros(n)
    for start, end in zip(*runs(held)):
        pieces = max(1, round((end - start) / (SENTENCE_S * fps)))
        cuts = np.linspace(start, end, pieces + 1).round().astype(int)
        for a, b in zip(cuts[:-1], cuts[1:]):
            if rng.random() >= SMILE_SHARE:
                continue
            since = (np.arange(b - a) + 0.5) / fps
            rise = np.clip(since / RISE_S, 0, 1)
            smile[a:b] = rng.uniform(*LEVEL) * rise * rise * (3 - 2 * rise)
    smile = gaussian_filter1d(smile, FADE_S * fps, mode="constant")
    smile *= np.clip((np.arange(n) + 0.5) / (SETTLE_S * fps), 0, 1)  # the video opens on the photo's face
    return np.clip(smile, 0, 1).astype(np.float32)
