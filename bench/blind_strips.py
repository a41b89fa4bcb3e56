"""`python -m bench.blind_strips OURS_DIR OUT_DIR KEY.json`: real and made strips, mixed and unlabelled.

For a viewer who does not know which is which: from each real clip in the footage
folder two 2-second windows, and from each of our videos that `bench.footage_compare`
wrote in OURS_DIR (`<clip>_ours.mp4`, `<clip>_open<N>_ours.mp4`) one window, each as a
strip of 8 frames 0.25 s apart (`Snn_strip.png`) and the same frames' mouth close-ups
(`Snn_mouth.png`), shuffled under plain names. Which is which goes to KEY.json only,
kept out of OUT_DIR so the viewer cannot read it.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import cv2

from .footage_compare import FOOTAGE, MOUTH_PX, STRIP_PX, footage_clips, frames_of, mouth_box, strip_image

FRAMES = 8
STEP_FRAMES = 6.25  # 0.25 s at 25 fps
# Frames: two windows of each real clip. Not from frame 0: that is the photo our first-frame videos are made from, and
# a viewer matched a made strip to the real one that began on it.
REAL_STARTS = (20, 125)
OURS_START, OPEN_START = 50, 100  # other windows than the real ones, so no pair starts on the same frame


def _item(frames, start: int) -> dict:
    indices = [start + round(k * STEP_FRAMES) for k in range(FRAMES)]
    box = mouth_box(frames[indices[0]], frames[0].shape)
    return {"strip": strip_image(frames, indices, STRIP_PX), "mouth": strip_image(frames, indices, MOUTH_PX, box)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ours", type=Path, help="bench.footage_compare's output folder")
    parser.add_argument("out", type=Path, help="where the unlabelled images go")
    parser.add_argument("key", type=Path, help="which is which (keep it away from the viewer)")
    parser.add_argument("--seed", type=int, default=0, help="the shuffle")
    parser.add_argument("--footage", type=Path, default=FOOTAGE)
    args = parser.parse_args()
    if args.key.resolve().is_relative_to(args.out.resolve()):
        parser.error("keep the key outside the viewer's folder")
    clips = footage_clips(parser, args.footage)
    items = []
    for clip in clips:
        real = frames_of(clip)
        items += [{"clip": clip.stem, "source": "real", "start": s, **_item(real, s)} for s in REAL_STARTS]
        for video in sorted(args.ours.glob(f"{clip.stem}*_ours.mp4")):
            opened = video.stem != f"{clip.stem}_ours"
            start = OPEN_START if opened else OURS_START
            items.append({"clip": clip.stem, "source": video.stem, "start": start, **_item(frames_of(video), start)})
    random.Random(args.seed).shuffle(items)
    args.out.mkdir(parents=True, exist_ok=True)
    key = {}
    for n, item in enumerate(items, 1):
        name = f"S{n:02d}"
        for part in ("strip", "mouth"):
            cv2.imwrite(str(args.out / f"{name}_{part}.png"), cv2.cvtColor(item[part], cv2.COLOR_RGB2BGR))
        key[name] = {k: item[k] for k in ("clip", "source", "start")}
    args.key.write_text(json.dumps(key, indent=1))
    print(f"{len(items)} items in {args.out}; key in {args.key}")


if __name__ == "__main__":
    main()
