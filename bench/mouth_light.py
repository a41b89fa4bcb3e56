"""`python -m bench.mouth_light [OURS_DIR] [--teeth | --rows | --inside | --dark | --edges | --seam | --separation]`: what the open mouth shows against how far it is open.

Per frame, tracked the evaluator's way: the inner-lip gap in inter-ocular
distances (IOD, between the eye centres, as the evaluator's), and the brightest tenth (90th percentile of
luma) of the pixels between the inner lips over the median luma of two cheek
patches. Printed per clip, real and ours (`bench.footage_compare`'s videos in
OURS_DIR), binned by the gap: frames, then that ratio's median. Real teeth dim as
the lips close in; `engines/builtin/mouth.py`'s `NARROW_LIGHT` is fitted to it
(docs/motion.md).

With `--teeth`, which row shows instead: the teeth's area above and below the
middle of the opening (thousandths of an IOD squared; teeth are the pixels between
the lips at least `TEETH_OVER_CHEEKS` as bright as the cheeks and not lip-red),
upper / lower, their means per bin. `mouth.py`'s teeth heights are fitted to it.
With `--inside`, what is not teeth: its median and brightest tenth over the cheeks
(per bin, the medians), how dark and how shaded the cavity and tongue are.
With `--dark`, how much of the opening is dark: the area between the lips darker
than `DARK_OVER_CHEEKS` of the cheeks (thousandths of an IOD squared, mean per bin).
With `--edges`, how soft the opening's outline is: the re-blur width of the
steepest edges along the inner lips over that of the same frame's eye outlines
(`engines/builtin/sharpness.py`), its median per bin; the mouth's painting is
softened to it.
With `--rows`, which row shows as the lips part: how bright the opening's upper and lower `ROW_SHARE` are over
the cheeks, along three lines from the upper inner lip to the lower across its middle (the medians per bin).
Real speakers differ: a dark top over lower teeth, or upper teeth from the lip down (`mouth.py`'s
`photo_upper_teeth` reads which from the photo).
With `--seam`, how dark the line is where the lips meet: the darkest pixel within
`SEAM_REACH_IOD` of the landmarker's lip line over the skin `SKIN_ABOVE_IOD` above
it, the median over the middle columns (its median per bin; the first bin holds the
closed mouths). `mouth.py`'s `SEAM_OVER_SKIN` is fitted to it.
With `--separation`, how clearly the teeth part from one another (one even band of white is an unlabelled
viewer's first cue): along lines across the lower teeth (`SEPARATION_DEPTHS` of the way down the opening,
over the middle of the mouth), the luma's tooth-to-tooth ripple over its mean (the median per bin).
`mouth.py`'s `TOOTH_GAP_SHADE` is fitted to it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from .footage_compare import FOOTAGE, RESULTS, footage_clips, frames_of
from .live import table

GAP_BINS_IOD = (0.0, 0.04, 0.08, 0.12, 0.16, 0.22, 0.3, 1.0)
CHEEKS = (50, 280)  # Face Landmarker points on the cheeks, under the eyes
CHEEK_PATCH_IOD = 0.12  # half side of each cheek patch
MIN_PIXELS = 4  # a narrower opening is not measured
TEETH_OVER_CHEEKS = 0.6  # teeth, even in the lips' shadow, are at least this bright against the cheeks
DARK_OVER_CHEEKS = 0.25  # between the lips and darker than this against the cheeks: the dark of the opening
SEAM_REACH_IOD = 0.05  # the lip line's darkest pixel is looked for this far above and below the landmarker's
SKIN_ABOVE_IOD = (0.22, 0.35)  # the skin above the upper lip, this far above the line
SEAM_COLUMNS_SHARE = 0.2  # the columns this share of the mouth's width either side of its middle
ROW_SHARE = 0.4  # of the opening, from the upper lip down and from the lower lip up
ROW_LINES = ((13, 14), (82, 87), (312, 317))  # inner-lip landmark pairs across the opening's middle
SEPARATION_DEPTHS = (0.7, 0.8, 0.88)  # lines across the lower teeth, this share of the way down the opening
SEPARATION_SPAN = (30, 70)  # between these percentiles of the upper inner lip's x
SEPARATION_SAMPLES = 96
SEPARATION_SMOOTH_SHARE = 1 / 24  # the ripple is what a blur of this share of the span takes out: tooth to tooth
TEETH_MAX_RED = 1.3  # and less red than lips and tongue (R/G; the clips' real teeth 1.05-1.12, lips above 1.3)


def _between_lips(frame: np.ndarray, landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pixels between the inner lips: their (x, y) and RGB."""
    from talking_head.face import regions

    inner = list(regions.LIPS_INNER_UPPER) + list(regions.LIPS_INNER_LOWER[::-1])
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[inner, :2]).astype(np.int32)], 1)
    ys, xs = np.nonzero(mask)
    return np.stack([xs, ys], axis=1), frame[ys, xs].astype(np.float64)


def _cheek_luma(frame: np.ndarray, landmarks: np.ndarray) -> float:
    from talking_head.evaluate.background import luma
    from talking_head.face import regions

    r = max(2, round(CHEEK_PATCH_IOD * regions.inter_ocular(landmarks)))
    cheeks = [
        frame[max(0, y - r) : y + r, max(0, x - r) : x + r].reshape(-1, 3)
        for x, y in np.round(landmarks[list(CHEEKS), :2]).astype(int)
    ]
    return float(np.median(luma(np.concatenate(cheeks))))


def _teeth(between: np.ndarray, cheeks: float) -> np.ndarray:
    """Which of the pixels between the lips (RGB) are teeth: bright against the cheeks' luma, and not lip-red."""
    from talking_head.evaluate.background import luma

    return (luma(between) >= TEETH_OVER_CHEEKS * cheeks) & (
        between[:, 0] < TEETH_MAX_RED * np.maximum(between[:, 1], 1)
    )


def frame_light(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float] | None:
    """The inner-lip gap in IOD and the brightest tenth between the lips over the cheeks (None: the lips
    hold fewer than `MIN_PIXELS` between them)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    _, between = _between_lips(frame, landmarks)
    if len(between) < MIN_PIXELS:
        return None
    gap = lip_gap(landmarks) / regions.inter_ocular(landmarks)
    return gap, float(np.percentile(luma(between), 90) / _cheek_luma(frame, landmarks))


def frame_teeth(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float, float] | None:
    """The inner-lip gap in IOD and the area of the teeth showing above and below the opening's middle, in
    IOD squared (None: fewer than `MIN_PIXELS` between the lips)."""
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    xy, between = _between_lips(frame, landmarks)
    if len(between) < MIN_PIXELS:
        return None
    teeth = _teeth(between, _cheek_luma(frame, landmarks))
    right, left = regions.eye_centres(landmarks)
    down = np.array([right[1] - left[1], left[0] - right[0]])  # across the eye line, toward the chin
    down /= max(float(np.linalg.norm(down)), 1e-6)
    inner_lips = landmarks[list(regions.LIPS_INNER_UPPER) + list(regions.LIPS_INNER_LOWER), :2]
    below = xy @ down >= float(np.mean(inner_lips @ down))
    iod = regions.inter_ocular(landmarks)
    return lip_gap(landmarks) / iod, float((teeth & ~below).sum()) / iod**2, float((teeth & below).sum()) / iod**2


def frame_rows(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float, float] | None:
    """The inner-lip gap in IOD and the mean brightness over the cheeks of the opening's upper and lower
    `ROW_SHARE` (None: lips under `MIN_PIXELS` apart)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    iod = regions.inter_ocular(landmarks)
    if lip_gap(landmarks) < MIN_PIXELS:
        return None
    brightness = (luma(frame.astype(np.float64)) / _cheek_luma(frame, landmarks)).astype(np.float32)
    steps = (np.arange(10) + 0.5) / 10
    rows = []
    for top, bottom in ROW_LINES:
        line = landmarks[top, :2] + steps[:, None] * (landmarks[bottom, :2] - landmarks[top, :2])
        xs, ys = line.astype(np.float32).T
        rows.append(cv2.remap(brightness, xs[None], ys[None], cv2.INTER_LINEAR)[0])
    profile = np.mean(rows, axis=0)
    reach = round(ROW_SHARE * len(steps))
    return lip_gap(landmarks) / iod, float(profile[:reach].mean()), float(profile[-reach:].mean())


def frame_inside(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float, float] | None:
    """The inner-lip gap in IOD and, of what lies between the lips and is not teeth, the median and the
    brightest tenth over the cheeks (None: fewer than `MIN_PIXELS` of it)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    _, between = _between_lips(frame, landmarks)
    cheeks = _cheek_luma(frame, landmarks)
    inside = luma(between[~_teeth(between, cheeks)]) / cheeks
    if len(inside) < MIN_PIXELS:
        return None
    gap = lip_gap(landmarks) / regions.inter_ocular(landmarks)
    return gap, float(np.median(inside)), float(np.percentile(inside, 90))


def frame_dark(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float] | None:
    """The inner-lip gap in IOD and the area between the lips darker than `DARK_OVER_CHEEKS` of the cheeks, in
    IOD squared (None: fewer than `MIN_PIXELS` between the lips)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    _, between = _between_lips(frame, landmarks)
    if len(between) < MIN_PIXELS:
        return None
    iod = regions.inter_ocular(landmarks)
    dark = luma(between) < DARK_OVER_CHEEKS * _cheek_luma(frame, landmarks)
    return lip_gap(landmarks) / iod, float(dark.sum()) / iod**2


def frame_edges(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float] | None:
    """The inner-lip gap in IOD and how soft the edges along the inner lips are over the eye outlines' (None:
    fewer than `MIN_PIXELS` between the lips)."""
    from talking_head.engines.builtin.sharpness import EYE_BAND_IOD, edge_blur_px, eye_blur_px, luma_of, outline_mask
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    if len(_between_lips(frame, landmarks)[1]) < MIN_PIXELS:
        return None
    iod = regions.inter_ocular(landmarks)
    inner = landmarks[list(regions.LIPS_INNER_UPPER) + list(regions.LIPS_INNER_LOWER[::-1]), :2]
    lips = edge_blur_px(luma_of(frame), outline_mask(frame.shape, [inner], EYE_BAND_IOD * iod))
    return lip_gap(landmarks) / iod, lips / max(eye_blur_px(frame, landmarks), 1e-6)


def frame_separation(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float] | None:
    """The inner-lip gap in IOD and how clearly the lower teeth part from one another: the luma's ripple (std of
    what a blur of `SEPARATION_SMOOTH_SHARE` of the line takes out, over its mean) along lines across the lower
    teeth, over the middle of the mouth (None: no line there is nearly all teeth)."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    upper, lower = (landmarks[list(points), :2] for points in (regions.LIPS_INNER_UPPER, regions.LIPS_INNER_LOWER))
    xs = np.linspace(*np.percentile(upper[:, 0], SEPARATION_SPAN), SEPARATION_SAMPLES)
    top, bottom = (np.interp(xs, *line[np.argsort(line[:, 0])].T) for line in (upper, lower))
    image = luma(frame.astype(np.float64)).astype(np.float32)
    cheeks = _cheek_luma(frame, landmarks)
    ripples = []
    for depth in SEPARATION_DEPTHS:
        ys = top + depth * (bottom - top)
        line = cv2.remap(image, xs.astype(np.float32)[None], ys.astype(np.float32)[None], cv2.INTER_LINEAR)[0]
        if np.mean(line >= TEETH_OVER_CHEEKS * cheeks) < 0.8:
            continue
        smooth = cv2.GaussianBlur(line[None], (0, 0), SEPARATION_SMOOTH_SHARE * SEPARATION_SAMPLES)[0]
        edge = SEPARATION_SAMPLES // 12  # the blur's ends see past the line
        ripples.append(float(np.std((line - smooth)[edge:-edge]) / np.mean(line)))
    if not ripples:
        return None
    return lip_gap(landmarks) / regions.inter_ocular(landmarks), float(np.mean(ripples))


def frame_seam(frame: np.ndarray, landmarks: np.ndarray) -> tuple[float, float]:
    """The inner-lip gap in IOD and the darkest pixel along the lip line over the skin above the upper lip."""
    from talking_head.evaluate.background import luma
    from talking_head.evaluate.tracking import lip_gap
    from talking_head.face import regions

    iod = regions.inter_ocular(landmarks)
    brightness = luma(frame.astype(np.float64))
    h, w = brightness.shape
    (left, left_y), (right, right_y) = landmarks[list(regions.MOUTH_CORNERS), :2]
    seam = (landmarks[regions.INNER_LIP_TOP, :2] + landmarks[regions.INNER_LIP_BOTTOM, :2]) / 2
    reach, near, far = (max(1, round(share * iod)) for share in (SEAM_REACH_IOD, *SKIN_ABOVE_IOD))
    ratios = []
    for x in np.linspace(
        seam[0] - SEAM_COLUMNS_SHARE * (right - left), seam[0] + SEAM_COLUMNS_SHARE * (right - left), 9
    ):
        y = int(round(np.interp(x, [left, seam[0], right], [left_y, seam[1], right_y])))
        column = brightness[:, int(np.clip(round(x), 0, w - 1))]
        skin = float(np.median(column[max(y - far, 0) : max(y - near, 1)]))
        ratios.append(float(column[max(y - reach, 0) : min(y + reach + 1, h)].min()) / max(skin, 1.0))
    return lip_gap(landmarks) / iod, float(np.median(ratios))


def per_frame(video: Path, measure) -> np.ndarray:
    """`measure` (one of the `frame_` functions above) of every frame where the face is found and it measures."""
    from talking_head.evaluate.tracking import FaceTracker

    tracker, rows = FaceTracker(), []
    for frame in frames_of(video):
        landmarks = tracker.find(frame)
        if landmarks is not None and (row := measure(frame, landmarks)) is not None:
            rows.append(row)
    return np.array(rows)


def _light_cell(rows: np.ndarray) -> str:
    return f"{np.median(rows[:, 1]):.2f}"


def _teeth_cell(rows: np.ndarray) -> str:
    upper, lower = 1000 * rows[:, 1:].mean(axis=0)
    return f"{upper:.1f} / {lower:.1f}"


def _area_cell(rows: np.ndarray) -> str:
    return f"{1000 * rows[:, 1].mean():.1f}"


def _inside_cell(rows: np.ndarray) -> str:
    middle, brightest = np.median(rows[:, 1:], axis=0)
    return f"{middle:.2f} / {brightest:.2f}"


def _rows_cell(rows: np.ndarray) -> str:
    upper, lower = np.median(rows[:, 1:], axis=0)
    return f"{upper:.2f} / {lower:.2f}"


MEASURES = {
    "light": (frame_light, _light_cell, "median brightest tenth between the lips over the cheeks"),
    "teeth": (frame_teeth, _teeth_cell, "teeth showing above / below the opening's middle (1/1000 IOD squared)"),
    "rows": (frame_rows, _rows_cell, "the opening's upper / lower 40 % over the cheeks"),
    "inside": (frame_inside, _inside_cell, "what is not teeth, median / brightest tenth over the cheeks"),
    "dark": (frame_dark, _area_cell, "dark area between the lips (1/1000 IOD squared)"),
    "edges": (frame_edges, _light_cell, "median blur of the inner lips' edges over the eye outlines'"),
    "seam": (frame_seam, _light_cell, "darkest pixel along the lip line over the skin above the upper lip"),
    "separation": (frame_separation, _light_cell, "median ripple of the luma along the lower teeth"),
}


def binned(rows: np.ndarray, cell=_light_cell) -> dict:
    """Frames binned by the gap: `count: cell(rows of the bin)`."""
    cells = {}
    for low, high in zip(GAP_BINS_IOD[:-1], GAP_BINS_IOD[1:]):
        chosen = rows[(rows[:, 0] >= low) & (rows[:, 0] < high)] if len(rows) else rows
        cells[f"{low:.2f}-{high:.2f}"] = f"{len(chosen)}: {cell(chosen)}" if len(chosen) else "-"
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mouth_light", description=__doc__.splitlines()[0])
    parser.add_argument("ours", type=Path, nargs="?", default=RESULTS, help="bench.footage_compare's --out")
    parser.add_argument("--footage", type=Path, default=FOOTAGE)
    shown = parser.add_mutually_exclusive_group()
    shown.add_argument("--teeth", action="store_true", help="which row of teeth shows, not how bright")
    shown.add_argument("--rows", action="store_true", help="which row shows: the opening's top and bottom")
    shown.add_argument("--inside", action="store_true", help="how dark and shaded the rest is, not the teeth")
    shown.add_argument("--dark", action="store_true", help="how much of the opening is dark")
    shown.add_argument("--edges", action="store_true", help="how soft the opening's outline is")
    shown.add_argument("--seam", action="store_true", help="how dark the line is where the lips meet")
    shown.add_argument("--separation", action="store_true", help="how clearly the lower teeth part")
    args = parser.parse_args(argv)
    chosen = next((name for name in MEASURES if name != "light" and getattr(args, name)), "light")
    measure, cell, what = MEASURES[chosen]
    clips = footage_clips(parser, args.footage)
    rows = []
    for real in clips:
        for who, video in (("real", real), ("ours", args.ours / f"{real.stem}_ours.mp4")):
            if video.exists():
                rows.append({"clip": real.stem, "video": who, **binned(per_frame(video, measure), cell)})
    print(f"frames: {what}, by inner-lip gap (IOD)\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
