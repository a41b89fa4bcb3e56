"""The measures on known series, and the `eval` command line."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from talking_head.cli import main
from talking_head.evaluate.background import align_source, head_mask
from talking_head.evaluate.bilabials import _words_per_piece, closure_rate
from talking_head.evaluate.blinks import blink_frames
from talking_head.evaluate.decode import top_level_boxes
from talking_head.evaluate.expression import eye_opening_motion
from talking_head.evaluate.intelligibility import word_error_rate, word_errors
from talking_head.evaluate.lipsync import lipsync, mouth_opening
from talking_head.evaluate.report import REPORT_KEYS
from talking_head.face import analyze_face
from talking_head.speech.timeline import Phone

from .controls import write_silent_video

FPS = 25


def _speechlike(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.convolve(rng.random(n), np.ones(3) / 3, mode="same")


@pytest.mark.parametrize("shift", [-3, 0, 2, 5])
def test_best_lag_is_the_mouths_delay(shift):
    env = _speechlike(300)
    opening = np.roll(env, shift)  # shift > 0: the mouth moves `shift` frames after the sound
    result = lipsync(opening, env)
    assert result["best_lag_frames"] == shift
    assert result["best_r"] > 0.95


def test_frames_without_a_face_are_left_out_of_r():
    env = _speechlike(200)
    opening = env.copy()
    opening[::7] = np.nan
    assert lipsync(opening, env)["r"] == pytest.approx(1.0)


def test_mouth_in_silence_is_measured_in_the_pauses_only():
    env = np.concatenate([np.zeros(25), np.full(50, 0.3), np.zeros(25)])
    opening = np.where(env > 0, 0.4, 0.05)
    mouth = mouth_opening(opening, env, FPS)
    assert mouth["open_speech"] == pytest.approx(0.4)
    assert mouth["open_silence"] == pytest.approx(0.05)


def test_short_pause_inside_speech_is_not_silence():
    env = np.full(100, 0.3)
    env[40:43] = 0  # 120 ms: a stop consonant, not a pause
    assert mouth_opening(np.full(100, 0.2), env, FPS)["open_silence"] is None


def test_lips_closing_at_each_bilabial_count_within_a_frame():
    times = np.arange(100) / FPS
    phones = [Phone("P", 1.0, 1.08), Phone("M", 2.0, 2.1), Phone("B", 3.0, 3.04)]
    opening = np.full(100, 0.3)
    opening[25] = 0.02  # on the /p/
    opening[53] = 0.02  # a frame after the /m/ ends: within the slack
    opening[80] = 0.02  # five frames after the /b/: too late
    result = closure_rate(opening, times, FPS, phones, mean_speech_opening=0.3)
    assert (result["bilabials_closed"], result["bilabials_counted"]) == (2, 3)
    assert result["bilabial_closure_rate"] == pytest.approx(2 / 3, abs=1e-3)


def test_a_mouth_that_never_opens_is_closed_at_every_bilabial():
    # Tracker noise around a shut mouth: a third of its mean would be a coin toss.
    times = np.arange(100) / FPS
    opening = np.abs(np.random.default_rng(0).normal(0.001, 0.001, 100))
    phones = [Phone("P", 1.0, 1.08), Phone("M", 2.0, 2.1), Phone("B", 3.0, 3.04)]
    result = closure_rate(opening, times, FPS, phones, mean_speech_opening=float(opening.mean()))
    assert result["bilabial_closure_rate"] == 1.0


def test_long_text_is_shared_among_pieces_by_what_was_heard_in_each():
    text = "Please bring the big map. We must be back before the museum closes at 5."
    pieces = [(0, 1, "please ring the big"), (1, 2, "map we must be back"), (2, 3, "before the museum closes at five")]
    shares = _words_per_piece(text, pieces)
    assert shares == [
        ["please", "bring", "the", "big"],
        ["map", "we", "must", "be", "back"],
        ["before", "the", "museum", "closes", "at", "five"],
    ]


def test_blinks_are_dips_under_the_running_baseline():
    rng = np.random.default_rng(0)
    ear = 0.3 + 0.004 * rng.standard_normal(500)
    ear[200:300] -= 0.05  # a slow look down is not a blink
    for start in (50, 150, 350, 450):
        ear[start : start + 4] = 0.12
    assert [a for a, _ in blink_frames(ear, FPS)] == [50, 150, 350, 450]


def test_eye_opening_motion_leaves_the_blinks_out():
    rng = np.random.default_rng(1)
    ear = 0.3 * (1 + 0.05 * rng.standard_normal(500))  # lids narrowing and widening by 5 %
    narrowing = eye_opening_motion(ear, blink_frames(ear, FPS))
    for start in (50, 150, 350, 450):
        ear[start : start + 6] = np.linspace(0.2, 0.05, 6)  # four blinks, each closing over six frames
    blinks = blink_frames(ear, FPS)
    assert len(blinks) == 4
    assert narrowing is not None and abs(narrowing - 0.05) < 0.005
    assert eye_opening_motion(ear, blinks) == pytest.approx(narrowing, abs=0.002)
    assert eye_opening_motion(ear, []) > 2 * narrowing  # the blinks themselves are no narrowing


def test_word_error_rate():
    assert word_errors(["a", "b", "c", "d"], ["a", "x", "c"]) == 2
    assert word_error_rate("It costs 42 dollars.", "it costs forty two dollars") == 0.0


def test_fast_start_is_read_from_the_box_order(tmp_path):
    frames = [np.zeros((256, 256, 3), np.uint8)] * 3
    plain = write_silent_video(tmp_path / "plain.mp4", frames)  # no +faststart: moov written last
    assert top_level_boxes(plain).index("mdat") < top_level_boxes(plain).index("moov")


def test_eval_json_has_the_documented_keys(controls, speech_clip, default_face, capsys, tmp_path):
    sheet = tmp_path / "sheet.png"
    code = main(
        [
            "eval",
            str(controls["follow"]),
            "--source",
            str(default_face),
            "--text",
            speech_clip[1],
            "--json",
            "--sheet",
            str(sheet),
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    for key in REPORT_KEYS:
        assert key in report
    assert set(report["lipsync"]) >= {"r", "best_r", "best_lag_frames"}
    assert set(report["mouth"]) >= {"open_speech", "open_silence", "bilabial_closure_rate"}
    assert set(report["head"]) >= {"motion_iod", "roll_std_deg", "jitter_iod"}
    assert set(report["asr"]) >= {"text", "wer"}
    assert sheet.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_plain_report_names_each_measure(controls, capsys):
    assert main(["eval", str(controls["still"])]) == 0
    out = capsys.readouterr().out
    for label in ("lip sync", "mouth", "blinks", "head", "background", "identity", "asr"):
        assert label in out


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: d / "missing.mp4", "not found"),
        (lambda d: (d / "notes.mp4").write_text("not a video") and d / "notes.mp4", "not a video"),
    ],
)
def test_eval_bad_input_is_exit_2_with_a_message(tmp_path, capsys, make, message):
    assert main(["eval", str(make(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_eval_without_a_face_is_exit_2(controls, capsys):
    assert main(["eval", str(controls["no_face"])]) == 2
    assert "no face found" in capsys.readouterr().err


def test_aligning_piece_by_piece_finds_the_same_bilabials(speech_clip):
    from talking_head.evaluate.bilabials import bilabial_phones
    from talking_head.speech.align import recognize_words
    from talking_head.speech.audio import split_at_pauses

    _, text, _, _, audio_16k = speech_clip
    pieces = [(a, b, recognize_words(audio_16k[a:b])) for a, b in split_at_pauses(audio_16k, 4.0)]
    assert len(pieces) >= 2
    whole = bilabial_phones(audio_16k, 0.0, text)
    split = bilabial_phones(audio_16k, 0.0, text, pieces)
    assert abs(len(split) - len(whole)) <= 1
    # Same sounds at about the same times (a piece boundary may nudge one).
    for phone in split:
        assert min(abs(phone.start - other.start) for other in whole) < 0.1


def test_photo_aligns_with_a_blurred_frame_whose_few_points_many_photo_points_match(default_face):
    """The photo's background repeats one pattern and the frame (a blurred half-size copy) keeps one
    sharp copy of it: every photo copy matches that one point, a fit that collapsed to a point (and
    crashed `evaluate`). The alignment falls back to the faces and puts the photo's landmarks on the frame's."""
    photo = analyze_face(default_face)
    source = photo.image.copy()
    head = head_mask(source.shape[:2], photo.landmarks)
    patch = np.repeat((np.random.default_rng(0).random((12, 12, 1)) * 255).astype(np.uint8), 3, axis=2)
    for y in range(8, source.shape[0] - 20, 40):
        for x in range(8, source.shape[1] - 20, 40):
            if not head[y : y + 12, x : x + 12].any():
                source[y : y + 12, x : x + 12] = patch
    half = cv2.resize(source, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    frame = cv2.GaussianBlur(half, (0, 0), 8)
    frame[4:10, 4:10] = half[4:10, 4:10]
    landmarks = photo.landmarks.copy()
    landmarks[:, :2] *= 0.5

    warped, placed, covered = align_source(source, photo.landmarks, frame, landmarks)

    assert warped.shape == frame.shape and covered.mean() > 0.9
    assert np.abs(placed[:, :2] - landmarks[:, :2]).mean() < 1.5
