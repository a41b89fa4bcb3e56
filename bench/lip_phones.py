"""`python -m bench.lip_phones`: how far real lips part on each phone, against our mouth track for the same sound.

Each footage clip's sound is read as a recording is for the photo path
(`speech.speech_from_audio`: PocketSphinx's phones) and turned into our mouth
track (`motion.visemes.mouth_track`, drawn as `deform.lips_apart_iod`); the real
video is tracked the evaluator's way (inner-lip gap over the inter-ocular
distance, IOD). Printed per clip, over the frames the evaluator counts as speech:
the share of frames with the lips closed (under `CLOSED_IOD`), lip closures per
second (`evaluate.expression.closures_per_second`) and the quartiles of the gap,
real against ours (`--reading sound`: the phones read from the sound alone, as without
PocketSphinx). Then per phone, over all clips (the frames inside it, shifted
by the lips' anticipation): the real gap's median and how often it is closed,
against ours. Phones are recognised, not known, so single phones are noisy; a
phone seen on fewer than `MIN_FRAMES` frames is left out. `visemes.py`'s targets
for w and the closures between syllables are fitted to this (docs/motion.md).
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from .footage_compare import FOOTAGE, footage_clips, frames_of
from .motion_fit import FPS
from .table import markdown

CLOSED_IOD = 0.03  # the share of closed frames counts lips nearer than this
MIN_FRAMES = 7


def clip_gaps(clip: Path, reading: str) -> dict:
    """Real and our lip gaps (IOD) per frame, the speech mask and the recognised phones of one clip."""
    from talking_head.engines.builtin.deform import lips_apart_iod
    from talking_head.evaluate.decode import read_audio_16k
    from talking_head.evaluate.lipsync import envelope, speech_mask
    from talking_head.evaluate.tracking import FaceSeries, FaceTracker
    from talking_head.motion.visemes import frame_times, mouth_track
    from talking_head.speech import speech_from_audio

    tracker, series = FaceTracker(), FaceSeries()
    for i, frame in enumerate(frames_of(clip)):
        series.append(i / FPS, tracker.find(frame))
    real = series.opening
    speech = speech_from_audio(clip, reading=reading)
    n = len(real)
    times = frame_times(n, FPS)
    jaw = mouth_track(speech.phones, speech.audio_16k, FPS, n)["jaw"]
    ours = np.array([lips_apart_iod(float(j)) for j in jaw])
    audio = read_audio_16k(clip)
    assert audio is not None, f"{clip.name} has no sound"
    talking = speech_mask(envelope(audio[0], audio[1], times, FPS), FPS)
    return {"real": real, "ours": ours, "speech": talking, "phones": speech.phones, "times": times}


def main() -> None:
    from talking_head.evaluate.expression import closures_per_second
    from talking_head.motion.visemes import ANTICIPATION_S

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footage", type=Path, default=FOOTAGE)
    parser.add_argument(
        "--reading", choices=("auto", "sound"), default="auto", help="sound: phones read from the sound, no recogniser"
    )
    args = parser.parse_args()
    clips = footage_clips(parser, args.footage)
    rows: list[list[str]] = []
    by_phone: defaultdict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))
    for clip in clips:
        gaps = clip_gaps(clip, args.reading)
        talking = gaps["speech"]
        cells = [clip.stem]
        for who in ("real", "ours"):
            gap = gaps[who]
            quartiles = np.nanpercentile(gap[talking], [25, 50, 75])
            cells += [
                f"{np.nanmean(gap[talking] < CLOSED_IOD):.2f}",
                f"{closures_per_second(gap, talking, FPS)}",
                " / ".join(f"{q:.3f}" for q in quartiles),
            ]
        rows.append(cells)
        for phone in gaps["phones"]:
            inside = (gaps["times"] >= phone.start - ANTICIPATION_S) & (gaps["times"] < phone.end - ANTICIPATION_S)
            by_phone[phone.label][0].extend(gaps["real"][inside])
            by_phone[phone.label][1].extend(gaps["ours"][inside])
    print("speech frames: share closed, closures a second, gap quartiles (IOD), real then ours\n")
    head = ["clip", "real closed", "real closures/s", "real gap", "ours closed", "ours closures/s", "ours gap"]
    print(markdown(rows, head))
    phone_rows = []
    for label, (real, ours) in sorted(by_phone.items(), key=lambda item: np.nanmedian(item[1][0])):
        if len(real) < MIN_FRAMES:
            continue
        real_gap, our_gap = np.asarray(real, float), np.asarray(ours, float)
        phone_rows.append(
            [
                label,
                str(len(real_gap)),
                f"{np.nanmedian(real_gap):.3f}",
                f"{np.nanmean(real_gap < CLOSED_IOD):.2f}",
                f"{np.median(our_gap):.3f}",
                f"{np.mean(our_gap < CLOSED_IOD):.2f}",
            ]
        )
    print(f"\nper phone, all clips: lip gap median (IOD) and share under {CLOSED_IOD} IOD\n")
    print(markdown(phone_rows, ["phone", "frames", "real gap", "real closed", "ours gap", "ours closed"]))


if __name__ == "__main__":
    main()
