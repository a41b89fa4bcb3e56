"""Mouth shapes from the phone timeline, blended with coarticulation.

Every phone pulls the mouth toward its target shape with a dominance that
peaks slightly before the phone is heard (the lips anticipate the sound) and
decays with distance in time; each frame is the dominance-weighted mean of the
targets near it (Cohen & Massaro's model). Lip contacts (p/b/m closure, f/v
lip-to-teeth) are then made exact on the frames that carry them, and loudness
scales how far the jaw opens.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ..speech.audio import frame_rms
from ..speech.spool import Signal
from ..speech.timeline import Phone

ANTICIPATION_S = 0.03  # lips move toward a sound this long before it is heard
NEIGHBOURS = 6  # phones either side of a frame that can shape it
CONTACT_SHOULDER = 0.35  # lips already closing on the frame before a contact, still on the frame after
SILENCE_DB = -38.0  # frames this far below the loud speech level count as silent
QUIET_JAW_SHARE = 0.1  # how far a whispered vowel opens the jaw, relative to a loud one
MAX_LOUDNESS = 1.3  # relative to the 90th percentile of frame loudness
LOUDNESS_POWER = 0.5  # the jaw follows loudness compressed, as heard: ordinary vowels open nearly fully

# Targets: (jaw 0..1, lip width -1 rounded .. +1 spread, press 0..1, tuck 0..1);
# press and tuck targets mark contacts, made exact per frame below.
_TARGETS = {
    "AA": (0.85, 0.10, 0, 0),
    "AE": (0.75, 0.35, 0, 0),
    "AH": (0.55, 0.05, 0, 0),
    "AO": (0.65, -0.40, 0, 0),
    "AW": (0.70, -0.25, 0, 0),
    "AY": (0.75, 0.20, 0, 0),
    "EH": (0.55, 0.40, 0, 0),
    "ER": (0.35, -0.35, 0, 0),
    "EY": (0.45, 0.50, 0, 0),
    "IH": (0.35, 0.50, 0, 0),
    "IY": (0.22, 0.75, 0, 0),
    "OW": (0.50, -0.65, 0, 0),
    "OY": (0.50, -0.45, 0, 0),
    "UH": (0.30, -0.70, 0, 0),
    "UW": (0.25, -0.85, 0, 0),
    "P": (0.02, 0.00, 1, 0),
    "B": (0.02, 0.00, 1, 0),
    "M": (0.02, 0.00, 1, 0),
    "F": (0.10, 0.10, 0, 1),
    "V": (0.10, 0.10, 0, 1),
    "W": (0.03, -0.90, 0, 0),
    "R": (0.25, -0.45, 0, 0),
    "Y": (0.20, 0.55, 0, 0),
    "SH": (0.18, -0.50, 0, 0),
    "ZH": (0.18, -0.50, 0, 0),
    "CH": (0.18, -0.50, 0, 0),
    "JH": (0.18, -0.50, 0, 0),
    "S": (0.12, 0.45, 0, 0),
    "Z": (0.12, 0.45, 0, 0),
    "T": (0.20, 0.20, 0, 0),
    "D": (0.20, 0.20, 0, 0),
    "N": (0.20, 0.15, 0, 0),
    "TH": (0.20, 0.20, 0, 0),
    "DH": (0.20, 0.20, 0, 0),
    "L": (0.30, 0.10, 0, 0),
    "K": (0.30, 0.10, 0, 0),
    "G": (0.30, 0.10, 0, 0),
    "NG": (0.28, 0.10, 0, 0),
    "HH": (0.40, 0.00, 0, 0),
    "SIL": (0.0, 0.0, 0, 0),
}
# How strongly a phone imposes its shape: contacts must happen, alveolars and
# velars borrow the shape of the vowels around them. A w rounds the lips nearly
# shut (real gap 0.033 IOD median, under 0.03 on half its frames, `bench.lip_phones`):
# with p/b/m and f/v, where a speaker's lips meet between syllables. The voice's
# loudness dips do not say so: at a dip 14 dB under its neighbours (a stop, t, k)
# the real lips were apart on 30 of 33 frames, 0.10-0.25 IOD.
_DOMINANCE = {"P": 4.0, "B": 4.0, "M": 4.0, "F": 2.5, "V": 2.5, "W": 3.0, "UW": 1.3, "OW": 1.2, "SIL": 1.0}
_WEAK = {"T", "D", "N", "K", "G", "NG", "HH", "L", "TH", "DH", "Y", "R"}
BILABIALS = frozenset({"P", "B", "M"})
LABIODENTALS = frozenset({"F", "V"})
TONGUE_TIP = frozenset({"L", "T", "D", "N", "TH", "DH"})  # the tip rises to the teeth or the ridge behind them


def _dominance(label: str) -> float:
    if label in _DOMINANCE:
        return _DOMINANCE[label]
    return 0.5 if label in _WEAK else 1.0


def frame_times(n_frames: int, fps: float) -> np.ndarray:
    """The middle of each frame's display interval, in seconds."""
    return (np.arange(n_frames) + 0.5) / fps


def _contact_frames(phones: list[Phone], labels: frozenset[str], times: np.ndarray, fps: float) -> np.ndarray:
    """Frames on which a contact phone must show: those inside it, or the nearest one to a short phone."""
    hit = np.zeros(len(times), bool)
    for p in phones:
        if p.label not in labels:
            continue
        start, end = p.start - ANTICIPATION_S, p.end - ANTICIPATION_S
        inside = (times >= start) & (times < end)
        if inside.any():
            hit |= inside
        else:
            nearest = int(np.clip(round((start + end) / 2 * fps - 0.5), 0, len(times) - 1))
            hit[nearest] = True
    return hit


def _ramped(hit: np.ndarray) -> np.ndarray:
    level = hit.astype(np.float32)
    shoulder = np.zeros_like(level)
    shoulder[1:] = np.maximum(shoulder[1:], level[:-1])
    shoulder[:-1] = np.maximum(shoulder[:-1], level[1:])
    return np.maximum(level, CONTACT_SHOULDER * shoulder)


def mouth_track(
    phones: list[Phone], audio_16k: Signal, fps: float, n_frames: int, loud: float | None = None
) -> dict[str, np.ndarray]:
    """Per-frame jaw, lip width, lip press, lip tuck and tongue tip.

    `loud` is the loud speech level (frame RMS) the jaw opens fully at; by default this audio's own
    90th percentile (a stream read a window at a time passes its running level instead).
    """
    times = frame_times(n_frames, fps)
    out = {k: np.zeros(n_frames, np.float32) for k in ("jaw", "lip_width", "lip_press", "lip_tuck", "tongue")}
    speech_phones = [p for p in phones if p.end > p.start]
    if speech_phones:
        labels = [p.label if p.label in _TARGETS else "SIL" for p in speech_phones]
        targets = np.array([_TARGETS[label] for label in labels], np.float64)  # (P, 4)
        weight = np.array([_dominance(label) for label in labels])
        starts = np.array([p.start for p in speech_phones])
        ends = np.array([p.end for p in speech_phones])
        centres = (starts + ends) / 2 - ANTICIPATION_S
        # A phone's influence spreads over its own half-length plus a transition.
        spread = np.maximum((ends - starts) / 2, 0.025) + 0.035
        nearest = np.searchsorted(centres, times)
        candidates = np.clip(nearest[:, None] + np.arange(-NEIGHBOURS, NEIGHBOURS + 1)[None, :], 0, len(centres) - 1)
        distance = np.abs(times[:, None] - centres[candidates]) / spread[candidates]
        dominance = weight[candidates] * np.exp(-(distance**1.5))
        # Drop repeated candidates at the sequence edges so no phone counts twice.
        first = np.ones_like(candidates, bool)
        first[:, 1:] = candidates[:, 1:] != candidates[:, :-1]
        dominance *= first
        blended = (dominance[:, :, None] * targets[candidates]).sum(axis=1) / np.maximum(dominance.sum(axis=1), 1e-9)[
            :, None
        ]
        out["jaw"], out["lip_width"], out["lip_press"], out["lip_tuck"] = (blended.T).astype(np.float32)

        # Loudness: the jaw opens with the amplitude of the voice, compressed;
        # frames far below the loud speech level count as silence and close it.
        rms = frame_rms(audio_16k, fps, n_frames)
        loud = max(float(np.percentile(rms, 90)) if loud is None else loud, 1e-6)
        relative = np.clip(rms / loud, 0.0, MAX_LOUDNESS)
        out["jaw"] *= (QUIET_JAW_SHARE + (1 - QUIET_JAW_SHARE) * relative**LOUDNESS_POWER).astype(np.float32)
        # In silence the whole mouth rests, with a one-frame ramp in and out; the frame
        # before speech is already moving (the lips anticipate the sound).
        speaking = (rms >= loud * 10 ** (SILENCE_DB / 20)).astype(np.float32)
        speaking[:-1] = np.maximum(speaking[:-1], speaking[1:])
        gate = np.minimum(speaking, uniform_filter1d(speaking, 3, mode="constant"))
        out["jaw"] *= gate
        out["lip_width"] *= gate

        # Contacts are events, not blends: full on their frames, a short ramp either side.
        bilabial = _contact_frames(speech_phones, BILABIALS, times, fps)
        labiodental = _contact_frames(speech_phones, LABIODENTALS, times, fps) & ~bilabial
        out["lip_press"] = _ramped(bilabial)
        out["lip_tuck"] = _ramped(labiodental) * (1 - out["lip_press"])
        out["tongue"] = _ramped(_contact_frames(speech_phones, TONGUE_TIP, times, fps)) * (1 - out["lip_press"])
        out["jaw"][bilabial] = np.minimum(out["jaw"][bilabial], 0.03)
        out["jaw"][labiodental] = np.minimum(out["jaw"][labiodental], 0.12)
    for key in out:
        out[key] = np.clip(out[key], -1.0, 1.0).astype(np.float32)
    return out
