"""The face measures of a video read by a second landmark model: dlib's 68 points.

Our evaluator (`talking_head.evaluate`) tracks faces with MediaPipe's Face
Landmarker, the model our own face analysis is built on, so a drawn mouth that
suits one model may read differently to another (issue 22 saw exactly that on
turned and small faces). This reads the same measures with dlib's HOG face
detector and its 68-point shape predictor, an independent model, through the
evaluator's own formulas (`evaluate.head`, `evaluate.expression`,
`evaluate.lipsync`, `evaluate.bilabials`), so the two can be set side by side::

    pip install dlib-bin face-recognition-models   # not a dependency: a measuring instrument
    python -m bench.second_opinion VIDEO... [--text "what is said"]

The 68-point model was trained on iBUG 300-W, whose licence allows research
use only: it measures here and is never shipped or used to draw.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np

from talking_head.evaluate.bilabials import bilabial_phones, closure_rate
from talking_head.evaluate.decode import iter_frames, probe, read_audio_16k
from talking_head.evaluate.expression import brow_motion, closures_per_second
from talking_head.evaluate.head import head_motion
from talking_head.evaluate.intelligibility import transcribe_pieces
from talking_head.evaluate.lipsync import envelope, lipsync, mouth_opening, speech_mask

from .live import table

# dlib's 68 points (iBUG 300-W numbering from 0)
RIGHT_EYE, LEFT_EYE = slice(36, 42), slice(42, 48)  # the subject's right eye is on the image's left
EYE_CORNERS = (36, 39, 42, 45)
BROWS = slice(17, 27)
NOSE_TIP = 30
INNER_LIP_TOP, INNER_LIP_BOTTOM = 62, 66
SHAPE_MODEL = "shape_predictor_68_face_landmarks.dat"
UPSAMPLE_SMALL_PX = 200  # frames narrower than this are searched at twice their size (a 112 px portrait)


def _models():
    # The models' package is found, not imported: its __init__ needs pkg_resources, gone from new setuptools.
    spec = importlib.util.find_spec("face_recognition_models")
    try:
        import dlib
    except ImportError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("needs dlib and its models: pip install dlib-bin face-recognition-models")
    model = Path(spec.submodule_search_locations[0]) / "models" / SHAPE_MODEL
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(model))


def _measures(points: np.ndarray) -> dict:
    right, left = points[RIGHT_EYE].mean(axis=0), points[LEFT_EYE].mean(axis=0)
    across = left - right
    iod = float(np.linalg.norm(across))
    up = np.array([across[1], -across[0]]) / iod
    corners = points[list(EYE_CORNERS)].mean(axis=0)
    return {
        "iod": iod,
        "centre": (right + left + points[NOSE_TIP]) / 3,
        "roll": float(np.degrees(np.arctan2(across[1], across[0]))),
        "rigid": points[[NOSE_TIP, *EYE_CORNERS]],
        "brow": float((points[BROWS].mean(axis=0) - corners) @ up) / iod,
        "opening": float(np.linalg.norm(points[INNER_LIP_TOP] - points[INNER_LIP_BOTTOM])) / iod,
    }


def read_video(path: Path, text: str | None = None) -> dict:
    """The issue's measures of one video, from dlib's landmarks in every frame."""
    detector, predictor = _models()
    rows, times, box = [], [], None
    for t, frame in iter_frames(path):
        times.append(t)
        upsample = 1 if frame.shape[1] < UPSAMPLE_SMALL_PX else 0
        found = detector(frame, upsample)
        if len(found):
            box = max(found, key=lambda r: r.area())
        if box is None:  # no face yet: nothing to follow
            rows.append(None)
            continue
        shape = predictor(frame, box)  # a frame the detector missed keeps the last box: the head moves little
        rows.append(_measures(np.array([(p.x, p.y) for p in shape.parts()], float)))
    n = len(rows)
    nan2 = np.full(2, np.nan)

    def column(name, empty):
        return np.array([r[name] if r else empty for r in rows], float)

    iod = column("iod", np.nan)
    opening = column("opening", np.nan)
    head = head_motion(
        column("centre", nan2), column("roll", np.nan), column("rigid", np.full((5, 2), np.nan)), np.nanmedian(iod)
    )
    audio = read_audio_16k(path)
    times_a = np.asarray(times)
    fps = probe(path).video.fps
    env = envelope(audio[0], audio[1], times_a, fps) if audio is not None else None
    out = {
        "video": path.name,
        "faces": f"{sum(r is not None for r in rows)}/{n}",
        "motion_iod": head["motion_iod"],
        "roll_std_deg": head["roll_std_deg"],
        "brow_motion_iod": brow_motion(column("brow", np.nan)),
    }
    if env is not None:
        sync = lipsync(opening, env)
        mouth = mouth_opening(opening, env, fps)
        out |= {
            "closures_per_s": closures_per_second(opening, speech_mask(env, fps), fps),
            "sync_r": sync["r"],
            "best_r": sync["best_r"],
            "lag": sync["best_lag_frames"],
            "open_speech": mouth["open_speech"],
            "open_silence": mouth["open_silence"],
        }
        if text:
            phones = bilabial_phones(audio[0], audio[1], text, transcribe_pieces(audio[0]))
            if phones:
                closure = closure_rate(opening, times_a, fps, phones, mouth["open_speech"] or 0.0)
                out["pbm_closed"] = closure["bilabial_closure_rate"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.second_opinion", description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="+", type=Path)
    parser.add_argument("--text", help="what is said in every video given (for p/b/m closure)")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    rows = []
    for video in args.videos:
        rows.append(read_video(video, args.text))
        print(json.dumps(rows[-1]), flush=True)
    keys = list(dict.fromkeys(k for row in rows for k in row))
    print("\n" + table([{k: row.get(k) for k in keys} for row in rows]))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
