"""Avatars from footage, on a real clip: made, bundled, dubbed and spoken; measured on the decoded output."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from talking_head import TalkOptions, cli
from talking_head.avatar import load_avatar
from talking_head.avatar.loops import distance, frame_steps, upper_face
from talking_head.errors import InputError
from talking_head.evaluate.report import evaluate
from talking_head.evaluate.untouched import untouched_psnr
from talking_head.pipeline import talk

from .conftest import clip_frames, write_clip

TEXT = "Please bring my map, and maybe a pen. We meet by the big boat at nine."
SIZE = 256  # small frames where the footage need not be compared pixel for pixel
CLIP_S = 4.0  # the real clip's first seconds: the shortest clip taken, shorter than the speech


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """The first seconds of a real clip, at its own 512x512."""
    return write_clip(tmp_path_factory.mktemp("clip") / "katie.mp4", clip_frames(512, CLIP_S))


@pytest.fixture(scope="module")
def avatar_path(tmp_path_factory, clip):
    """`talking-head avatar make CLIP -o NAME.avatar`, through the command line."""
    path = tmp_path_factory.mktemp("avatar") / "katie.avatar"
    assert cli.main(["avatar", "make", str(clip), "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory, clip):
    """The clip dubbed with new words (`say TEXT --video CLIP`) at its own size, and its measures."""
    out = tmp_path_factory.mktemp("dub") / "dubbed.mp4"
    result = talk(text=TEXT, video=clip, output=out)
    return result, evaluate(out, text=TEXT), untouched_psnr(out, clip)


def test_dubbing_moves_the_lips_with_the_new_words(dubbed):
    result, report, _ = dubbed
    assert result.engine == "footage" and not result.fallback
    assert (result.width, result.height) == (512, 512)
    assert report["face_found_share"] == 1.0
    sync = report["lipsync"]
    assert sync["r"] >= 0.6 and abs(sync["best_lag_frames"]) <= 1, sync
    assert report["mouth"]["bilabial_closure_rate"] >= 0.8, report["mouth"]
    assert report["mouth"]["open_silence"] <= 0.03, report["mouth"]


def test_dubbing_keeps_the_clip_outside_the_lower_face(dubbed):
    _, _, kept = dubbed
    # The speech outlasts the clip: its frames are compared, the rest comes from the loop plan.
    assert kept["frames"] == round(CLIP_S * 25) < dubbed[0].frames
    assert kept["psnr_db"] >= 35.0, kept


def test_avatar_bundle_loads_and_speaks_from_its_idle_loop(avatar_path, tmp_path):
    avatar = load_avatar(avatar_path)
    assert avatar.usable.sum() >= 0.9 * CLIP_S * 25 and len(avatar.bank) == avatar.usable.sum()
    assert not avatar.dubbing
    out = tmp_path / "spoken.mp4"
    result = talk(text=TEXT, avatar=avatar_path, output=out, options=TalkOptions(size=SIZE))
    report = evaluate(out)
    assert result.engine == "footage" and report["face_found_share"] == 1.0
    assert report["lipsync"]["best_r"] >= 0.5, report["lipsync"]


def test_loop_plan_never_jumps_more_than_the_footage_does(avatar_path):
    avatar = load_avatar(avatar_path)
    features = upper_face(avatar.landmarks)
    steps = frame_steps(features)[avatar.usable[:-1] & avatar.usable[1:]]
    own_p99 = float(np.nanpercentile(steps, 99))
    plan = np.fromiter(itertools.islice(avatar.loop.play(avatar.loop.idle_start, np.random.default_rng(1)), 1500), int)
    moved = distance(features, plan[:-1], plan[1:])
    assert np.isfinite(moved).all()  # only frames with a face
    # No step of the plan, the footage's own or a jump, moves the upper face more than 99 in 100 of the footage's.
    assert float(moved.max()) <= own_p99
    assert len(set(plan.tolist())) >= 0.5 * avatar.usable.sum()  # most of the footage is used, not one short loop
    # Nor a flicker: between two jumps or turns (to playing backward and back) at least a second passes.
    steps = np.diff(plan)
    jumps = np.abs(steps) != 1
    turns = np.zeros_like(jumps)
    turns[1:] = ~jumps[1:] & ~jumps[:-1] & (steps[1:] != steps[:-1])
    assert (np.diff(np.flatnonzero(jumps | turns)) >= 25).all()


def test_footage_played_in_a_known_order_decodes_each_repeat_once(avatar_path):
    """A loop plan shows the same footage again and again: `play` keeps what is shown again soonest."""
    reads = {"get": 0, "play": 0}

    def counting(avatar, way):
        read = avatar.frames._read

        def counted():
            found = read()
            reads[way] += found is not None
            return found

        avatar.frames._read = counted
        return avatar.frames

    order = list(range(60)) * 3 + list(range(70, 40, -1)) + [95, 3, 95, 3]
    one_by_one = counting(load_avatar(avatar_path), "get")
    expected = [one_by_one.get(i).copy() for i in order]
    played = [frame.copy() for frame in counting(load_avatar(avatar_path), "play").play(order)]
    assert len(played) == len(order) and all(np.array_equal(a, b) for a, b in zip(played, expected, strict=True))
    # 60 frames three times over: a 48-frame cache decodes them all again each time; played, they are decoded once.
    assert reads["get"] > 3 * 60 and reads["play"] < 60 + 45
    # A budget of a few frames still gives the right frames, only decoding more.
    small = load_avatar(avatar_path).frames
    few = [frame.copy() for frame in small.play(order, budget_bytes=5 * small.width * small.height * 3)]
    assert all(np.array_equal(a, b) for a, b in zip(few, expected, strict=True))


@pytest.mark.parametrize("where", [0, 30, 5000, -1])
def test_bundle_refuses_a_changed_byte(avatar_path, tmp_path, where):
    data = bytearray(avatar_path.read_bytes())
    data[where] ^= 0x01
    changed = tmp_path / "changed.avatar"
    changed.write_bytes(bytes(data))
    with pytest.raises(InputError, match="avatar make"):
        load_avatar(changed)


def test_bundle_of_another_format_version_is_refused(avatar_path, tmp_path):
    from talking_head.avatar.bundle import MAGIC

    data = bytearray(avatar_path.read_bytes())
    data[len(MAGIC)] = 0  # format version 0
    older = tmp_path / "older.avatar"
    older.write_bytes(bytes(data))
    with pytest.raises(InputError, match="older talking-head"):
        load_avatar(older)
