"""`python -m bench.mouth_light [OURS_DIR]`: how bright the inside of the mouth is against how far it is open.

Per frame, tracked the evaluator's way: the inner-lip gap in inter-ocular
distances (IOD, between the eye centres, as the evaluator's), and the brightest tenth (90th percentile of
luma) of the pixels between the inner lips over the median luma of two cheek
patches. Printed per clip, real and ours (`bench.footage_compare`'s videos in
OURS_DIR), binned by the gap: frames, then that ratio's median. Real teeth dim as
the lips close in; `engines/builtin/mouth.py`'s `NARROW_LIGHT` is fitted to it
(docs/motion.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from .footage_compare import FOOTAGE, RESULTS, frames_of
from .live import table

GAP_BINS_IOD = (0.0, 0.04, 0.08, 0.12, 0.16, 0.22, 0.3, 1.0)
CHEEKS = (50, 280)  # Face Landmarker points on the cheeks, under the eyes
CHEEK_PATCH_IOD = 0.12  # half side of each cheek patch
MIN_PIXELS = 4  # a narrower opening is not measured


def frame_light(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float] | None:
    """The inner-lip gap in IOD and the brightest tenth between the lips over the cheeks (None: the lips
    hold fewer than `MIN_PIXELS` between them)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    inner = list(regions.LIPS_INNER_UPPER) + list(regions.LIPS_INNER_LOWER[::-1])
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[inner, :2]).astype(np.int32)], 1)
    between = luma(frame[mask.astype(bool)])
    if len(between) < MIN_PIXELS:
        return None
    iod = regions.inter_ocular(landmarks)
    r = max(2, round(CHEEK_PATCH_IOD * iod))
    cheeks = [
        frame[max(0, y - r) : y + r, max(0, x - r) : x + r].reshape(-1, 3)
        for x, y in np.round(landmarks[list(CHEEKS), :2]).astype(int)
    ]
    return lip_gap(landmarks) / iod, float(np.percentile(between, 90) / np.median(luma(np.concatenate(cheeks))))


def mouth_light(video: Path) -> np.ndarray:
    """(frames, 2): `frame_light` of every frame where the face is found and the lips hold enough between them."""
    from talking_head.evaluate.tracking import FaceTracker

    tracker, rows = FaceTracker(), []
    for frame in frames_of(video):
        landmarks = tracker.find(frame)
        if landmarks is not None and (row := frame_light(frame, landmarks)) is not None:
            rows.append(row)
    return np.array(rows).reshape(-1, 2)


def binned(rows: np.ndarray) -> dict:
    cells = {}
    for low, high in zip(GAP_BINS_IOD[:-1], GAP_BINS_IOD[1:]):
        ratios = rows[(rows[:, 0] >= low) & (rows[:, 0] < high), 1]
        cells[f"{low:.2f}-{high:.2f}"] = f"{len(ratios)}: {np.median(ratios):.2f}" if len(ratios) else "-"
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mouth_light", description=__doc__.splitlines()[0])
    parser.add_argument("ours", type=Path, nargs="?", default=RESULTS, help="bench.footage_compare's --out")
    parser.add_argument("--footage", type=Path, default=FOOTAGE)
    args = parser.parse_args(argv)
    rows = []
    for real in sorted(args.footage.glob("*.mp4")):
        for who, video in (("real", real), ("ours", args.ours / f"{real.stem}_ours.mp4")):
            if video.exists():
                rows.append({"clip": real.stem, "video": who, **binned(mouth_light(video))})
    print("frames: median brightest tenth between the lips over the cheeks, by inner-lip gap (IOD)\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
