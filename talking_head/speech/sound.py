"""Mouth-shape phones read from the sound alone: any language, no recogniser.

Used where PocketSphinx is not installed (it publishes no wheel for CPython
3.14). Every 10 ms frame is classed by its loudness and spectrum, and runs of
one class become `Phone`s whose ARPAbet labels stand for the mouth shape,
not the sound actually said:

* quiet (below `SILENCE_DB` under the loud speech level): ``SIL``, mouth at rest;
* hiss (most energy above `HISS_HZ`): ``S``, teeth nearly together;
* a short dip in level between two louder stretches: ``M``, the lips meet
  (p, b and m are such dips; t, d, k are too, and a closed mouth there reads
  as natural speech);
* a hum with almost all its energy at the voice's pitch (spectral centroid
  below 3 kHz under `MURMUR_CENTROID_HZ`): ``N``, jaw nearly closed (nasals
  and voiced closures sound so);
* other voiced sound: a vowel, ``AA`` (open) when its energy reaches up to
  the first formant of open vowels (centroid above `OPEN_CENTROID_HZ`),
  else ``AH`` when loud and ``EH`` when not.

Loudness then scales the jaw in `motion.visemes` as for every timeline, so
the mouth opens with the speech even where a class is wrong.
"""

from __future__ import annotations

import numpy as np

from .audio import ANALYSIS_RATE
from .timeline import Phone

FRAME_S = 0.01
WINDOW_S = 0.025
SILENCE_DB = -35.0  # relative to the 90th percentile of frame level
LOUD_DB = -8.0  # above this (same reference) a vowel is said with the mouth well open
HISS_HZ = 3500.0
HISS_SHARE = 0.5  # share of the energy above HISS_HZ that makes a frame a hiss
MURMUR_CENTROID_HZ = 180.0  # spectral centroids below 3 kHz, measured on LibriVox speech:
OPEN_CENTROID_HZ = 450.0  # m/n about 145 Hz, i/u about 250 Hz, a about 600 Hz
DIP_DB = 8.0  # a closure is this much quieter than the louder stretches either side
DIP_MAX_S = 0.12  # longer quiet stretches are pauses, not closures
DIP_CONTEXT_S = 0.08  # how far either side the louder stretch is looked for
MIN_PHONE_S = 0.03  # shorter runs join the run before them


def _frames(audio_16k: np.ndarray) -> np.ndarray:
    hop, window = round(FRAME_S * ANALYSIS_RATE), round(WINDOW_S * ANALYSIS_RATE)
    padded = np.concatenate([np.asarray(audio_16k, np.float32), np.zeros(window, np.float32)])
    count = max(1, -(-len(audio_16k) // hop))
    starts = np.arange(count) * hop
    return padded[starts[:, None] + np.arange(window)] * np.hanning(window).astype(np.float32)


def frame_labels(audio_16k: np.ndarray) -> list[str]:
    """One mouth-shape label per 10 ms frame of the 16 kHz audio."""
    frames = _frames(audio_16k)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(frames.shape[1], 1 / ANALYSIS_RATE)
    total = power.sum(axis=1) + 1e-12
    level = 10 * np.log10(total)
    level -= np.percentile(level, 90)
    hiss = power[:, freqs >= HISS_HZ].sum(axis=1) / total
    low = freqs < 3000.0
    centroid = (power[:, low] * freqs[low]).sum(axis=1) / (power[:, low].sum(axis=1) + 1e-12)

    labels = []
    for lv, hs, c in zip(level, hiss, centroid):
        if lv < SILENCE_DB:
            labels.append("SIL")
        elif hs > HISS_SHARE:
            labels.append("S")
        elif c < MURMUR_CENTROID_HZ:
            labels.append("N")
        elif c > OPEN_CENTROID_HZ:
            labels.append("AA")
        else:
            labels.append("AH" if lv > LOUD_DB else "EH")

    # Closures: short stretches well below the level on both sides (a longer one is a pause).
    context, longest = round(DIP_CONTEXT_S / FRAME_S), round(DIP_MAX_S / FRAME_S)
    n = len(level)
    before = np.array([level[max(0, k - context) : k].max(initial=-np.inf) for k in range(n)])
    after = np.array([level[k + 1 : k + 1 + context].max(initial=-np.inf) for k in range(n)])
    dip = level < np.minimum(before, after) - DIP_DB
    k = 0
    while k < n:
        if not dip[k]:
            k += 1
            continue
        end = k
        while end < n and dip[end]:
            end += 1
        if end - k <= longest:
            labels[k:end] = ["M"] * (end - k)
        k = end
    return labels


def read_phones(audio_16k: np.ndarray, offset: float = 0.0) -> list[Phone]:
    """Mouth-shape phones for the audio, in seconds from `offset`."""
    labels = frame_labels(audio_16k)
    runs: list[list] = []  # [label, first frame, end frame]
    for k, label in enumerate(labels):
        if runs and runs[-1][0] == label:
            runs[-1][2] = k + 1
        else:
            runs.append([label, k, k + 1])
    min_frames = round(MIN_PHONE_S / FRAME_S)
    merged: list[list] = []
    for run in runs:
        # A closure is short by nature; anything else too short joins its neighbour.
        if merged and run[2] - run[1] < min_frames and run[0] != "M" or merged and merged[-1][0] == run[0]:
            merged[-1][2] = run[2]
        else:
            merged.append(run)
    end_s = len(audio_16k) / ANALYSIS_RATE
    return [Phone(label, offset + a * FRAME_S, offset + min(b * FRAME_S, end_s)) for label, a, b in merged]
