"""The audio-driven core (`AgentFace`) in process: the audio frames carry is the audio pushed, segments,
interrupts, stalls and bad input. Run unpaced (an infinite lead) where timing is not the point; the
real-time, decoded checks (lip sync, the codec's audio, a closed mouth) are in tests/service/test_live_audio.py.
"""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from talking_head.errors import InputError
from talking_head.live import agent as agent_module
from talking_head.live.agent import AgentFace
from talking_head.live.audio_in import AudioOverflow
from talking_head.pipeline import TalkOptions
from talking_head.speech.audio import read_audio, resample

SPEECH = "../shared/speech/librivox_sense_and_sensibility_0880.wav"
SIZE = 128
UNPACED = float("inf")


@pytest.fixture(scope="module")
def speech_16k() -> np.ndarray:
    audio, rate = read_audio(SPEECH)
    assert rate == 16000
    return audio[: int(1.5 * rate)]


@pytest.fixture(scope="module")
def idle_face():
    agent = face()
    yield agent
    agent.close()


def face(**kwargs) -> AgentFace:
    return AgentFace(options=TalkOptions(size=SIZE, seed=2), lead_s=UNPACED, **kwargs)


def int16(audio: np.ndarray) -> np.ndarray:
    return np.round(audio * 32767).astype(np.int16)


def chunks(audio: np.ndarray, rate: int, ms: int = 20):
    step = rate * ms // 1000
    return [audio[i : i + step] for i in range(0, len(audio), step)]


def run_until(agent: AgentFace, done, limit: int = 500) -> list:
    frames = []
    for frame in itertools.islice(agent.frames(), limit):
        frames.append(frame)
        if done(frames):
            break
    agent.close()
    return frames


def has_event(frame, kind: str) -> bool:
    return any(e["type"] == kind for e in frame.events)


def segment_audio(frames) -> np.ndarray:
    """The samples carried from the first segment's first frame to the frame of its end."""
    start = next(f.index for f in frames if has_event(f, "segment_start"))
    end = next(f.index for f in frames if has_event(f, "segment_end"))
    return np.concatenate([f.audio for f in frames if start <= f.index <= end])


def ended(frames) -> bool:
    return has_event(frames[-1], "segment_end")


def test_frames_carry_exactly_the_pushed_samples_then_idle_in_silence(speech_16k):
    agent = face(sample_rate=16000)
    pcm = int16(speech_16k)
    for chunk in chunks(pcm, 16000):
        agent.push_audio(chunk.tobytes(), 16000)
    agent.end_of_segment()
    frames = run_until(agent, lambda got: len(got) > 10 and not any(f.speaking for f in got[-10:]))
    starts = [e for f in frames for e in f.events if e["type"] == "segment_start"]
    assert len(starts) == 1 and starts[0]["segment"] == 0
    first = next(f for f in frames if f.speaking)
    assert starts[0]["media_s"] == pytest.approx(first.media_s)
    shown = segment_audio(frames)
    # Sample-exact: every pushed sample once, in order, then only the zeros that fill the last frame.
    expected = pcm.astype(np.float32) / 32768
    assert np.array_equal(shown[: len(expected)], expected)
    assert not shown[len(expected) :].any() and len(shown) - len(expected) < 16000 // agent.fps
    # As 16-bit PCM (what the adapters hand on), the bytes pushed come back.
    segment = [f for f in frames if f.speaking]
    assert b"".join(f.pcm16() for f in segment)[: 2 * len(pcm)] == pcm.astype("<i2").tobytes()
    end = [e for f in frames for e in f.events if e["type"] == "segment_end"][0]
    assert end["media_s"] == pytest.approx(first.media_s + len(expected) / 16000, abs=1e-3)
    # Every frame carries its share of audio; idle frames after the segment carry silence.
    assert all(len(f.audio) == 16000 // agent.fps for f in frames)
    after = [f for f in frames if f.index > first.index + len(expected) // (16000 // agent.fps) + 1]
    assert after and not any(f.speaking or f.audio.any() for f in after)
    assert all(f.image.shape == (SIZE, SIZE, 3) and f.image.dtype == np.uint8 for f in frames)


def test_float_chunks_at_another_rate_are_resampled_once(speech_16k):
    agent = face(sample_rate=24000)
    for chunk in chunks(speech_16k.astype(np.float64), 16000):
        agent.push_audio(chunk, 16000)
    agent.end_of_segment()
    frames = run_until(agent, ended)
    shown = segment_audio(frames)
    reference = resample(speech_16k, 16000, 24000)
    assert abs(len(shown) - len(reference)) < 24000 // agent.fps
    n = min(len(shown), len(reference))
    assert np.corrcoef(shown[:n], reference[:n])[0, 1] > 0.999
    assert all(len(f.audio) == 24000 // agent.fps for f in frames)


@pytest.mark.parametrize("pushed_rate, face_rate", [(16000, 48000), (24000, 24000), (48000, 24000)])
def test_a_segment_starts_once_its_first_frame_and_the_look_ahead_are_pushed(speech_16k, pushed_rate, face_rate):
    # 40 ms frame + 20 ms look-ahead: three 20 ms chunks. A resampler holds back a millisecond of them for its
    # filter; the segment must not wait for a fourth chunk (20 ms more latency) for that millisecond.
    agent = face(sample_rate=face_rate)
    audio = resample(speech_16k, 16000, pushed_rate)
    for chunk in chunks(audio, pushed_rate)[:3]:
        agent.push_audio(chunk, pushed_rate)
    first = next(agent.frames())
    agent.close()
    assert first.speaking and first.events[0]["type"] == "segment_start", first.events
    assert np.abs(first.audio).max() > 0.01


def test_an_interrupt_drops_what_is_not_shown_and_the_next_frame_is_silent(speech_16k):
    agent = face(sample_rate=16000)
    agent.push_audio(int16(speech_16k), 16000)
    frames = []
    for frame in agent.frames():
        frames.append(frame)
        if len([f for f in frames if f.speaking]) == 10:
            agent.interrupt()
        if len(frames) > 40:
            break
    agent.close()
    cut = next(i for i, f in enumerate(frames) if has_event(f, "interrupted"))
    event = next(e for e in frames[cut].events if e["type"] == "interrupted")
    assert frames[cut - 1].speaking and event["segment"] == 0
    assert event["media_s"] == pytest.approx(frames[cut].media_s)
    assert not any(f.speaking or f.audio.any() for f in frames[cut:])
    assert agent.buffered_s == 0
    # Nothing else about the dropped segment: no end, since it never played to its end.
    assert not any(has_event(f, "segment_end") for f in frames)


def test_a_segment_left_open_without_audio_is_ended_with_an_error(speech_16k, monkeypatch):
    monkeypatch.setattr(agent_module, "STALL_S", 0.3)
    agent = AgentFace(options=TalkOptions(size=SIZE, seed=2), sample_rate=16000)  # paced: the stall is real time
    agent.push_audio(int16(speech_16k[:8000]), 16000)  # half a second, and no end_of_segment
    frames = run_until(agent, ended, limit=100)
    errors = [e for f in frames for e in f.events if e["type"] == "error"]
    assert [e["code"] for e in errors] == ["audio_stalled"] and "end_of_segment" in errors[0]["message"]
    assert ended(frames)
    # The audio that came was all shown, in order: the stall only ended the segment. Its last half frame
    # waited for the rest of its frame (silent frames while it might still come), then played at the stall.
    shown = np.concatenate([f.audio for f in frames if f.speaking])
    assert np.array_equal(shown[:8000], int16(speech_16k[:8000]).astype(np.float32) / 32768)
    assert not shown[8000:].any()
    assert len([f for f in frames if f.speaking]) == 13


def test_audio_late_mid_frame_holds_whole_silent_frames_and_the_sound_stays_continuous(speech_16k):
    """A frame shows a whole frame of sound: with half of it in hand when it is due, the face holds
    silent frames until the rest comes, so the sound after the wait is not shifted by part of a frame."""
    agent = AgentFace(options=TalkOptions(size=SIZE, seed=2), sample_rate=16000)  # paced: late is real time
    pcm = int16(speech_16k[:16000])
    agent.push_audio(pcm[:3520], 16000)  # 5.5 frames of 640 samples

    def rest() -> None:
        time.sleep(0.4)
        agent.push_audio(pcm[3520:], 16000)
        agent.end_of_segment()

    threading.Thread(target=rest, daemon=True).start()
    frames = run_until(agent, ended, limit=100)
    shown = np.concatenate([f.audio for f in frames if f.speaking])
    assert np.array_equal(shown[: len(pcm)], pcm.astype(np.float32) / 32768) and not shown[len(pcm) :].any()
    start = next(f.index for f in frames if f.speaking)
    held = [f for f in frames if f.index > start and not f.speaking and f.index < frames[-1].index]
    assert len(held) >= 3 and not any(f.audio.any() for f in held)


@pytest.mark.parametrize(
    "pcm, rate, words",
    [
        (b"\x00\x01\x02", 16000, "odd number"),
        (np.zeros((320, 2), np.float32), 16000, "not mono"),
        (np.zeros(320, np.int32), 16000, "int16 or float"),
        (np.zeros(320, np.int16), 17000, "17000 hz is not supported"),
    ],
)
def test_bad_chunks_are_refused_with_a_message_naming_the_problem(idle_face, pcm, rate, words):
    agent = idle_face
    with pytest.raises(InputError) as refused:
        agent.push_audio(pcm, rate)
    assert words in str(refused.value).lower()
    assert agent.buffered_s == 0


def test_audio_past_the_buffer_is_refused_whole_and_the_rest_kept(speech_16k):
    agent = face(sample_rate=16000, max_buffer_s=1.0)
    kept = 0
    with pytest.raises(AudioOverflow) as refused:
        for chunk in chunks(int16(speech_16k), 16000, ms=300):
            agent.push_audio(chunk, 16000)
            kept += len(chunk)
    assert refused.value.code == "audio_overflow" and "dropped" in str(refused.value)
    assert agent.buffered_s == pytest.approx(kept / 16000) and kept <= 16000
    agent.end_of_segment()
    frames = run_until(agent, ended)
    assert np.array_equal(segment_audio(frames)[:kept], int16(speech_16k[:kept]).astype(np.float32) / 32768)


def test_an_engine_that_cannot_draw_frame_by_frame_is_refused():
    from talking_head.engines import get_engine

    with pytest.raises(InputError, match="frame by frame"):
        face(engine=get_engine("still"))
