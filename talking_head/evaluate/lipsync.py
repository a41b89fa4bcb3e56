"""Lip sync the THEval way: mouth opening against the audio's RMS envelope, frame by frame.

Mouth opening is the inner-lip gap divided by the inter-ocular distance; the
envelope is the RMS of the 16 kHz audio over each frame's interval
[t, t + 1/fps). Their Pearson r at lag 0 says whether the mouth moves with the
sound; the best r within +-`MAX_LAG_FRAMES` says how far off it is in time
(positive lag: the mouth is late).
"""

from __future__ import annotations

import numpy as np

from ..speech.audio import ANALYSIS_RATE

MAX_LAG_FRAMES = 8
MIN_FRAMES = 10  # fewer frames with both a face and sound: not measurable
STILL_MOUTH_STD = 1e-4  # opening std (inter-ocular units) below which the mouth does not move at all
QUIET_DB = -30.0  # frames this far under loud speech (95th percentile envelope) are quiet
MIN_SILENCE_S = 0.25  # quiet stretches shorter than this are pauses inside speech (stops, breaths)
SILENCE_EDGE_FRAMES = 2  # frames at each end of a silence left out: the mouth may still be closing


def envelope(audio_16k: np.ndarray, audio_start_s: float, frame_times: np.ndarray, fps: float) -> np.ndarray:
    """RMS of the audio over [t, t + 1/fps) for each frame time t (zero where there is no audio)."""
    starts = np.round((np.asarray(frame_times) - audio_start_s) * ANALYSIS_RATE).astype(np.int64)
    ends = np.round((np.asarray(frame_times) + 1.0 / fps - audio_start_s) * ANALYSIS_RATE).astype(np.int64)
    starts = np.clip(starts, 0, len(audio_16k))
    ends = np.clip(ends, 0, len(audio_16k))
    csum = np.concatenate([[0.0], np.cumsum(audio_16k.astype(np.float64) ** 2)])
    energy = (csum[ends] - csum[starts]) / np.maximum(ends - starts, 1)
    return np.sqrt(energy)


def pearson(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson r over the entries where both are finite; None with too few or a constant envelope.

    A mouth that does not move at all has no correlation with anything: 0.
    """
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < MIN_FRAMES:
        return None
    a, b = a[ok], b[ok]
    if np.std(b) == 0:
        return None
    if np.std(a) < STILL_MOUTH_STD:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def lagged_r(opening: np.ndarray, env: np.ndarray, lag: int) -> float | None:
    """r between opening[t + lag] and env[t]: a positive lag pairs the sound with a later mouth."""
    n = len(opening)
    if lag >= 0:
        return pearson(opening[lag:], env[: n - lag])
    return pearson(opening[:lag], env[-lag:])


def lipsync(opening: np.ndarray, env: np.ndarray | None, max_lag: int = MAX_LAG_FRAMES) -> dict:
    """`r` at lag 0, `best_r` and `best_lag_frames` within +-max_lag; None values when not measurable."""
    empty = {"r": None, "best_r": None, "best_lag_frames": None}
    if env is None:
        return empty
    r0 = lagged_r(opening, env, 0)
    if r0 is None:
        return empty
    best_r, best_lag = r0, 0
    for lag in range(-max_lag, max_lag + 1):
        r = lagged_r(opening, env, lag)
        # Ties go to the smaller lag, so a mouth that never moves reports lag 0.
        if r is not None and (r > best_r + 1e-12 or (abs(r - best_r) <= 1e-12 and abs(lag) < abs(best_lag))):
            best_r, best_lag = r, lag
    return {"r": round(r0, 4), "best_r": round(best_r, 4), "best_lag_frames": best_lag}


def quiet_runs(env: np.ndarray, fps: float) -> list[tuple[int, int]]:
    """Frame ranges [start, end) quiet for at least `MIN_SILENCE_S` (the whole video if it is silent)."""
    loud = np.percentile(env, 95) if len(env) else 0.0
    if loud <= 0:
        return [(0, len(env))]
    quiet = env < loud * 10 ** (QUIET_DB / 20)
    min_len = max(1, round(MIN_SILENCE_S * fps))
    runs = []
    i = 0
    while i < len(env):
        j = i
        while j < len(env) and quiet[j] == quiet[i]:
            j += 1
        if quiet[i] and j - i >= min_len:
            runs.append((i, j))
        i = j
    return runs


def silence_mask(env: np.ndarray, fps: float) -> np.ndarray:
    """Frames in silence: quiet runs less `SILENCE_EDGE_FRAMES` at each end that borders speech."""
    silence = np.zeros(len(env), bool)
    for i, j in quiet_runs(env, fps):
        a = i if i == 0 else i + SILENCE_EDGE_FRAMES
        b = j if j == len(env) else j - SILENCE_EDGE_FRAMES
        silence[a:b] = True
    return silence


def speech_mask(env: np.ndarray, fps: float) -> np.ndarray:
    """Frames in speech: everything outside the quiet runs (short pauses inside words count as speech)."""
    speech = np.ones(len(env), bool)
    for i, j in quiet_runs(env, fps):
        speech[i:j] = False
    return speech


def mouth_opening(opening: np.ndarray, env: np.ndarray | None, fps: float) -> dict:
    """Mean mouth opening (inter-ocular units) in speech and in silence; None where there is none."""
    if env is None:
        return {"open_speech": None, "open_silence": None, "silence_s": None}

    def mean_over(mask):
        values = opening[mask & np.isfinite(opening)]
        return round(float(values.mean()), 4) if len(values) else None

    silence = silence_mask(env, fps)
    return {
        "open_speech": mean_over(speech_mask(env, fps)),
        "open_silence": mean_over(silence),
        "silence_s": round(float(silence.sum()) / fps, 2),
    }
