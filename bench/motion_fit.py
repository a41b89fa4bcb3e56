"""`python -m bench.motion_fit`: how real speakers move their heads, measured on the footage clips.

Each clip is tracked the evaluator's way (`evaluate.tracking`): per frame the
head's yaw, pitch and roll (relative to the first frame), the face centre and the
brow height. Printed per clip and axis: the standard deviation, the time for the
autocorrelation to fall to one half (how slowly it wanders) and the share of the
variance faster than 1 Hz (nods on syllables and words, against slow turns).
These are the numbers `talking_head/motion/head.py` is fitted to (docs/motion.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from .footage_compare import FOOTAGE, frames_of

FAST_HZ = 1.0


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


def track(clip: Path) -> dict[str, np.ndarray]:
    from talking_head.evaluate.tracking import FaceSeries, FaceTracker

    tracker, series = FaceTracker(), FaceSeries()
    for i, frame in enumerate(frames_of(clip)):
        series.append(i / 25, tracker.find(frame))
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
    args = parser.parse_args()
    videos = args.videos or sorted(FOOTAGE.glob("*.mp4"))
    print("| clip | axis | std | half-life s | share > 1 Hz |\n|---|---|---|---|---|")
    for video in videos:
        series = track(video)
        for axis, values in series.items():
            values = values[np.isfinite(values)]
            print(
                f"| {video.stem} | {axis} | {np.std(values):.3f} | {half_life_s(values, 25):.2f} | "
                f"{fast_share(values, 25):.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
