"""`AgentProcess`: an audio-driven stream drawn in a process of its own, as the server runs them. What crosses
the pipe: a face that cannot be made, a chunk the face refuses, the stream's bytes and events, and a stop."""

from __future__ import annotations

import io
import os
import threading

import av
import numpy as np
import pytest

from talking_head.errors import InputError
from talking_head.face import analyze_face
from talking_head.live.agent_process import AgentProcess
from talking_head.pipeline import DEFAULT_FACE, TalkOptions
from talking_head.settings import Settings
from talking_head.speech.audio import read_audio

SPEECH = "../shared/speech/librivox_sense_and_sensibility_0880.wav"
RATE = 16000


@pytest.fixture(scope="module")
def pcm() -> bytes:
    audio, rate = read_audio(SPEECH)
    assert rate == RATE
    return np.round(audio[: int(1.0 * rate)] * 32767).astype("<i2").tobytes()


def face_args(**more) -> dict:
    return {"image": analyze_face(DEFAULT_FACE), "options": TalkOptions(size=64, seed=1), "settings": Settings()} | more


def test_the_stream_comes_back_whole_and_its_process_ends(pcm):
    stream = AgentProcess(face_args(sample_rate=48000), RATE)
    assert stream.pid != os.getpid() and (stream.width, stream.sample_rate) == (64, 48000)
    for at in range(0, len(pcm), 640):
        assert stream.feed(pcm[at : at + 640]) is None
    stream.end_of_segment()
    stream.end()
    got: list = []
    stream.run(got.append)
    kinds = [m["type"] for m in got if isinstance(m, dict)]
    assert kinds == ["segment_start", "segment_end"], kinds
    with av.open(io.BytesIO(b"".join(m for m in got if isinstance(m, bytes)))) as container:
        audio = np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])
    assert np.sqrt(np.mean(audio**2)) > 0.01  # the speech is in it
    assert stream.media_s >= 1.0 and not stream.alive


def test_a_face_that_cannot_be_made_is_refused_with_its_reason():
    with pytest.raises(InputError, match="17000 Hz is not supported") as refused:
        AgentProcess(face_args(sample_rate=17000), RATE)
    assert refused.value.field == "sample_rate"


def test_a_chunk_the_face_refuses_comes_back_as_an_error_event_and_the_stream_goes_on(pcm):
    stream = AgentProcess(face_args(sample_rate=RATE, max_buffer_s=0.5), RATE)
    assert stream.feed(b"\x01\x02\x03")["code"] == "invalid_input"  # not whole samples: said at once
    stream.feed(pcm)  # a second of audio into half a second of buffer
    stream.feed(pcm[: RATE // 5 * 2])
    stream.end_of_segment()
    stream.end()
    got: list = []
    stream.run(got.append)
    events = [m for m in got if isinstance(m, dict)]
    assert events[0]["code"] == "audio_overflow" and "dropped" in events[0]["message"]
    assert [e["type"] for e in events[1:]] == ["segment_start", "segment_end"]


def test_stop_ends_the_process_mid_stream(pcm):
    stream = AgentProcess(face_args(), RATE)
    stream.feed(pcm)
    got: list = []
    first_bytes = threading.Event()

    def collect(item) -> None:
        got.append(item)
        if isinstance(item, bytes):
            first_bytes.set()

    runner = threading.Thread(target=stream.run, args=(collect,))
    runner.start()
    assert first_bytes.wait(30)
    stream.stop()
    runner.join(10)
    assert not runner.is_alive() and not stream.alive


def test_closed_before_it_runs_its_process_ends(pcm):
    # The client left between the face being ready and the stream starting: nothing reads the process.
    stream = AgentProcess(face_args(), RATE)
    stream.feed(pcm)
    stream.close()
    assert not stream.alive
