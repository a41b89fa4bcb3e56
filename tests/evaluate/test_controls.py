"""The evaluator must separate the control videos (see conftest.py for how each is made)."""

from __future__ import annotations

import pytest

from talking_head.errors import InputError
from talking_head.evaluate.report import evaluate

from .controls import BLINK_STARTS, SHIFT_FRAMES

PORTRAIT_OF_SOMEONE_ELSE = "bench/portraits/grayscale_small.png"


def test_still_photo_with_speech_has_no_lip_sync(report_of):
    sync = report_of("still")["lipsync"]
    assert sync["r"] is not None and sync["r"] < 0.2
    assert sync["best_r"] < 0.3


def test_mouth_following_the_envelope_syncs_at_lag_zero(report_of):
    sync = report_of("follow")["lipsync"]
    assert sync["r"] > 0.8
    assert abs(sync["best_lag_frames"]) <= 1


def test_late_mouth_is_found_late_by_its_shift(report_of):
    sync = report_of("late")["lipsync"]
    assert abs(sync["best_lag_frames"] - SHIFT_FRAMES) <= 1
    assert sync["best_r"] > 0.8
    assert sync["r"] < sync["best_r"] - 0.3


def test_moving_mouth_opens_wider_in_speech_than_the_still_one(report_of):
    still, follow = report_of("still")["mouth"], report_of("follow")["mouth"]
    assert follow["open_speech"] > still["open_speech"] + 0.02
    # The still video's mouth is the photo's, to tracker noise.
    assert still["open_speech"] == pytest.approx(still["open_photo"], abs=0.01)


def test_video_without_a_face_is_a_clear_error(controls):
    with pytest.raises(InputError, match="no face found"):
        evaluate(controls["no_face"])


def test_video_without_audio_reports_lip_sync_as_not_measurable(controls, default_face):
    report = evaluate(controls["silent"], source=default_face, text="hello there")
    assert report["streams"]["audio"] is None
    assert report["lipsync"] == {"r": None, "best_r": None, "best_lag_frames": None}
    assert report["mouth"]["open_speech"] is None and report["mouth"]["bilabial_closure_rate"] is None
    assert report["asr"] == {"text": None, "wer": None}
    assert report["identity"] > 0.9  # everything that does not need sound is still measured


def test_streams_are_read_from_the_file(report_of):
    streams = report_of("still")["streams"]
    assert streams["video"]["codec"] == "h264" and streams["video"]["pixel_format"] == "yuv420p"
    assert streams["video"]["fps"] == 25
    assert streams["audio"]["codec"] == "aac"
    assert streams["moov_before_mdat"] is True
    assert abs(streams["av_gap_s"]) < 0.05


def test_blinks_are_counted(report_of):
    assert report_of("blinking")["blinks"] == len(BLINK_STARTS)
    assert report_of("still")["blinks"] == 0


def test_identity_separates_the_same_person_from_another(controls, report_of):
    same = report_of("still")["identity"]
    other = evaluate(controls["still"], source=PORTRAIT_OF_SOMEONE_ELSE)["identity"]
    assert same > 0.95
    assert other < same - 0.2


def test_background_psnr_and_jitter_see_a_shaking_picture(report_of):
    still, shaky = report_of("still"), report_of("shaky")
    assert still["background_psnr_db"] >= 35
    assert shaky["background_psnr_db"] < 30
    assert shaky["head"]["jitter_iod"] > 5 * still["head"]["jitter_iod"]
    assert shaky["head"]["motion_iod"] > still["head"]["motion_iod"]


def test_smooth_sway_is_motion_without_jitter(report_of):
    still, smooth, shaky = report_of("still"), report_of("smooth"), report_of("shaky")
    assert smooth["head"]["motion_iod"] >= 0.01
    assert smooth["head"]["roll_std_deg"] > 5 * still["head"]["roll_std_deg"]
    assert smooth["head"]["jitter_iod"] < 0.2 * shaky["head"]["jitter_iod"]
    assert smooth["head"]["jitter_iod"] < 0.02


def test_lips_never_meet_in_a_photo_with_parted_lips(report_of):
    # The photo shows teeth: the inner-lip gap never falls to a third of its mean.
    mouth = report_of("still")["mouth"]
    assert mouth["bilabials_counted"] > 0
    assert mouth["bilabial_closure_rate"] == 0.0


def test_transcript_of_real_speech_is_close_to_its_text(report_of, controls):
    asr = report_of("still")["asr"]
    assert asr["wer"] < 0.6
    wrong = evaluate(controls["still"], text="the quick brown fox jumps over the lazy dog")["asr"]
    assert wrong["wer"] > 0.9
