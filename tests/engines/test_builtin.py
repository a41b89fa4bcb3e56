"""The built-in animator, judged on the decoded output by the project's evaluator."""

from pathlib import Path

import numpy as np
import pytest
from recordings import with_pauses

from talking_head.engines.builtin.engine import BuiltinEngine
from talking_head.evaluate.decode import probe
from talking_head.evaluate.report import evaluate
from talking_head.face import analyze_face
from talking_head.pipeline import DEFAULT_FACE, TalkOptions, talk

PORTRAITS = Path(__file__).resolve().parents[2] / "bench" / "portraits"
LONG_TEXT = (
    "Good morning, and welcome to the course. Today we will build a small web page, step by step. "
    "First we open the editor and make a new folder. Then we write the page, and we test it in the browser. "
    "Maybe it breaks the first time; that is fine, because mistakes show us what to fix. "
    "By the end of the hour you will have a page of your own, and a plan for the next one."
)
TRACKER_NOISE_IOD = 0.02
# Identity compares the upper face with the photo's by a 2D fit, which cannot undo a turn of the head: real
# speakers score 0.55-0.70 against their own first frame, another person 0.55. With the head turning at a
# real speaker's scale (yaw about 6 degrees) the default face reads 0.88, where 4.5 degrees read 0.9 and more.
MIN_IDENTITY = 0.8
NATURAL_AMPLITUDE_IOD = 0.06  # mouth opening in speech over silence; people average about 0.1
SHORT_TEXT = "Please bring me the blue bag. Maybe my brother will pay for both of them."


def judge(report: dict, still_jitter: float | None = None, sync_r: float | None = None) -> None:
    """The bars every video must meet; `sync_r` stands for the report's lip sync r where it is judged over several
    videos."""
    lipsync, mouth, head = report["lipsync"], report["mouth"], report["head"]
    assert (lipsync["best_r"] if sync_r is None else sync_r) >= 0.6, lipsync
    assert abs(lipsync["best_lag_frames"]) <= 1, lipsync
    assert mouth["open_silence"] <= 0.5 * mouth["open_speech"], mouth
    # No wider than in the photo, within the tracker's own noise: MediaPipe reads a closed
    # mouth as up to ~0.02 inter-ocular distances open on a small face when the head turns.
    assert mouth["open_silence"] <= mouth["open_photo"] + TRACKER_NOISE_IOD, mouth
    assert mouth["open_speech"] - mouth["open_silence"] >= NATURAL_AMPLITUDE_IOD, mouth
    assert mouth["bilabial_closure_rate"] >= 0.8, mouth
    assert head["motion_iod"] >= 0.01, head
    if still_jitter is not None:
        assert head["jitter_iod"] <= 1.5 * still_jitter, head
    assert report["background_psnr_db"] >= 35, report["background"]
    assert report["identity"] >= MIN_IDENTITY, report["identity_detail"]


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    return tmp_path_factory.mktemp("builtin")


def test_default_face_long_speech(out):
    video = out / "default.mp4"
    result = talk(text=LONG_TEXT, output=video, options=TalkOptions())
    assert result.engine == "builtin" and not result.fallback
    assert result.duration_s >= 20
    still = out / "default_still.mp4"
    # The tracker's own jitter on a still head: a short video measures it as well as a long one.
    talk(text=SHORT_TEXT, output=still, options=TalkOptions(still=True))
    still_jitter = evaluate(still)["head"]["jitter_iod"]
    report = evaluate(video, source=DEFAULT_FACE, text=LONG_TEXT)
    judge(report, still_jitter)
    assert 8 <= report["blinks_per_min"] <= 25
    # Blinks as long as the real speakers' (0.12-0.2 s, the median per footage clip): at 0.12-0.24 s ours were
    # found closed 2-4 frames, and a strip of frames 0.25 s apart seldom caught one.
    assert report["blink_s"] >= 0.16, report["blink_s"]
    # The eyes look away and back: this video reads 0.011-0.013 (seeds 0, 1), a fixed stare 0.004 (the tracker's
    # noise); real speakers 0.006-0.023.
    assert report["gaze_motion_iod"] >= 0.008, report["gaze_motion_iod"]


def test_small_grayscale_portrait_with_a_real_voice(out, human_speech):
    recording, transcript = max(human_speech, key=lambda item: item[0].stat().st_size)
    wav = with_pauses(recording, out / "paused.wav")
    photo = PORTRAITS / "grayscale_small.png"
    video = out / "grey.mp4"
    talk(text=transcript, audio=wav, image=photo, output=video, options=TalkOptions(size=256))
    judge(evaluate(video, source=photo, text=transcript))


def test_largest_face_of_a_group_photo(out):
    """Lip sync on this small, turned face depends on the draw of head motion: r 0.60, 0.63, 0.69, 0.70 with seeds
    0-3, and every change to the mouth's painting moved seed 0's by about 0.005 either side of the bar. The median
    of three seeds is held to the bar; every other measure, the first seed's video, as before."""
    photo = PORTRAITS / "group.png"
    reports = []
    for seed in range(3):
        video = out / f"group{seed}.mp4"
        result = talk(text=SHORT_TEXT, image=photo, output=video, options=TalkOptions(size=384, seed=seed))
        assert result.faces_found >= 2
        reports.append(evaluate(video, source=photo, text=SHORT_TEXT))
    judge(reports[0], sync_r=float(np.median([report["lipsync"]["best_r"] for report in reports])))
    for report in reports[1:]:
        assert abs(report["lipsync"]["best_lag_frames"]) <= 1, report["lipsync"]


def test_whole_photo_mode_keeps_the_photo_size(out):
    photo = PORTRAITS / "group.png"
    video = out / "full.mp4"
    talk(text="Hello.", image=photo, output=video, options=TalkOptions(size=0))
    streams = probe(video)
    height, width = analyze_face(photo).image.shape[:2]
    assert (streams.video.width, streams.video.height) == (width // 2 * 2, height // 2 * 2)


def test_rest_frame_is_the_photo():
    face = analyze_face(PORTRAITS / "group.png")
    engine = BuiltinEngine()
    prepared = engine.prepare(face, TalkOptions(size=256))
    rest = dict(jaw=0, lip_width=0, lip_press=0, lip_tuck=0, blink=0, brow=0, yaw=0, pitch=0, roll=0)
    frame = engine.draw(prepared, rest).astype(np.float64)
    photo = prepared.framing.image.astype(np.float64)
    psnr = 10 * np.log10(255**2 / np.mean((frame - photo) ** 2))
    assert psnr > 40
    opened = engine.draw(prepared, dict(rest, jaw=0.6)).astype(np.float64)
    assert np.abs(opened - photo).max() > 50  # and the mouth really opens
