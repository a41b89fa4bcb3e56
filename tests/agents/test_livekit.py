"""The LiveKit adapter in LiveKit Agents' own machinery, in process: an `AgentSession` says recorded
speech (`session.say(audio=...)`) into the `QueueAudioOutput` our `TalkingHeadAvatar` gives it, LiveKit's
`AvatarRunner` drives our `FaceVideoGenerator` and publishes through its `AVSynchronizer` to real local
tracks, read back with `rtc.VideoStream`. Only the LiveKit server is missing: `LocalRoom` stands in for a
connected room and keeps the published tracks here. `session.interrupt()` must silence the face at once.
"""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest
from livekit import rtc
from livekit.agents import Agent, AgentSession

from talking_head.agents.livekit import AHEAD_S, TalkingHeadAvatar
from talking_head.live.agent import AgentFace
from talking_head.options import TalkOptions

from .measure import SIZE, chunks, openings, recorded_speech

INTERRUPT_AFTER_S = 1.0


class LocalParticipant:
    identity = "agent"
    kind = rtc.ParticipantKind.PARTICIPANT_KIND_AGENT

    def __init__(self):
        self.track_publications: dict = {}
        self.tracks: list = []

    async def publish_track(self, track, options):
        self.tracks.append(track)
        return Publication(track)


class Publication:
    def __init__(self, track):
        self.track = track

    async def wait_for_subscription(self) -> None:
        return None


class LocalRoom:
    """What AvatarRunner and AvatarSession use of a connected room; tracks are published to nobody."""

    name = "local"

    def __init__(self):
        self.local_participant = LocalParticipant()
        self.remote_participants: dict = {}

    def isconnected(self) -> bool:
        return True

    def on(self, event, callback=None):
        return callback

    def off(self, event, callback) -> None:
        pass


async def say_and_interrupt(speech: np.ndarray, rate: int) -> dict:
    face = AgentFace(options=TalkOptions(size=SIZE, seed=4), sample_rate=rate)
    room = LocalRoom()
    session = AgentSession()
    avatar = TalkingHeadAvatar(face=face)
    await avatar.start(session, room=room)
    await session.start(agent=Agent(instructions="Say what you are given."))

    pushed: list[tuple[float, object]] = []  # what the runner hands LiveKit's synchronizer, with when
    sync_push = avatar.runner.av_sync.push

    async def record(frame, timestamp=None):
        pushed.append((time.monotonic(), frame))
        await sync_push(frame, timestamp)

    avatar.runner.av_sync.push = record
    finished = []  # the session's audio output hears when the runner has played a segment (AudioSegmentEnd)
    session.output.audio.on("playback_finished", lambda ev: finished.append((time.monotonic(), ev)))
    published: list[rtc.VideoFrame] = []

    async def watch_video():
        while len(room.local_participant.tracks) < 2:
            await asyncio.sleep(0.01)
        video = next(t for t in room.local_participant.tracks if isinstance(t, rtc.LocalVideoTrack))
        stream = rtc.VideoStream(video, format=rtc.VideoBufferType.RGB24)
        try:
            async for event in stream:
                published.append(event.frame)
        finally:
            await stream.aclose()

    watcher = asyncio.create_task(watch_video())

    async def audio_frames(pcm: np.ndarray):
        for chunk in chunks(pcm, rate):
            yield rtc.AudioFrame(chunk.tobytes(), rate, 1, len(chunk))

    whole = session.say("a recorded sentence", audio=audio_frames(speech))
    await asyncio.wait_for(whole.wait_for_playout(), 30)
    played_at = time.monotonic()
    # longer than the face holds ahead: the session hands it over faster than real time
    cut = session.say("the same sentence three times", audio=audio_frames(np.tile(speech, 3)))
    held = []
    while time.monotonic() < played_at + INTERRUPT_AFTER_S:
        await asyncio.sleep(0.02)
        held.append(face.buffered_s)
    interrupted_at = time.monotonic()
    await session.interrupt()
    await asyncio.sleep(0.5)
    watcher.cancel()
    await asyncio.gather(watcher, return_exceptions=True)
    await session.aclose()
    await avatar.aclose()
    return {
        "face": face,
        "pushed": pushed,
        "published": published,
        "finished": finished,
        "held": held,
        "whole": whole,
        "cut": cut,
        "played_at": played_at,
        "interrupted_at": interrupted_at,
    }


@pytest.fixture(scope="module")
def run():
    speech, rate = recorded_speech(2.5)
    return speech, rate, asyncio.run(say_and_interrupt(speech, rate))


def test_video_frames_are_the_face_at_its_size_and_fps(run):
    speech, rate, result = run
    video = [f for _, f in result["pushed"] if isinstance(f, rtc.VideoFrame)]
    assert {(f.width, f.height, f.type) for f in video} == {(SIZE, SIZE, rtc.VideoBufferType.RGB24)}
    # published through LiveKit's sources to a real local track, and read back from it
    assert {(f.width, f.height) for f in result["published"]} == {(SIZE, SIZE)}
    assert len(result["published"]) > 0.5 * len(video)
    times = [t for t, f in result["pushed"] if isinstance(f, rtc.VideoFrame)]
    assert abs(len(times) / (times[-1] - times[0]) - result["face"].fps) < 3  # real time, while it listened too


def test_audio_out_is_the_speech_said_then_the_segment_ends(run):
    speech, rate, result = run
    first = [f for t, f in result["pushed"] if isinstance(f, rtc.AudioFrame) and t <= result["played_at"]]
    assert {(f.sample_rate, f.num_channels, f.samples_per_channel) for f in first} == {(rate, 1, rate // 25)}
    said = np.concatenate([np.frombuffer(f.data, np.int16) for f in first])
    assert len(said) == -(-len(speech) // (rate // 25)) * (rate // 25)  # whole frames of it
    # the face's own 16-bit conversion may round a loud sample one step the other way
    assert np.abs(said[: len(speech)].astype(np.int32) - speech).max() <= 1
    assert not said[len(speech) :].any()
    assert result["whole"].done() and not result["whole"].interrupted
    played = result["finished"][0][1]
    assert not played.interrupted and played.playback_position == pytest.approx(len(said) / rate)


def test_interrupt_silences_the_face_within_two_frames(run):
    speech, rate, result = run
    assert result["cut"].interrupted
    (_, ev) = result["finished"][1]
    assert ev.interrupted and 0.5 * INTERRUPT_AFTER_S < ev.playback_position < INTERRUPT_AFTER_S + 0.2
    late = [
        f
        for t, f in result["pushed"]
        if isinstance(f, rtc.AudioFrame) and t > result["interrupted_at"] and np.frombuffer(f.data, np.int16).any()
    ]
    assert len(late) <= 2, f"{len(late)} frames of speech after the interruption"
    spoken = [
        f
        for t, f in result["pushed"]
        if isinstance(f, rtc.AudioFrame) and result["played_at"] < t <= result["interrupted_at"]
    ]
    assert len(spoken) >= 0.5 * INTERRUPT_AFTER_S * 25  # it was speaking when cut
    images = [
        np.frombuffer(f.data, np.uint8).reshape(SIZE, SIZE, 3)
        for t, f in result["pushed"]
        if isinstance(f, rtc.VideoFrame)
    ]
    frame_times = [t for t, f in result["pushed"] if isinstance(f, rtc.VideoFrame)]
    cut = int(np.searchsorted(frame_times, result["interrupted_at"]))
    talking = openings(images[cut - 15 : cut])
    closed = openings(images[cut + 3 : cut + 8])
    assert np.nanmax(closed) < 0.5 * np.nanmax(talking)


def test_the_face_holds_a_few_seconds_ahead_and_the_rest_waits_in_livekits_queue(run):
    speech, rate, result = run
    assert AHEAD_S - 0.5 < max(result["held"]) <= AHEAD_S + 0.02  # filled to its mark, then one 20 ms chunk at most
