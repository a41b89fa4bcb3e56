"""Bad clips get a clear error naming the fix, and nothing half-written."""

from __future__ import annotations

import json

import numpy as np
import pytest

from talking_head import cli
from talking_head.avatar import load_avatar, make_avatar
from talking_head.errors import InputError
from talking_head.settings import Settings

from .conftest import CLIP, OTHER_SOUND, clip_frames, write_clip

SIDE = 192


@pytest.fixture(scope="module")
def face_frames():
    return clip_frames(SIDE, 4.4)


def _refused(clip, tmp_path, capsys, *needles: str, settings_args=()) -> str:
    out = tmp_path / "made.avatar"
    code = cli.main(["avatar", "make", str(clip), "-o", str(out)])
    message = capsys.readouterr().err
    assert code == 2, message
    for needle in needles:
        assert needle in message, message
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
    return message


def test_no_face(tmp_path, capsys):
    gradient = np.tile(np.linspace(0, 255, SIDE, dtype=np.uint8)[None, :, None], (SIDE, 1, 3))
    clip = write_clip(tmp_path / "wall.mp4", [gradient] * 110)
    _refused(clip, tmp_path, capsys, "no face found", "Give a clip")


def test_face_covered_for_most_of_the_clip(tmp_path, capsys, face_frames):
    grey = np.full_like(face_frames[0], 128)
    clip = write_clip(tmp_path / "covered.mp4", face_frames[:40] + [grey] * 70)
    _refused(clip, tmp_path, capsys, "most of the clip", "looks at the camera")


def test_too_little_usable_footage(tmp_path, capsys, face_frames):
    grey = np.full_like(face_frames[0], 128)
    clip = write_clip(tmp_path / "brief.mp4", face_frames[:60] + [grey] * 45)
    _refused(clip, tmp_path, capsys, "too little usable footage", "longer clip")


def test_clip_too_short(tmp_path, capsys, face_frames):
    clip = write_clip(tmp_path / "short.mp4", face_frames[:50])
    _refused(clip, tmp_path, capsys, "only 2.0 s long", "at least 4 s")


def test_corrupt_and_audio_only_files(tmp_path, capsys):
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    _refused(corrupt, tmp_path, capsys, "corrupt.mp4", "Give a video file")
    _refused(OTHER_SOUND, tmp_path, capsys, "no video track", "--audio")


def test_clip_over_the_limit():
    with pytest.raises(InputError, match="the limit is 5 s") as caught:
        make_avatar(CLIP, Settings(max_clip_s=5))
    assert "Cut it shorter" in str(caught.value)


def test_several_faces_the_largest_speaks_and_the_record_says_so(tmp_path, capsys, face_frames):
    import cv2

    pairs = []
    for frame in face_frames:
        canvas = np.full((SIDE, 2 * SIDE, 3), 90, np.uint8)
        canvas[:, :SIDE] = frame
        small = cv2.resize(frame, (SIDE * 3 // 4, SIDE * 3 // 4), interpolation=cv2.INTER_AREA)
        canvas[SIDE // 8 : SIDE // 8 + small.shape[0], SIDE + SIDE // 8 : SIDE + SIDE // 8 + small.shape[1]] = small
        pairs.append(canvas)
    clip = write_clip(tmp_path / "two.mp4", pairs)
    out = tmp_path / "two.avatar"
    assert cli.main(["avatar", "make", str(clip), "-o", str(out), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["faces_found"] == 2
    assert any("the largest one speaks" in w for w in record["warnings"]), record["warnings"]
    # The larger face (left half) is the one tracked.
    assert record["usable_frames"] >= 0.9 * len(pairs)
    assert load_avatar(out).landmarks[:, :, 0].max() < SIDE
