"""An avatar in the live paths: a voice agent's audio (`AgentFace`) and `say --stream --avatar` draw the person's
own footage, the lips following the sound, idling through the loop plan with the mouth closed."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest

from talking_head.avatar import make_avatar, save_avatar
from talking_head.evaluate.decode import iter_frames
from talking_head.evaluate.lipsync import envelope, lipsync
from talking_head.evaluate.tracking import FaceSeries, FaceTracker
from talking_head.live.agent import AgentFace
from talking_head.live.stream import stream_to
from talking_head.options import TalkOptions
from talking_head.speech.audio import read_audio

from .conftest import OTHER_SOUND, clip_frames, write_clip

SIZE = 192
SPEECH_S = 5.0
UNPACED = 1e6


@pytest.fixture(scope="module")
def avatar_path(tmp_path_factory):
    """A small avatar (4.4 s of the real clip at 192 px): cheap to build, the same person. Written losslessly, so
    every run builds the same avatar: from x264's run-to-run differences the idle mouth's median read 0.010 to
    0.032 IOD over five builds, against the bar of 0.03 below; from this clip, 0.0076 every time."""
    folder = tmp_path_factory.mktemp("live-avatar")
    clip = write_clip(folder / "katie.mkv", clip_frames(SIZE, 4.4), codec="ffv1")
    path = folder / "katie.avatar"
    save_avatar(make_avatar(clip, for_bundle=True), path)
    return path


def _measure(images: list[np.ndarray]) -> FaceSeries:
    tracker, series = FaceTracker(), FaceSeries()
    for i, image in enumerate(images):
        series.append(i / 25, tracker.find(image))
    return series


def test_an_agents_voice_moves_the_avatars_lips_then_it_idles_with_the_mouth_closed(avatar_path):
    audio, rate = read_audio(OTHER_SOUND, 60)
    audio = audio[: int(SPEECH_S * rate)]
    agent = AgentFace(options=TalkOptions(size=SIZE, seed=2), sample_rate=rate, lead_s=UNPACED, avatar=avatar_path)
    pcm = np.round(np.clip(audio, -1, 1) * 32767).astype(np.int16)
    for start in range(0, len(pcm), rate // 50):
        agent.push_audio(pcm[start : start + rate // 50].tobytes(), rate)
    agent.end_of_segment()
    frames = list(itertools.islice(agent.frames(), int(SPEECH_S * 25) + 25))
    agent.close()
    assert all(f.image.shape == (SIZE, SIZE, 3) for f in frames)
    series = _measure([f.image for f in frames])
    assert series.found.all()
    sound = np.concatenate([f.audio for f in frames])
    env = envelope(sound.astype(np.float32), 0.0, np.asarray(series.times), 25)
    sync = lipsync(np.asarray(series.opening, float), env, 1)
    assert sync["best_r"] is not None and sync["best_r"] >= 0.5, sync
    idle = np.asarray(series.opening, float)[-15:]  # the second after the segment: nothing to say
    assert not any(f.speaking for f in frames[-15:])
    assert np.median(idle) <= 0.03, idle


def test_say_stream_avatar_writes_the_persons_footage_as_it_is_made(avatar_path, tmp_path):
    out = io.BytesIO()
    seconds = stream_to(out, "Hello, this is me.", options=TalkOptions(size=SIZE), lead_s=UNPACED, avatar=avatar_path)
    path = tmp_path / "stream.mp4"
    path.write_bytes(out.getvalue())
    images = [image for _, image in iter_frames(path)]
    assert len(images) == pytest.approx(seconds * 25, abs=2)
    series = _measure(images)
    assert series.found.all() and np.nanmax(series.opening) > 0.1  # it speaks: the mouth opens
