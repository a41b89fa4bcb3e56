"""The Pipecat adapter in Pipecat's own test harness (`run_test`): Pipecat's Piper TTS service, with our
bundled voice, speaks into `TalkingHeadVideo`; what comes out is measured (image size, one image per
frame of sound, the TTS's own audio back, the mouth moving with it, closed at once on an interruption).
"""

from __future__ import annotations

import asyncio
import runpy
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import (
    InterruptionFrame,
    OutputImageRawFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStartedFrame,
    TTSStoppedFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.pipeline.pipeline import Pipeline
from pipecat.services.piper.tts import PiperTTSService, PiperTTSSettings
from pipecat.tests.utils import SleepFrame, run_test

from talking_head.agents.pipecat import TalkingHeadVideo
from talking_head.evaluate.decode import probe, read_audio_16k
from talking_head.live.agent import AgentFace
from talking_head.options import TalkOptions
from talking_head.speech.voices import bundled_voice_path

from .measure import SIZE, chunks, openings, recorded_speech, sync

TEXT = "Hello, I am a talking head, and I move my lips as I speak."  # one sentence: one piece of TTS audio
INTERRUPT_AFTER_S = 1.2
REPO = Path(__file__).resolve().parents[2]


class AudioTap(BaseObserver):
    """Pipecat observer: the TTS audio frames one processor pushes (what the face is given)."""

    def __init__(self, source):
        super().__init__()
        self.source = source
        self.frames: list[TTSAudioRawFrame] = []

    async def on_push_frame(self, data: FramePushed):
        if data.source is self.source and isinstance(data.frame, TTSAudioRawFrame):
            self.frames.append(data.frame)


def face_processor() -> TalkingHeadVideo:
    # built before the pipeline runs (run_test gives a pipeline one second to start)
    return TalkingHeadVideo(face=AgentFace(options=TalkOptions(size=SIZE, seed=3), sample_rate=24000))


def image_array(frame: OutputImageRawFrame) -> np.ndarray:
    width, height = frame.size
    return np.frombuffer(frame.image, np.uint8).reshape(height, width, 3)


def pcm(frames) -> np.ndarray:
    return np.frombuffer(b"".join(f.audio for f in frames), np.int16)


@pytest.fixture(scope="module")
def spoken():
    """The example pipeline of docs/agents.md, TTS then face, run once on a sentence."""
    tts = PiperTTSService(settings=PiperTTSSettings(voice="en_US-joe-medium"), download_dir=bundled_voice_path().parent)
    face = face_processor()
    tap = AudioTap(tts)
    down, _ = asyncio.run(run_test(Pipeline([tts, face]), frames_to_send=[TTSSpeakFrame(TEXT)], observers=[tap]))
    return face, tap.frames, down


def test_images_are_the_face_at_its_size_one_per_frame_of_sound(spoken):
    face, tts_audio, down = spoken
    images = [f for f in down if isinstance(f, OutputImageRawFrame)]
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    assert {(f.size, f.format, len(f.image)) for f in images} == {((SIZE, SIZE), "RGB", SIZE * SIZE * 3)}
    assert all(f.sync_with_audio for f in images)
    per_frame = 24000 // face.fps
    assert {len(f.audio) for f in audio} == {per_frame * 2}  # 16-bit mono: one video frame's worth each
    # every sound frame follows its own image, and speech takes as many frames as its length at 25 fps
    for k, frame in enumerate(down):
        if isinstance(frame, TTSAudioRawFrame):
            assert isinstance(down[k - 1], OutputImageRawFrame)
    assert len(audio) == -(-len(pcm(tts_audio)) // per_frame)


def test_audio_out_is_the_tts_audio(spoken):
    _, tts_audio, down = spoken
    given, sent = pcm(tts_audio), pcm(f for f in down if isinstance(f, TTSAudioRawFrame))
    assert {f.sample_rate for f in tts_audio} == {24000}
    assert len(given) > 24000  # a sentence, not a click
    # the face's own 16-bit conversion may round a loud sample one step the other way
    assert np.abs(sent[: len(given)].astype(np.int32) - given).max() <= 1
    assert not sent[len(given) :].any()  # the last frame is filled out with silence
    types = [type(f) for f in down]
    assert types.index(TTSStartedFrame) < types.index(TTSAudioRawFrame)
    last_audio = len(types) - 1 - types[::-1].index(TTSAudioRawFrame)
    # passed on once the last sample is shown (a TTS context that timed out empty may have stopped earlier)
    assert max(k for k, t in enumerate(types) if t is TTSStoppedFrame) == last_audio + 1


def test_mouth_moves_with_the_sound_and_rests_when_listening(spoken):
    _, _, down = spoken
    images, sounds = [], []
    for frame in down:
        if isinstance(frame, OutputImageRawFrame):
            images.append(image_array(frame))
            sounds.append(np.zeros(0))
        elif isinstance(frame, TTSAudioRawFrame):
            sounds[-1] = np.frombuffer(frame.audio, np.int16) / 32768.0
    speaking = np.array([len(s) > 0 for s in sounds])
    first, last = np.flatnonzero(speaking)[[0, -1]]
    window = slice(max(first - 10, 0), last + 10)
    result = sync(images[window], sounds[window])
    assert result["best_r"] >= 0.6 and abs(result["best_lag_frames"]) <= 1, result
    opening = openings(images[window])
    talking = opening[speaking[window]]
    listening = opening[~speaking[window]]
    assert np.nanmax(talking) > np.nanmax(listening) + 0.05


def test_an_interruption_silences_and_closes_the_mouth_at_once():
    speech, rate = recorded_speech(3.0)
    frames = [TTSStartedFrame(), *(TTSAudioRawFrame(c.tobytes(), rate, 1) for c in chunks(speech, rate))]
    frames += [SleepFrame(sleep=INTERRUPT_AFTER_S), InterruptionFrame(), SleepFrame(sleep=0.4), TTSStoppedFrame()]
    face = face_processor()
    down, _ = asyncio.run(run_test(face, frames_to_send=frames))
    cut = next(k for k, f in enumerate(down) if isinstance(f, InterruptionFrame))
    before, after = down[:cut], down[cut + 1 :]
    spoken_after = [f for f in after if isinstance(f, TTSAudioRawFrame)]
    assert len(spoken_after) <= 2, "speech went on after the interruption"
    spoken_s = len(pcm(f for f in before if isinstance(f, TTSAudioRawFrame))) / 24000
    assert 0.5 < spoken_s < INTERRUPT_AFTER_S + 0.2  # it was speaking when cut, and never got to the end (3 s)
    images_after = [image_array(f) for f in after if isinstance(f, OutputImageRawFrame)]
    images_before = [image_array(f) for f in before if isinstance(f, OutputImageRawFrame)]
    assert len(images_after) >= 8  # it kept listening
    talking = openings(images_before[-15:])
    closed = openings(images_after[3:8])
    assert np.nanmax(closed) < 0.5 * np.nanmax(talking)
    assert isinstance(after[-1], TTSStoppedFrame) or any(isinstance(f, TTSStoppedFrame) for f in after)


def test_the_docs_example_saves_the_face_saying_its_line(tmp_path):
    example = runpy.run_path(str(REPO / "docs" / "examples" / "pipecat_face.py"), run_name="example")
    output = tmp_path / "face.mp4"
    asyncio.run(example["main"]("Hello there.", str(output)))
    streams = probe(output)
    # "Hello there." lasts about 0.9 s; how many listening frames come before it depends on how fast the TTS
    # answers, so the count is bounded by the line, and the picture must last as long as the sound.
    assert (streams.video.width, streams.video.height) == (384, 384) and streams.video.frames >= 15
    assert streams.audio is not None and streams.audio.sample_rate == 24000
    assert abs(streams.video.duration_s - streams.audio.duration_s) <= 1 / 25
    audio, _ = read_audio_16k(output)
    assert np.sqrt(np.mean(np.square(audio))) > 0.01  # the line is in it, not only listening silence
