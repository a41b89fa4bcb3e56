"""LiveKit Agents: the face as the agent's avatar, drawn in the agent's own process.

Three lines in an agent's entrypoint (``pip install "talking-head[livekit]"``)::

    avatar = TalkingHeadAvatar(image="me.jpg")
    await avatar.start(session, room=ctx.room)
    await session.start(agent=MyAgent(), room=ctx.room)

`TalkingHeadAvatar.start` makes the session's audio output a LiveKit
`QueueAudioOutput` and runs LiveKit's own `AvatarRunner` on it with
`FaceVideoGenerator`: the agent's speech goes into the face as it streams,
and the runner publishes the face's video and the same audio, frame by
frame, to the room. An interruption (the session clears its audio output)
silences the face at once and drops what the runner had queued. No GPU, no
service, no key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import numpy as np

from ..errors import ConfigurationError
from ..live.agent import SAMPLE_RATE, AgentFace
from ..options import TalkOptions
from .outgoing import Outgoing

try:
    from livekit import rtc
    from livekit.agents.voice.avatar import (
        AudioSegmentEnd,
        AvatarOptions,
        AvatarRunner,
        AvatarSession,
        QueueAudioOutput,
        VideoGenerator,
    )
except ImportError as exc:
    raise ConfigurationError(
        f'the LiveKit adapter needs LiveKit Agents 1.x ({exc}): pip install "talking-head[livekit]"'
    ) from exc

AHEAD_S = 5.0  # s of speech the face holds before push_audio waits (the rest waits in LiveKit's queue)
PROVIDER = "talking-head"


class FaceVideoGenerator(VideoGenerator):
    """LiveKit's `VideoGenerator` over an `AgentFace`: audio frames in, the face's video and audio frames out.

    Iterating yields, per video frame, an RGB24 `rtc.VideoFrame`, then while
    the face speaks the `rtc.AudioFrame` of exactly the samples that frame
    shows, and `AudioSegmentEnd` after the frame that shows an utterance's
    last sample. While it listens it yields video only (the room hears
    silence). After `clear_buffer` the next frame out is the face's first
    silent, mouth-at-rest one. Iterating closes the face when the loop is left.
    """

    def __init__(self, face: AgentFace, ahead_s: float = AHEAD_S):
        self.face = face
        self.ahead_s = ahead_s
        self._outgoing = Outgoing(face)

    async def push_audio(self, frame: rtc.AudioFrame | AudioSegmentEnd) -> None:
        if isinstance(frame, AudioSegmentEnd):
            self.face.end_of_segment()
            return
        samples = np.frombuffer(frame.data, np.int16)
        if frame.num_channels > 1:  # the face speaks mono: mix down
            samples = samples.reshape(-1, frame.num_channels).mean(axis=1, dtype=np.float32) / 32768.0
        # The agent's TTS runs ahead of real time: past a few seconds let it wait in LiveKit's queue,
        # which an interruption empties too, rather than fill the face's bounded buffer.
        while self.face.buffered_s > self.ahead_s and not self.face.closed:
            await asyncio.sleep(1.0 / self.face.fps)
        self.face.push_audio(samples, frame.sample_rate)

    def clear_buffer(self) -> None:
        self._outgoing.interrupt()

    async def __aiter__(self) -> AsyncIterator[rtc.VideoFrame | rtc.AudioFrame | AudioSegmentEnd]:
        face = self.face
        async for frame in self._outgoing:
            yield rtc.VideoFrame(face.width, face.height, rtc.VideoBufferType.RGB24, frame.image.tobytes())
            if frame.speaking:
                yield rtc.AudioFrame(frame.pcm16(), face.sample_rate, 1, len(frame.audio))
            if any(event["type"] == "segment_end" for event in frame.events):
                yield AudioSegmentEnd()


class TalkingHeadAvatar(AvatarSession):
    """LiveKit's avatar session for our face: `start(session, room)` before `session.start`.

    `image`: a path, bytes or RGB array (None: the bundled face); `options`: size, fps, seed...;
    or a ready `face` (an `AgentFace`, for its other settings). The face is built off the event loop.
    """

    def __init__(
        self,
        image=None,
        options: TalkOptions | None = None,
        *,
        sample_rate: int = SAMPLE_RATE,
        face: AgentFace | None = None,
    ):
        super().__init__()
        self._image = image
        self._options = options
        self._sample_rate = sample_rate
        self.face = face
        self.runner: AvatarRunner | None = None
        self._clearing: set[asyncio.Task] = set()

    @property
    def avatar_identity(self) -> str:
        # drawn in the agent's process: the agent's own participant publishes the face
        return self._room.local_participant.identity if self._room is not None else ""

    @property
    def provider(self) -> str:
        return PROVIDER

    async def start(self, agent_session, room: rtc.Room) -> None:
        await super().start(agent_session, room)
        if self.face is None:
            self.face = await asyncio.to_thread(AgentFace, self._image, self._options, self._sample_rate)
        face = self.face
        audio_output = QueueAudioOutput(sample_rate=face.sample_rate)
        agent_session.output.audio = audio_output
        self.runner = AvatarRunner(
            room,
            audio_recv=audio_output,
            video_gen=FaceVideoGenerator(face),
            options=AvatarOptions(
                video_width=face.width,
                video_height=face.height,
                video_fps=face.fps,
                audio_sample_rate=face.sample_rate,
                audio_channels=1,
            ),
        )
        # The runner only tells the generator; what it already queued (up to 0.1 s) would still play.
        # QueueAudioOutput emits "clear_buffer", but its types name only its base's playback events (the
        # library ignores its own emit's type for the same reason).
        audio_output.on("clear_buffer", self._drop_queued)  # type: ignore[arg-type]
        await self.runner.start()

    def _drop_queued(self) -> None:
        if self.runner is not None:
            task = asyncio.ensure_future(self.runner.av_sync.clear_queue())
            self._clearing.add(task)
            task.add_done_callback(self._clearing.discard)

    async def aclose(self) -> None:
        if self.runner is not None:
            await self.runner.aclose()
            self.runner = None
        if self.face is not None:
            self.face.close()
        # LiveKit's session would remove the avatar's participant from the room: here that is the agent itself.
        room, self._room = self._room, None
        if room is not None:
            room.off("connection_state_changed", self._on_connection_state_changed)
        await super().aclose()
