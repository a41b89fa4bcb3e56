"""Mouth-shape phones read from the sound alone: any language, no recogniser.

Used for recordings with `audio_reading="sound"`, and wherever PocketSphinx is
not installed (it publishes no wheel for CPython 3.14).

Each 10 ms frame of the 16 kHz signal is read from its spectrum: how loud it
is, where its first two resonances lie (the jaw lowers the first, rounded
lips lower the second), how much of it is hiss, and whether it is a short
dip between louder sounds (a closure). Resonances are compared with the
speaker's own range (z-scores over the voiced frames), so one table of vowel
shapes serves any voice and any language. Closures whose neighbouring
resonances fall (the lips lengthen the tube) close the lips; others are
tongue closures. The labels are the ARPAbet ones motion uses.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter

from .audio import ANALYSIS_RATE
from .timeline import Phone

HOP = ANALYSIS_RATE // 100  # 10 ms
WINDOW = 512  # 32 ms
SILENCE_DB = 35.0  # below the loud speech level
DIP_DB = 6.0  # a closure is this far below the loudest sound within `DIP_REACH_S`
DIP_REACH_S = 0.08
MAX_DIP_S = 0.16  # longer quiet is a pause, not a closure
HISS_SHARE = 0.45  # of a frame's energy above 3.5 kHz: a fricative
LABIAL_F2_Z = -0.2  # neighbouring second resonance this far under the speaker's mean: lips closed
# Vowel shapes by their first two resonances (Hz, adult averages, Peterson and Barney),
# compared as z-scores of their logs against each speaker's own.
_VOWELS = {
    "IY": (270, 2290),
    "IH": (390, 1990),
    "EH": (530, 1840),
    "AE": (660, 1720),
    "AA": (730, 1090),
    "AO": (570, 840),
    "UH": (440, 1020),
    "UW": (300, 870),
    "AH": (520, 1190),
    "ER": (490, 1350),
}


def _band_centroid(power: np.ndarray, freqs: np.ndarray, low: float, high: float) -> np.ndarray:
    band = (freqs >= low) & (freqs < high)
    weights = power[:, band]
    return (weights * freqs[band]).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-12)


def _zscores(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    logs = np.log(np.maximum(values, 1.0))
    ref = logs[mask] if mask.sum() >= 5 else logs
    return (logs - ref.mean()) / max(float(ref.std()), 1e-6)


def _vowel_table() -> tuple[list[str], np.ndarray]:
    names = list(_VOWELS)
    logs = np.log(np.array([_VOWELS[n] for n in names], float))
    return names, (logs - logs.mean(axis=0)) / logs.std(axis=0)


_VOWEL_NAMES, _VOWEL_Z = _vowel_table()
# Labels are worked on as codes into this alphabetical list: the 3-frame median then keeps the label the
# strings' own order would.
LABELS = np.array(sorted({*_VOWEL_NAMES, "S", "B", "D", "SIL"}), dtype=object)
_CODE = {name: k for k, name in enumerate(LABELS)}
_VOWEL_CODES = np.array([_CODE[name] for name in _VOWEL_NAMES])
_S, _B, _D, _SIL = (_CODE[name] for name in ("S", "B", "D", "SIL"))


def frame_count(samples: int) -> int:
    """The 10 ms frames (whole windows, a hop apart) in `samples` samples."""
    return max(0, (samples - WINDOW) // HOP + 1)


def frame_features(audio_16k: np.ndarray) -> np.ndarray:
    """What each 10 ms frame's label is read from, one row per frame: its loudness (dB), its share of hiss,
    its first and second resonance (Hz) and its loudness above the voice bar (dB). A row depends on its own
    window of the signal alone, so a stream can keep the rows of what it has already heard."""
    n = frame_count(len(audio_16k))
    frames = np.lib.stride_tricks.sliding_window_view(audio_16k.astype(np.float64), WINDOW)[::HOP][:n]
    power = np.abs(np.fft.rfft(frames * np.hanning(WINDOW), axis=1)) ** 2
    freqs = np.fft.rfftfreq(WINDOW, 1 / ANALYSIS_RATE)
    speech_band = (freqs >= 80) & (freqs < 8000)
    energy_db = 10 * np.log10(power[:, speech_band].sum(axis=1) + 1e-12)
    hiss = power[:, freqs >= 3500].sum(axis=1) / np.maximum(power[:, speech_band].sum(axis=1), 1e-12)
    f1 = _band_centroid(power, freqs, 250, 1000)
    f2 = _band_centroid(power, freqs, 800, 2800)
    # Closures show above the voice bar: nasal murmur keeps the low band, not the rest.
    upper_db = 10 * np.log10(power[:, (freqs >= 400) & (freqs < 5000)].sum(axis=1) + 1e-12)
    return np.stack([energy_db, hiss, f1, f2, upper_db], axis=1)


def frame_labels(audio_16k: np.ndarray, features: np.ndarray | None = None) -> list[str]:
    """One ARPAbet label per 10 ms frame; `features`: `frame_features(audio_16k)`, if already known."""
    return LABELS[_label_codes(audio_16k, features)].tolist()


def _label_codes(audio_16k: np.ndarray, features: np.ndarray | None) -> np.ndarray:
    """`frame_labels` as codes into `LABELS`."""
    n = frame_count(len(audio_16k))
    tail = np.full(max(0, len(audio_16k) // HOP - n), _SIL)
    if n == 0:
        return tail
    energy_db, hiss, f1, f2, upper_db = (frame_features(audio_16k) if features is None else features).T
    loud = float(np.percentile(energy_db, 95))

    silent = energy_db < loud - SILENCE_DB
    voiced = ~silent & (hiss < HISS_SHARE)
    z1, z2 = _zscores(f1, voiced), _zscores(f2, voiced)
    distance = (z1[:, None] - _VOWEL_Z[None, :, 0]) ** 2 + (z2[:, None] - _VOWEL_Z[None, :, 1]) ** 2
    codes = _VOWEL_CODES[distance.argmin(axis=1)]
    codes[hiss >= HISS_SHARE] = _S

    reach = max(1, int(DIP_REACH_S * 100))
    peak = maximum_filter1d(upper_db, size=2 * reach + 1)
    dip = ~silent & (upper_db < peak - DIP_DB)
    # Closures are short: a long quiet stretch is a pause.
    starts, ends = runs(dip)
    short = (ends - starts) / 100 <= MAX_DIP_S
    starts, ends = starts[short], ends[short]
    # The lips lengthen the tube: the second resonance falls from the nuclei either side into the closure.
    edges = _mean_at(z2, np.stack([starts - 2, starts - 1, ends, ends + 1], axis=1))
    nuclei = _mean_at(z2, np.stack([starts - 7, starts - 6, starts - 5, ends + 4, ends + 5, ends + 6], axis=1))
    labial = (edges - nuclei) < LABIAL_F2_Z  # NaN (no frame on either side) is not labial
    for start, end, lips in zip(starts.tolist(), ends.tolist(), labial.tolist()):
        codes[start:end] = _B if lips else _D
    codes[silent] = _SIL
    # A label must hold two frames or more (one frame of a shape is noise).
    return np.concatenate([median_filter(codes, size=3, mode="nearest"), tail])


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The starts and ends (one past the last) of the runs of True in `mask`, a per-frame flag."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _mean_at(values: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """Per row of `indices`, the mean of `values` at those of its indices inside the array (NaN if none)."""
    inside = (indices >= 0) & (indices < len(values))
    picked = np.where(inside, values[np.clip(indices, 0, len(values) - 1)], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return picked.sum(axis=1) / inside.sum(axis=1)


def read_phones(audio_16k: np.ndarray, offset: float = 0.0, features: np.ndarray | None = None) -> list[Phone]:
    """The phone timeline read from the sound: runs of equal frame labels, in seconds (`features`:
    `frame_features(audio_16k)`, if already known)."""
    codes = _label_codes(audio_16k, features)
    centre = (WINDOW / 2 - HOP / 2) / ANALYSIS_RATE  # a frame's 10 ms lie around its window's middle
    starts = np.flatnonzero(np.diff(codes, prepend=-1)).tolist()
    phones: list[Phone] = []
    for start, end in zip(starts, [*starts[1:], len(codes)]):
        begin = offset + (start * HOP / ANALYSIS_RATE + centre if start else 0.0)
        phones.append(Phone(LABELS[codes[start]], begin, offset + end * HOP / ANALYSIS_RATE + centre))
    return phones
