"""Motion across units of a live stream: nothing jumps where one unit meets the next or the idling."""

from dataclasses import fields

import numpy as np
import pytest

from talking_head.motion.stream import MotionStream
from talking_head.pipeline import TalkOptions
from talking_head.speech import speech_from_text

FPS = 25
CHANNELS = [
    f.name
    for f in fields(__import__("talking_head.motion.track", fromlist=["MotionTrack"]).MotionTrack)
    if f.name != "fps"
]


@pytest.fixture(scope="module")
def units():
    return [speech_from_text("Well, maybe we should go."), speech_from_text("Blue moons rise over the old town!")]


def _played(stream: MotionStream, units) -> tuple[dict[str, np.ndarray], list[int]]:
    """Unit, unit, idle in small steps, unit: the channels end to end and the frames where pieces meet."""
    tracks = [stream.speech(units[0]), stream.speech(units[1])]
    tracks += [stream.idle(2) for _ in range(20)]
    tracks.append(stream.speech(units[0]))
    borders = list(np.cumsum([t.n_frames for t in tracks])[:-1])
    joined = {name: np.concatenate([getattr(t, name) for t in tracks]) for name in CHANNELS}
    return joined, borders


@pytest.mark.parametrize("still", [False, True])
def test_no_channel_jumps_at_unit_borders(units, still):
    stream = MotionStream(TalkOptions(fps=FPS, still=still, pose_style=2), FPS, max_frames=60 * FPS)
    joined, borders = _played(stream, units)
    n = len(joined["jaw"])
    assert stream.frame == n
    inside = np.ones(n - 1, bool)
    inside[np.array(borders) - 1] = False
    for name, values in joined.items():
        steps = np.abs(np.diff(values))
        if not steps[inside].any():
            assert not steps.any(), f"{name} moves only at borders"
            continue
        worst_border = steps[~inside].max()
        assert worst_border <= steps[inside].max() + 1e-6, (
            f"{name}: step of {worst_border:.3f} at a border, at most {steps[inside].max():.3f} inside units"
        )
    if not still:
        assert np.ptp(joined["yaw"]) > 0.5 and np.ptp(joined["pitch"]) > 0.5  # the head does move
    else:
        assert not np.any(joined["yaw"]) and np.ptp(joined["pitch"]) == 0


def test_the_idle_face_breathes_and_blinks_with_its_mouth_at_rest():
    stream = MotionStream(TalkOptions(fps=FPS), FPS, max_frames=30 * FPS)
    idle = [stream.idle(5) for _ in range(100)]
    joined = {name: np.concatenate([getattr(t, name) for t in idle]) for name in CHANNELS}
    assert not joined["jaw"].any() and not joined["lip_press"].any()
    assert (joined["blink"] > 0.99).sum() >= 3  # 20 s of listening: several blinks
    assert np.ptp(joined["pitch"]) > 0.3


def test_the_stream_stops_at_its_length_limit(units):
    stream = MotionStream(TalkOptions(fps=FPS), FPS, max_frames=10)
    with pytest.raises(ValueError):
        stream.speech(units[1])
    assert stream.frame == 0
