"""Pipecat: a line spoken by Pipecat's Piper TTS service (our bundled voice) and said by the face; the frames
the face sends down the pipeline are saved as an MP4. No key, no network, no GPU.

    pip install "talking-head[pipecat]"
    python docs/examples/pipecat_face.py "Hello, I am the face of your agent." face.mp4 [photo.jpg]

In a bot, the transport's output takes the recorder's place (see docs/agents.md).
"""

from __future__ import annotations

import asyncio
import sys

import numpy as np
from pipecat.frames.frames import EndFrame, OutputImageRawFrame, TTSAudioRawFrame, TTSSpeakFrame, TTSStoppedFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.piper.tts import PiperTTSService, PiperTTSSettings
from pipecat.workers.runner import WorkerRunner

from talking_head.agents.pipecat import TalkingHeadVideo
from talking_head.options import TalkOptions
from talking_head.speech.voices import bundled_voice_path
from talking_head.video.encoder import VideoWriter


class Recorder(FrameProcessor):
    """Where a transport would show the frames: keeps the images and the audio that comes with them."""

    def __init__(self):
        super().__init__()
        self.images: list[np.ndarray] = []
        self.audio: list[np.ndarray] = []
        self.said = asyncio.Event()  # the face has played the line: a stop after some of its sound

    async def process_frame(self, frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, OutputImageRawFrame):
            width, height = frame.size
            self.images.append(np.frombuffer(frame.image, np.uint8).reshape(height, width, 3))
            self.audio.append(np.zeros(0, np.int16))
        elif isinstance(frame, TTSAudioRawFrame) and self.audio:
            self.audio[-1] = np.frombuffer(frame.audio, np.int16)
        elif isinstance(frame, TTSStoppedFrame) and any(len(a) for a in self.audio):
            self.said.set()  # a busy TTS may send an early stop with no sound before the real one
        await self.push_frame(frame, direction)


async def main(text: str, output: str, image: str | None = None) -> None:
    tts = PiperTTSService(settings=PiperTTSSettings(voice="en_US-joe-medium"), download_dir=bundled_voice_path().parent)
    face = TalkingHeadVideo(image=image, options=TalkOptions(size=384))
    recorder = Recorder()
    worker = PipelineWorker(Pipeline([tts, face, recorder]))
    await worker.queue_frame(TTSSpeakFrame(text))
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.create_task(runner.run())
    # End only once the line has been played: queued at once, the EndFrame could overtake the TTS's sound.
    await asyncio.wait_for(recorder.said.wait(), timeout=60)
    await worker.queue_frame(EndFrame())
    await running

    per_frame = face.face.samples_for(1)  # listening frames are silent
    sound = np.concatenate([a if len(a) else np.zeros(per_frame, np.int16) for a in recorder.audio])
    with VideoWriter(output, face.width, face.height, face.fps, sound / 32768.0, face.face.sample_rate) as video:
        for image_rgb in recorder.images:
            video.write(image_rgb)
    print(f"{output}: {len(recorder.images)} frames, {len(sound) / face.face.sample_rate:.2f} s")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
