"""Pipecat: the face as a frame processor placed after the TTS.

``pip install "talking-head[pipecat]"``, then in a bot's pipeline::

    face = TalkingHeadVideo(image="me.jpg", options=TalkOptions(size=512))
    pipeline = Pipeline([transport.input(), stt, user_aggregator, llm, tts, face, transport.output(), assistant_aggregator])

with the transport's video output on at the face's size and fps (`face.width`, `face.height`, `face.fps`).

It takes the TTS's `TTSAudioRawFrame`s (any common rate, mono) into an
`AgentFace` and, from the pipeline's start, sends one `OutputImageRawFrame`
per video frame in real time, each followed while the face speaks by a
`TTSAudioRawFrame` with exactly the samples that frame shows (the TTS's own
audio, cut at frame boundaries); listening frames carry no audio. Images are
queued with the audio (`sync_with_audio`) so the transport shows each as its
sound starts. `TTSStoppedFrame` ends the utterance and is passed on once its
last sample has been shown; an `InterruptionFrame` silences the face at once;
`EndFrame` lets what was said finish, `CancelFrame` stops at once.
"""

from __future__ import annotations

import asyncio
from collections import deque

import numpy as np

from ..errors import ConfigurationError, InputError
from ..live.agent import SAMPLE_RATE, AgentFace
from ..options import TalkOptions
from .outgoing import Outgoing

try:
    from pipecat.frames.frames import (
        CancelFrame,
        EndFrame,
        Frame,
        InterruptionFrame,
        OutputImageRawFrame,
        StartFrame,
        TTSAudioRawFrame,
        TTSStoppedFrame,
    )
    from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
except ImportError as exc:
    raise ConfigurationError(
        f'the Pipecat adapter needs Pipecat 1.x ({exc}): pip install "talking-head[pipecat]"'
    ) from exc


class TalkingHeadVideo(FrameProcessor):
    """A Pipecat processor that turns the TTS's audio into the face's video and the same audio, frame by frame.

    `image`: a path, bytes or RGB array (None: the bundled face); `options`: size, fps, seed...;
    `sample_rate`: of the audio it sends (the pipeline's output rate); or a ready `face`.
    Building the face (face analysis) takes a second or two, here, before the pipeline runs.
    """

    def __init__(
        self,
        image=None,
        options: TalkOptions | None = None,
        *,
        sample_rate: int = SAMPLE_RATE,
        face: AgentFace | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.face = face if face is not None else AgentFace(image, options, sample_rate)
        self._outgoing = Outgoing(self.face)
        self._showing: asyncio.Task | None = None
        self._speech_pushed = False  # audio came since the last end of an utterance
        self._stops: deque[TTSStoppedFrame] = deque()  # each waits for its utterance's last frame

    @property
    def width(self) -> int:
        return self.face.width

    @property
    def height(self) -> int:
        return self.face.height

    @property
    def fps(self) -> int:
        return self.face.fps

    async def process_frame(self, frame: Frame, direction: FrameDirection):
        await super().process_frame(frame, direction)
        if isinstance(frame, StartFrame):
            await self.push_frame(frame, direction)
            if self._showing is None:
                self._showing = self.create_task(self._show(), name="talking-head-frames")
        elif isinstance(frame, TTSAudioRawFrame) and direction == FrameDirection.DOWNSTREAM:
            await self._take(frame)  # sent on again in the face's frames
        elif isinstance(frame, TTSStoppedFrame) and direction == FrameDirection.DOWNSTREAM:
            if self._speech_pushed:
                self.face.end_of_segment()
                self._speech_pushed = False
                self._stops.append(frame)
            else:
                await self.push_frame(frame, direction)
        elif isinstance(frame, InterruptionFrame):
            self._outgoing.interrupt()
            self._speech_pushed = False
            await self.push_frame(frame, direction)
            while self._stops:  # what they closed was dropped: downstream may stop waiting for it now
                await self.push_frame(self._stops.popleft())
        elif isinstance(frame, EndFrame):
            await self._play_out()
            await self._stop()
            await self.push_frame(frame, direction)
        elif isinstance(frame, CancelFrame):
            await self._stop()
            await self.push_frame(frame, direction)
        else:
            await self.push_frame(frame, direction)

    async def _take(self, frame: TTSAudioRawFrame) -> None:
        pcm = frame.audio
        if frame.num_channels > 1:  # the face speaks mono: mix down
            pcm = np.frombuffer(pcm, np.int16).reshape(-1, frame.num_channels).mean(axis=1, dtype=np.float32) / 32768.0
        try:
            self.face.push_audio(pcm, frame.sample_rate)
        except InputError as exc:  # a malformed chunk, or far too much audio ahead: dropped, said upstream
            await self.push_error(str(exc), exception=exc)
            return
        self._speech_pushed = True

    async def _show(self) -> None:
        face = self.face
        async for frame in self._outgoing:
            image = OutputImageRawFrame(frame.image.tobytes(), (face.width, face.height), "RGB")
            image.sync_with_audio = True
            await self.push_frame(image)
            if frame.speaking:
                await self.push_frame(TTSAudioRawFrame(frame.pcm16(), face.sample_rate, 1))
            for event in frame.events:
                if event["type"] == "segment_end" and self._stops:
                    await self.push_frame(self._stops.popleft())

    async def _play_out(self) -> None:
        """End the utterance being pushed, if any, and wait until everything pushed has been shown."""
        if self._speech_pushed:
            self.face.end_of_segment()
            self._speech_pushed = False
        while self._showing is not None and not self._showing.done():
            if not (self._stops or self.face.buffered_s > 0 or self.face.speaking):
                return
            await asyncio.sleep(1.0 / self.face.fps)

    async def _stop(self) -> None:
        self.face.close()
        if self._showing is not None:
            await self.cancel_task(self._showing)
            self._showing = None
