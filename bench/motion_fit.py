"""`python -m bench.motion_fit`: how real speakers move their heads, measured on the footage clips.

Each clip is tracked the evaluator's way (`evaluate.tracking`): per frame the
head's yaw, pitch and roll (relative to the first frame), the face centre and the
brow height. Printed per clip and axis: the standard deviation, the time for the
autocorrelation to fall to one half (how slowly it wanders) and the share of the
variance faster than 1 Hz (nods on syllables and words, against slow turns).
These are the numbers `talking_head/motion/head.py` is fitted to (docs/motion.md).

With `--prosody`, also each clip's (and each .wav's) voice: the spread and range of
its pitch in semitones (a short YIN tracker) and the spread of its loudness in
speech, to see whether the speech tells a still head from a lively one (on these
clips it does not: docs/motion.md).

With `--nods`, also how tightly each clip's quick nods follow stress: the correlation
of the fast part of its head pitch (less its trend over `EMPHASIS_TREND_S`) with
`head.emphasis` of its sound, at lag 0 and at the strongest lag within 0.3 s
(`head.NOD_COUPLING` is fitted to it). Given our own videos, it reads ours the same way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from talking_head.speech.audio import ANALYSIS_RATE

from .footage_compare import FOOTAGE, frames_of

FAST_HZ = 1.0
FPS = 25  # the footage clips'
PITCH_RATE, PITCH_HOP, PITCH_WINDOW = ANALYSIS_RATE, 160, 640  # 10 ms steps, 40 ms windows
PITCH_HZ = (60.0, 400.0)
YIN_THRESHOLD = 0.15  # the first lag whose normalised difference dips under this is the period
VOICED_MAX = 0.25  # frames whose best normalised difference stays above this are unvoiced
SPEECH_DB = 25.0  # frames this far under the loud level are pauses (the clips' noise floor is ~25 dB down)
NOD_LAGS = range(-8, 9)  # frames, at 25 fps: the head up to 0.32 s before or after the stress


def half_life_s(x: np.ndarray, fps: float) -> float:
    x = x - x.mean()
    acf = np.correlate(x, x, "full")[len(x) - 1 :]
    acf = acf / max(acf[0], 1e-12)
    below = np.nonzero(acf < 0.5)[0]
    return float(below[0] / fps) if len(below) else float(len(x) / fps)


def fast_share(x: np.ndarray, fps: float) -> float:
    x = x - x.mean()
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / fps)
    return float(power[freqs > FAST_HZ].sum() / max(power[1:].sum(), 1e-12))


def pitch_hz(audio: np.ndarray) -> np.ndarray:
    """F0 per 10 ms frame (YIN, de Cheveigne and Kawahara 2002); NaN where unvoiced or quiet."""
    longest = int(PITCH_RATE / PITCH_HZ[0])
    n = max(0, 1 + (len(audio) - PITCH_WINDOW - longest) // PITCH_HOP)
    spans = audio[np.arange(n)[:, None] * PITCH_HOP + np.arange(PITCH_WINDOW + longest)].astype(np.float64)
    size = 1 << int(np.ceil(np.log2(PITCH_WINDOW + longest)))
    cross = np.fft.irfft(np.conj(np.fft.rfft(spans[:, :PITCH_WINDOW], size)) * np.fft.rfft(spans, size), size)
    energy = np.concatenate([np.zeros((n, 1)), np.cumsum(spans**2, axis=1)], axis=1)
    lags = np.arange(1, longest + 1)
    diff = energy[:, [PITCH_WINDOW]] + energy[:, PITCH_WINDOW + lags] - energy[:, lags] - 2 * cross[:, lags]
    normal = diff / np.maximum(np.cumsum(diff, axis=1) / lags, 1e-12)
    normal[:, : int(PITCH_RATE / PITCH_HZ[1]) - 1] = np.inf
    dips = normal < YIN_THRESHOLD
    lag = np.where(dips.any(axis=1), dips.argmax(axis=1), normal.argmin(axis=1))
    for i in range(n):  # down to the bottom of that dip
        while lag[i] + 1 < longest and normal[i, lag[i] + 1] < normal[i, lag[i]]:
            lag[i] += 1
    level = 10 * np.log10(np.maximum(energy[:, PITCH_WINDOW] / PITCH_WINDOW, 1e-14))
    voiced = (normal[np.arange(n), lag] < VOICED_MAX) & (level > np.percentile(level, 95) - SPEECH_DB)
    return np.where(voiced, PITCH_RATE / (lag + 1), np.nan)


def prosody(media: Path) -> dict[str, float]:
    """Pitch spread and range (semitones), loudness spread in speech (dB)."""
    from talking_head.speech.audio import read_audio, resample

    audio, rate = read_audio(media)
    audio = resample(audio, rate, PITCH_RATE)
    f0 = pitch_hz(audio)
    semitones = 12 * np.log2(f0 / np.nanmedian(f0))
    semitones = semitones[np.abs(semitones) < 10]  # octave slips
    windows = np.lib.stride_tricks.sliding_window_view(audio[: len(audio) // PITCH_HOP * PITCH_HOP], PITCH_WINDOW)
    level = 10 * np.log10(np.maximum((windows[::PITCH_HOP] ** 2).mean(axis=1), 1e-14))
    speech = level > np.percentile(level, 95) - SPEECH_DB
    return {
        "pitch std st": float(np.std(semitones)),
        "pitch range st (5-95 %)": float(np.subtract(*np.percentile(semitones, [95, 5]))),
        "loudness std dB": float(np.std(level[speech])),
    }


def nod_coupling(video: Path, pitch: np.ndarray) -> tuple[float, int, float]:
    """Correlation of the pitch's fast part with the sound's stress: at lag 0, the strongest lag (frames, head later), there."""
    from scipy.ndimage import gaussian_filter1d

    from talking_head.motion.head import EMPHASIS_TREND_S, emphasis
    from talking_head.speech.audio import frame_rms, read_audio, resample

    fast = pitch - gaussian_filter1d(np.nan_to_num(pitch, nan=float(np.nanmean(pitch))), EMPHASIS_TREND_S * FPS)
    audio, rate = read_audio(video)
    stress = emphasis(frame_rms(resample(audio, rate, ANALYSIS_RATE), FPS, len(pitch)).astype(np.float64), FPS)
    known = np.isfinite(fast)
    fast, stress = np.where(known, fast - np.nanmean(fast), 0.0), stress - stress.mean()
    r = {}
    for lag in NOD_LAGS:  # fast[t + lag] against stress[t]
        a, b = (fast[lag:], stress[: len(stress) - lag]) if lag >= 0 else (fast[:lag], stress[-lag:])
        r[lag] = float(np.corrcoef(a, b)[0, 1])
    best = max(r, key=lambda lag: abs(r[lag]))
    return r[0], best, r[best]


def track(clip: Path) -> dict[str, np.ndarray]:
    from talking_head.evaluate.tracking import FaceSeries, FaceTracker

    tracker, series = FaceTracker(), FaceSeries()
    for i, frame in enumerate(frames_of(clip)):
        series.append(i / FPS, tracker.find(frame))
    centre = np.asarray(series.centre, float) / series.iod
    return {
        "yaw": np.asarray(series.yaw_deg, float),
        "pitch": np.asarray(series.pitch_deg, float),
        "roll": np.asarray(series.roll_deg, float),
        "x": centre[:, 0],
        "y": centre[:, 1],
        "brow": np.asarray(series.brow, float),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("videos", nargs="*", type=Path, help="default: every clip in the footage folder")
    parser.add_argument("--prosody", action="store_true", help="also each voice's pitch and loudness")
    parser.add_argument("--nods", action="store_true", help="also how tightly quick nods follow stress")
    args = parser.parse_args()
    videos = args.videos or sorted(FOOTAGE.glob("*.mp4"))
    if args.prosody:
        rows = [(media.stem, prosody(media)) for media in [*videos, *sorted(FOOTAGE.glob("*.wav"))]]
        keys = list(rows[0][1])
        print("| voice | " + " | ".join(keys) + " |\n" + "|---" * (len(keys) + 1) + "|")
        for name, voice in rows:
            print(f"| {name} | " + " | ".join(f"{voice[k]:.2f}" for k in keys) + " |", flush=True)
        print()
    print("| clip | axis | std | half-life s | share > 1 Hz |\n|---|---|---|---|---|")
    couplings = []
    for video in videos:
        series = track(video)
        if args.nods:
            couplings.append((video.stem, nod_coupling(video, series["pitch"])))
        for axis, values in series.items():
            values = values[np.isfinite(values)]
            print(
                f"| {video.stem} | {axis} | {np.std(values):.3f} | {half_life_s(values, FPS):.2f} | "
                f"{fast_share(values, FPS):.2f} |",
                flush=True,
            )
    if couplings:
        print("\n| clip | nods vs stress, r at lag 0 | strongest r (lag, frames) |\n|---|---|---|")
        for name, (r0, lag, best) in couplings:
            print(f"| {name} | {r0:+.2f} | {best:+.2f} ({lag:+d}) |")


if __name__ == "__main__":
    main()
