"""SadTalker's audio front end: 16 kHz speech -> normalised log-mel -> one 80 x 16 window per video frame.

The numbers are Wav2Lip's: pre-emphasis 0.97, STFT 800/200 with a periodic
Hann window and centred zero-padded frames, 80 Slaney mels from 55 to
7600 Hz, dB relative to 20, clipped to [-4, 4]. Computed in float64 with
numpy; no resampling happens here (`Speech.audio_16k` is already 16 kHz).
"""

from __future__ import annotations

import numpy as np

from ...speech.audio import ANALYSIS_RATE
from ...speech.spool import Signal

SAMPLE_RATE = ANALYSIS_RATE  # what `Speech.audio_16k` is at, and SadTalker's mel front end expects
FPS = 25  # SadTalker's own video rate
SAMPLES_PER_FRAME = SAMPLE_RATE // FPS  # 640
N_FFT = 800
HOP = 200  # 12.5 ms: 80 mel frames per second
N_MELS = 80
F_MIN_HZ, F_MAX_HZ = 55.0, 7600.0
PREEMPHASIS = 0.97
MIN_LEVEL_DB = -100.0
REF_LEVEL_DB = 20.0
MAX_ABS = 4.0
WINDOW_STEPS = 16  # mel frames per video-frame window (0.2 s)
STFT_BLOCK = 4096  # STFT frames computed at a time (51 s of audio)
MEL_PER_SECOND = SAMPLE_RATE / HOP


def _hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asanyarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    return np.where(log_region, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0), mel)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asanyarray(mel, dtype=np.float64)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


def mel_filterbank() -> np.ndarray:
    """(80, 401) triangular filters with Slaney area normalisation, as float32 (as librosa builds them)."""
    fft_hz = np.linspace(0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(F_MIN_HZ), _hz_to_mel(F_MAX_HZ), N_MELS + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_hz[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


_FILTERS = mel_filterbank()
_WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann


def _emphasised(x: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Pre-emphasised samples start..stop-1 of `x` (y[n] = x[n] - 0.97 x[n-1], y[0] = x[0]), zero outside it."""
    out = np.zeros(stop - start)
    lo, hi = max(start, 0), min(stop, len(x))
    if hi > lo:
        seg = x[lo:hi].astype(np.float64)
        previous = np.concatenate([[x[lo - 1] if lo > 0 else 0.0], seg[:-1]])
        out[lo - start : hi - start] = seg - PREEMPHASIS * previous
    return out


def melspectrogram(wave: np.ndarray) -> np.ndarray:
    """(samples,) float -> (1 + samples // 200, 80) float64 normalised log-mel, time-major.

    Worked through in blocks of STFT frames, so long speech needs no
    full-length spectrogram (or framed copy of the wave) in memory.
    """
    x = np.asarray(wave)
    n_frames = 1 + len(x) // HOP
    mel = np.empty((n_frames, N_MELS))
    filters = _FILTERS.T.astype(np.float64)
    for first in range(0, n_frames, STFT_BLOCK):
        last = min(first + STFT_BLOCK, n_frames)
        # frame f is centred on sample f * HOP: it spans f * HOP - 400 .. f * HOP + 399 (zeros off the ends)
        samples = _emphasised(x, first * HOP - N_FFT // 2, (last - 1) * HOP + N_FFT // 2)
        frames = np.lib.stride_tricks.sliding_window_view(samples, N_FFT)[::HOP]
        mel[first:last] = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) @ filters
    db = 20 * np.log10(np.maximum(10 ** (MIN_LEVEL_DB / 20), mel)) - REF_LEVEL_DB
    return np.clip(2 * MAX_ABS * (db - MIN_LEVEL_DB) / -MIN_LEVEL_DB - MAX_ABS, -MAX_ABS, MAX_ABS)


def frame_count(n_samples: int) -> int:
    """Video frames SadTalker makes for `n_samples` of 16 kHz audio (whole frames only)."""
    return n_samples // SAMPLES_PER_FRAME


def fit_to_frames(wave: Signal, n_frames: int) -> np.ndarray:
    """Cut or zero-pad the wave to exactly `n_frames` video frames of samples."""
    wanted = n_frames * SAMPLES_PER_FRAME
    return np.pad(wave[:wanted], (0, max(0, wanted - len(wave))))


class MelWindows:
    """The per-video-frame windows of a mel spectrogram, made when sliced: `windows[a:b]` -> (k, 80, 16) float32.

    Frame i reads mel frames trunc(80 (i - 2) / 25) + 0..15, clamped to the spectrogram.
    """

    def __init__(self, mel: np.ndarray, n_frames: int):
        self.mel, self.n_frames = mel, n_frames

    def __len__(self) -> int:
        return self.n_frames

    def __getitem__(self, part: slice) -> np.ndarray:
        frames = np.arange(self.n_frames)[part]
        # int() of the trained pipeline truncates toward zero; so does np.trunc (frames 0 and 1 start at -6, -3)
        starts = np.trunc(MEL_PER_SECOND * ((frames - 2) / FPS)).astype(np.int64)
        index = np.clip(starts[:, None] + np.arange(WINDOW_STEPS)[None, :], 0, len(self.mel) - 1)
        return np.ascontiguousarray(self.mel[index].transpose(0, 2, 1), dtype=np.float32)


def audio_windows(wave_16k: Signal, n_frames: int | None = None) -> MelWindows:
    """16 kHz speech -> its per-frame windows; n_frames defaults to the reference's whole-frame count."""
    n_frames = frame_count(len(wave_16k)) if n_frames is None else n_frames
    return MelWindows(melspectrogram(fit_to_frames(wave_16k, n_frames)), n_frames)
