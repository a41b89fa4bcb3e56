"""Avatars from footage: dubbing quality, the loop plan's jumps, speed against `builtin`, mouth close-ups.

    python -m bench.footage [--footage ../shared/footage] [--out DIR] [--long-s 60] [--skip-long]
    python -m bench.footage --speed-only [--long-clips WDA_KatieHill_000] [--rounds 3]

For each clip in the footage folder (real people speaking; test data, never
copied into the repo):

- Dubbing with text (`say TEXT --video CLIP`): lip sync r and best lag, p/b/m
  closure, mouth opening in pauses, PSNR outside the lower face against the
  clip's own frames (and the clip merely re-encoded at our CRF, the ceiling).
- Dubbing with another clip's sound (`say --audio OTHER --video CLIP`): r, lag,
  lip closures per second of speech.
- An avatar (`avatar make`) speaking `--long-s` seconds: the largest
  frame-to-frame jump of the upper face in the decoded video against the
  clip's own 99th percentile (both measured on decoded frames, same tracker).
- Speed at the clip's size: `avatar make` seconds per second of footage;
  drawing only (no encoding) with `footage` and with `builtin`, same speech
  and motion, taking turns in this process: CPU seconds and wall seconds per
  second of video, and the CPU ratio; for the avatar (its idle loop) and for
  the clip dubbed. `--speed-only` measures just this, on an avatar made anew.
- Contact sheets: mouth close-ups of made frames beside the real frame of the
  clip with the most similar mouth shape (`mouths_<clip>.png`).

Nothing is asserted: it measures and prints markdown tables; JSON beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import cv2
import numpy as np

from talking_head import TalkOptions
from talking_head.avatar import load_avatar, make_avatar, save_avatar
from talking_head.avatar.loops import frame_steps, upper_face
from talking_head.engines import get_engine
from talking_head.evaluate.decode import iter_frames
from talking_head.evaluate.report import evaluate
from talking_head.evaluate.untouched import untouched_psnr
from talking_head.face import regions
from talking_head.face.tracking import FaceTracker
from talking_head.motion import build_motion
from talking_head.pipeline import talk
from talking_head.speech import speech_from_text
from talking_head.video import VideoWriter

REPO = Path(__file__).resolve().parents[1]
TEXT = "Maybe we can meet by the big blue boat, before the morning paper comes. Please bring my map, and a pen."
LONG_TEXT = (
    "Good morning, and thank you for joining me this week. I want to talk about something that matters to "
    "every family in our state: the price of a good education, and what we can do about it. Too many people "
    "have told me the same story. They worked hard, they borrowed money, and they still can't make the "
    "payments. That is not the promise we made to them. So this week I brought a simple plan to the floor. "
    "It caps the monthly payment at a share of what people earn, it stops the interest from piling up while "
    "they look for work, and it makes the process plain enough to finish in an afternoon. Members of both "
    "parties have backed it, because this is not a partisan problem. It is a practical one. I will keep "
    "pushing until it becomes law, and I will keep listening to you. Please write to my office, call, or "
    "stop by when you are in town. Tell me what is working, and what is not. Thank you, and have a good week."
)
WORDS_PER_S = 3.45  # the bundled voice's rate on LONG_TEXT
MOUTH_PX = 96  # close-up side in the contact sheets
SHEET_PAIRS = 12
SPEED_TEXT = TEXT + " " + TEXT
SPEED_ROUNDS = 3
SPEED_COLUMNS = ["clip", "source", "size", "footage_cpu", "builtin_cpu", "cpu_ratio", "footage_rtf", "builtin_rtf"]


def _track(path: Path) -> np.ndarray:
    tracker = FaceTracker()
    rows = []
    for _, frame in iter_frames(path):
        found = tracker.find(frame)
        rows.append(found if found is not None else np.full((478, 3), np.nan, np.float32))
    return np.stack(rows)


def _upper_jumps(landmarks: np.ndarray) -> np.ndarray:
    steps = frame_steps(upper_face(landmarks))
    return steps[np.isfinite(steps)]


def _reencoded_psnr(clip: Path, folder: Path) -> float | None:
    """The ceiling: the clip's frames through our encoder, untouched."""
    out = folder / f"reencoded_{clip.stem}.mp4"
    frames = list(f for _, f in iter_frames(clip))
    h, w = frames[0].shape[:2]
    with VideoWriter(out, w, h, 25, np.zeros(16000 * len(frames) // 25, np.float32), 16000) as writer:
        for frame in frames:
            writer.write(frame)
    return untouched_psnr(out, clip)["psnr_db"]


def dub_text(clip: Path, folder: Path) -> dict:
    out = folder / f"text_{clip.stem}.mp4"
    started = time.perf_counter()
    result = talk(text=TEXT, video=clip, output=out)
    seconds = time.perf_counter() - started
    report = evaluate(out, text=TEXT)
    return {
        "clip": clip.stem,
        "engine": result.engine,
        "r": report["lipsync"]["r"],
        "best_r": report["lipsync"]["best_r"],
        "lag": report["lipsync"]["best_lag_frames"],
        "pbm": report["mouth"]["bilabial_closure_rate"],
        "open_speech": report["mouth"]["open_speech"],
        "open_silence": report["mouth"]["open_silence"],
        "face_found": report["face_found_share"],
        "untouched_db": untouched_psnr(out, clip)["psnr_db"],
        "reencoded_db": _reencoded_psnr(clip, folder),
        "seconds": round(seconds, 2),
        "video": str(out),
    }


def dub_sound(clip: Path, other: Path, folder: Path) -> dict:
    out = folder / f"sound_{clip.stem}_{other.stem}.mp4"
    result = talk(audio=other, video=clip, output=out)
    report = evaluate(out)
    return {
        "clip": clip.stem,
        "sound": other.stem,
        "engine": result.engine,
        "r": report["lipsync"]["r"],
        "best_r": report["lipsync"]["best_r"],
        "lag": report["lipsync"]["best_lag_frames"],
        "closures_per_s": report["mouth"]["closures_per_s"],
        "untouched_db": untouched_psnr(out, clip)["psnr_db"],
        "video": str(out),
    }


def long_avatar(clip: Path, folder: Path, text: str) -> dict:
    bundle = folder / f"{clip.stem}.avatar"
    started = time.perf_counter()
    avatar = make_avatar(clip, for_bundle=True)
    save_avatar(avatar, bundle)
    make_s = time.perf_counter() - started
    footage_s = avatar.n_frames / avatar.fps
    out = folder / f"long_{clip.stem}.mp4"
    result = talk(text=text, avatar=bundle, output=out)
    made = _upper_jumps(_track(out))
    real = _upper_jumps(_track(clip))
    return {
        "clip": clip.stem,
        "make_s_per_s": round(make_s / footage_s, 3),
        "bytes": bundle.stat().st_size,
        "duration_s": result.duration_s,
        "max_jump_iod": round(float(made.max()), 4),
        "p99_jump_iod": round(float(np.percentile(made, 99)), 4),
        "clip_p99_iod": round(float(np.percentile(real, 99)), 4),
        "clip_max_iod": round(float(real.max()), 4),
        "video": str(out),
        "avatar": str(bundle),
    }


def render_speed(clip: Path, bundle: Path, text: str, rounds: int = SPEED_ROUNDS) -> list[dict]:
    """Drawing only (no encoding), same speech and motion, footage against builtin, in this process.

    Two sources: the avatar `bundle` (its idle loop) and `clip` dubbed (its frames in order). The engines
    take turns, `rounds` times; each row gives the median of its rounds, as CPU seconds (all threads) and
    wall seconds per second of video.
    """
    rows = []
    for mode, avatar in (("avatar", load_avatar(bundle)), ("dub", make_avatar(clip))):
        options = TalkOptions(size=max(avatar.width, avatar.height))
        speech = speech_from_text(text, None, 5000, {})
        motion = build_motion(speech, options)
        seconds = motion.n_frames / motion.fps
        cpu: dict[str, list[float]] = {"footage": [], "builtin": []}
        wall: dict[str, list[float]] = {"footage": [], "builtin": []}
        for _ in range(rounds):
            for name, source in (("footage", avatar), ("builtin", avatar.face())):
                engine = get_engine(name)
                started, used = time.perf_counter(), time.process_time()
                prepared = engine.prepare(source, options, None)
                frames = sum(1 for _ in engine.render(prepared, speech, motion))
                cpu[name].append((time.process_time() - used) / seconds)
                wall[name].append((time.perf_counter() - started) / seconds)
                assert frames == motion.n_frames
        footage_cpu, builtin_cpu = float(np.median(cpu["footage"])), float(np.median(cpu["builtin"]))
        rows.append(
            {
                "clip": clip.stem,
                "source": mode,
                "size": options.size,
                "seconds": round(seconds, 1),
                "footage_cpu": round(footage_cpu, 3),
                "builtin_cpu": round(builtin_cpu, 3),
                "cpu_ratio": round(footage_cpu / builtin_cpu, 3),
                "footage_rtf": round(float(np.median(wall["footage"])), 3),
                "builtin_rtf": round(float(np.median(wall["builtin"])), 3),
                "footage_cpu_rounds": [round(c, 3) for c in cpu["footage"]],
                "builtin_cpu_rounds": [round(c, 3) for c in cpu["builtin"]],
            }
        )
    return rows


def _mouth_crop(frame: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    centre = landmarks[[regions.INNER_LIP_TOP, regions.INNER_LIP_BOTTOM], :2].mean(axis=0)
    half = 0.75 * regions.inter_ocular(landmarks)
    x0, y0 = np.round(centre - half).astype(int)
    side = int(round(2 * half))
    padded = cv2.copyMakeBorder(frame, side, side, side, side, cv2.BORDER_REPLICATE)
    crop = padded[y0 + side : y0 + 2 * side, x0 + side : x0 + 2 * side]
    return cv2.resize(crop, (MOUTH_PX, MOUTH_PX), interpolation=cv2.INTER_AREA)


def _shape(landmarks: np.ndarray) -> np.ndarray:
    iod = regions.inter_ocular(landmarks)
    p = landmarks[:, :2]
    opening = np.linalg.norm(p[regions.INNER_LIP_TOP] - p[regions.INNER_LIP_BOTTOM]) / iod
    width = np.linalg.norm(p[regions.MOUTH_CORNERS[0]] - p[regions.MOUTH_CORNERS[1]]) / iod
    return np.array([opening, width])


def mouth_sheet(made: Path, clip: Path, out: Path) -> Path:
    """Made mouths (left of each pair) beside the clip's real mouth of the nearest shape (right)."""
    real_frames, real_shapes, real_crops = [], [], []
    tracker = FaceTracker()
    for _, frame in iter_frames(clip):
        found = tracker.find(frame)
        if found is not None:
            real_shapes.append(_shape(found))
            real_crops.append(_mouth_crop(frame, found))
            real_frames.append(frame)
    real_shapes = np.array(real_shapes)
    tracker = FaceTracker()
    made_rows = []
    frames = list(iter_frames(made))
    picks = np.linspace(5, len(frames) - 5, SHEET_PAIRS).astype(int)
    for i in picks:
        found = tracker.find(frames[i][1])
        if found is None:
            continue
        shape = _shape(found)
        nearest = int(np.argmin(np.abs(real_shapes - shape).sum(axis=1)))
        pair = np.hstack(
            [_mouth_crop(frames[i][1], found), np.full((MOUTH_PX, 4, 3), 255, np.uint8), real_crops[nearest]]
        )
        made_rows.append(pair)
    columns = 4
    gap = np.full((MOUTH_PX, 12, 3), 255, np.uint8)
    rows = []
    for start in range(0, len(made_rows), columns):
        chunk = made_rows[start : start + columns]
        chunk += [np.full_like(made_rows[0], 255)] * (columns - len(chunk))
        rows.append(np.hstack([x for pair in chunk for x in (pair, gap)]))
        rows.append(np.full((12, rows[-1].shape[1], 3), 255, np.uint8))
    cv2.imwrite(str(out), cv2.cvtColor(np.vstack(rows), cv2.COLOR_RGB2BGR))
    return out


def _table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(str(row.get(c)) for c in columns) + " |")
    return "\n".join(lines)


def _dubbing(clips: list[Path], folder: Path) -> tuple[list[dict], list[dict], list[str]]:
    text_rows = [dub_text(clip, folder) for clip in clips]
    print("\n## Dubbing with text\n")
    print(
        _table(
            text_rows,
            [
                "clip",
                "engine",
                "r",
                "best_r",
                "lag",
                "pbm",
                "open_speech",
                "open_silence",
                "face_found",
                "untouched_db",
                "reencoded_db",
            ],
        )
    )
    sound_rows = [dub_sound(clip, clips[(k + 1) % len(clips)], folder) for k, clip in enumerate(clips)]
    print("\n## Dubbing with another clip's sound\n")
    print(_table(sound_rows, ["clip", "sound", "engine", "r", "best_r", "lag", "closures_per_s", "untouched_db"]))
    sheets = [
        str(mouth_sheet(Path(row["video"]), clips[k], folder / f"mouths_{row['clip']}.png"))
        for k, row in enumerate(text_rows)
    ]
    print("\nmouth close-ups (made left, real right):", ", ".join(sheets))
    return text_rows, sound_rows, sheets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--footage", default=str(REPO.parent / "shared" / "footage"))
    parser.add_argument("--out", default=str(REPO / "bench" / "results" / time.strftime("footage-%Y%m%d-%H%M%S")))
    parser.add_argument("--long-s", type=float, default=60.0, help="how long the avatar speaks (text repeated)")
    parser.add_argument("--skip-long", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="only the speed rows (an avatar made per clip)")
    parser.add_argument("--rounds", type=int, default=SPEED_ROUNDS, help="speed rounds, the engines taking turns")
    parser.add_argument("--clips", default="", help="comma-separated clip stems (default: all)")
    parser.add_argument("--long-clips", default="", help="clips for the long avatar and speed rows (default: all)")
    args = parser.parse_args()
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    clips = sorted(Path(args.footage).glob("*.mp4"))
    if args.clips:
        clips = [c for c in clips if c.stem in args.clips.split(",")]
    chosen = [c for c in clips if not args.long_clips or c.stem in args.long_clips.split(",")]
    print(f"load average {os.getloadavg()[0]:.1f}; {len(clips)} clips; results in {folder}")

    text_rows, sound_rows, sheets = ([], [], []) if args.speed_only else _dubbing(clips, folder)
    long_rows: list[dict] = []
    speed_rows: list[dict] = []
    if args.speed_only:
        for clip in chosen:
            bundle = save_avatar(make_avatar(clip, for_bundle=True), folder / f"{clip.stem}.avatar")
            speed_rows += render_speed(clip, bundle, SPEED_TEXT, args.rounds)
    elif not args.skip_long:
        words = LONG_TEXT
        while len(words.split()) < args.long_s * WORDS_PER_S:
            words += " " + LONG_TEXT
        words = " ".join(words.split()[: int(args.long_s * WORDS_PER_S)]) + "."
        for clip in chosen:
            long_rows.append(long_avatar(clip, folder, words))
            speed_rows += render_speed(clip, Path(long_rows[-1]["avatar"]), SPEED_TEXT, args.rounds)
        print(f"\n## An avatar speaking {args.long_s:.0f} s: upper-face jumps (IOD)\n")
        print(
            _table(
                long_rows,
                [
                    "clip",
                    "duration_s",
                    "max_jump_iod",
                    "p99_jump_iod",
                    "clip_p99_iod",
                    "clip_max_iod",
                    "make_s_per_s",
                    "bytes",
                ],
            )
        )
    if speed_rows:
        print(f"\n## Drawing at the clip's size (no encoding), footage against builtin, {args.rounds} rounds in turn\n")
        print("CPU seconds (all threads) and wall seconds per second of video, medians of the rounds.\n")
        print(_table(speed_rows, SPEED_COLUMNS))
    (folder / "results.json").write_text(
        json.dumps(
            {"text": text_rows, "sound": sound_rows, "long": long_rows, "speed": speed_rows, "sheets": sheets}, indent=2
        )
    )


if __name__ == "__main__":
    main()
