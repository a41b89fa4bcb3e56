"""The face of a voice agent: its audio pushed in as it streams, frames out in real time, each with its sound.

This is the public core the WebSocket's audio mode and the LiveKit and Pipecat
adapters are built on::

    face = AgentFace("photo.jpg", TalkOptions(size=512), sample_rate=24000)
    # from any thread, as the agent's TTS produces it:
    face.push_audio(pcm, 24000)   # 16-bit LE bytes, an int16 array or floats in [-1, 1]; mono; any rate in RATES
    face.end_of_segment()         # the utterance is complete
    face.interrupt()              # the user cut in: drop what is not yet shown, listen
    for frame in face.frames():   # or `async for frame in face`; runs until `face.close()`
        frame.image               # (height, width, 3) uint8 RGB
        frame.audio               # float32 mono at face.sample_rate: exactly the samples this frame shows
        frame.events              # segment_start / segment_end / interrupted / error dicts, on the frame they happen

Frames come at the stream's fps on the wall clock (the first frame starts the
clock; each is made `lead_s` before it is due), whether audio flows or not:
with nothing to say the face listens (blinks, breathing, a little head
motion, mouth closed, silent audio). A segment starts on a frame boundary
once a frame's audio, `lookahead_s` and `cushion_s` more have arrived (or the
segment has ended): the mouth of each frame is read from its sound and that much of
what follows (`motion.sound_mouth`), or from phone timings when the voice
gives them. If audio runs dry mid-segment the face holds silent frames until
more comes; a segment left open with no audio for `STALL_S` is ended with an
``audio_stalled`` error event. `interrupt` empties the queue: the next frame
made is silent with the mouth at rest and carries the ``interrupted`` event.

Events (dicts, JSON-ready; times are seconds of the stream's media):
``{"type": "segment_start", "segment": k, "media_s": t}`` on the frame that shows the segment's first sample;
``{"type": "segment_end", "segment": k, "media_s": t}`` on the frame that shows its last sample (t: when
that sample ends; the segment has played once this frame has been shown);
``{"type": "interrupted", "segment": k | None, "media_s": t}`` on the first frame after `interrupt` (k: the
first segment dropped, None when nothing was waiting);
``{"type": "error", "code": "audio_stalled" | "too_long", ...}``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..motion.sound_head import StreamingHead
from ..motion.sound_mouth import LOOKAHEAD_S, MOUTH, StreamingMouth
from ..motion.stream import MotionStream
from ..pipeline import TalkOptions
from ..settings import Settings
from ..speech.audio import ANALYSIS_RATE
from ..speech.timeline import Phone
from . import events
from .audio_in import MAX_BUFFER_S, PCM, AudioQueue, Segment, check_rate
from .drawing import prepare_drawing
from .pacing import Pacer

SAMPLE_RATE = 24000  # Hz of the audio frames carry, unless asked otherwise (what most TTS services send)
LEAD_S = 0.04  # a frame is made this long before it is due
DRAW_S = 0.02  # a frame waiting for audio gives up this long before it is due, to be drawn in time
STALL_S = 5.0  # an open segment with no audio for this long is ended
MAX_SECONDS = 3600.0  # the longest stream (motion is planned for it when the face opens)
TIME_TOLERANCE_S = 1e-6  # sums of chunk lengths in float seconds
MAX_JAW = 1.5  # the mouth channels' ranges, as in a recorded video
MAX_LIP_WIDTH = 1.5


@dataclass(frozen=True)
class AgentFrame:
    """One video frame and the audio it shows."""

    index: int
    media_s: float
    """When it starts, in seconds of the stream."""
    image: np.ndarray
    """(height, width, 3) uint8 RGB."""
    audio: np.ndarray
    """float32 mono at the face's `sample_rate`; `samples_for` frames' worth, silence when idle."""
    speaking: bool
    """It shows pushed audio (False: listening, or holding for audio that is late)."""
    events: tuple[dict, ...] = ()

    def pcm16(self) -> bytes:
        """The audio as 16-bit little-endian PCM: pushed 16-bit samples come back unchanged (the scale they
        were read at, 32768 to full scale)."""
        return np.clip(np.round(self.audio * 32768.0), -32768, 32767).astype("<i2").tobytes()


class AgentFace:
    """One face driven by pushed audio. Build it (slow: face analysis), push audio from anywhere, iterate frames."""

    def __init__(
        self,
        image=None,
        options: TalkOptions | None = None,
        sample_rate: int = SAMPLE_RATE,
        lookahead_s: float = LOOKAHEAD_S,
        lead_s: float = LEAD_S,
        cushion_s: float = 0.0,
        max_buffer_s: float = MAX_BUFFER_S,
        max_seconds: float = MAX_SECONDS,
        engine=None,
        clock: Callable[[], float] = time.monotonic,
        settings: Settings | None = None,
        avatar=None,
    ):
        self.options = options or TalkOptions()
        self.options.validate()
        self.settings = settings or Settings()
        self.fps = self.options.fps
        self.sample_rate = check_rate(sample_rate)
        self.engine, self.prepared = prepare_drawing(image, avatar, self.options, self.settings, engine)
        self.max_frames = int(max_seconds * self.fps)
        self.cushion_s = cushion_s
        self._clock = clock
        self._closed = threading.Event()
        self.pacer = Pacer(lead_s, clock, self._closed)
        self._queue = AudioQueue(self.sample_rate, max_buffer_s)
        self._mouth = StreamingMouth(self.fps, lookahead_s)
        self._head = StreamingHead(self.fps, self.options.pose_style, self.options.seed)
        self._motion = MotionStream(self.options, self.fps, self.max_frames)
        self._interrupted: list[dict] = []
        self._index = 0
        self.speaking = False
        self.ended: dict | None = None
        """Why `frames` stopped by itself (the stream's length limit), as an error event; None otherwise."""

    @property
    def width(self) -> int:
        return self.prepared.width

    @property
    def height(self) -> int:
        return self.prepared.height

    @property
    def lookahead_s(self) -> float:
        return self._mouth.lookahead_s

    @property
    def media_s(self) -> float:
        """Seconds of stream made so far."""
        return self._index / self.fps

    @property
    def buffered_s(self) -> float:
        """Seconds of pushed audio not yet shown."""
        return self._queue.buffered_s

    def samples_for(self, frames: int, rate: int | None = None) -> int:
        """Audio samples (at `rate`, by default the output rate) that the first `frames` frames span."""
        return frames * (rate or self.sample_rate) // self.fps

    # -- input, from any thread --

    def push_audio(self, pcm: PCM, sample_rate: int, phones: Sequence[Phone] | None = None) -> None:
        """Queue a chunk of the agent's speech (see the module's docstring for the formats).

        `phones` (optional): ARPAbet phones with times in seconds from the start of the current segment,
        when the voice provides them; they replace reading the mouth from the sound. Raises `InputError`
        for a malformed chunk and `AudioOverflow` when the buffer is full (the chunk is dropped).
        """
        if self._closed.is_set():
            raise InputError("the face is closed; audio after close is not shown.", field="audio")
        self._queue.push(pcm, sample_rate, self._clock(), phones)

    def end_of_segment(self) -> None:
        """The utterance pushed since the last end is complete: show all of it, then report `segment_end`."""
        self._queue.end_segment()

    def interrupt(self) -> None:
        """Drop all audio not yet shown; the next frame is silent, mouth at rest, with an `interrupted` event."""
        dropped = self._queue.clear()
        with self._queue.lock:
            self._interrupted.append({"type": "interrupted", "segment": dropped[0].index if dropped else None})
            self._queue.lock.notify_all()

    def close(self) -> None:
        """End `frames` after the frame being made."""
        self._closed.set()
        with self._queue.lock:
            self._queue.lock.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    # -- output --

    def frames(self) -> Iterator[AgentFrame]:
        """Frames in real time until `close` (or the length limit); one consumer at a time."""
        while not self._closed.is_set():
            if self._index >= self.max_frames:
                self.ended = events.too_long(self.max_frames / self.fps)
                return
            if not self.pacer.wait(self.media_s):
                return
            frame = self._next_frame()
            self._index += 1
            self.pacer.start()
            yield frame

    async def __aiter__(self) -> AsyncIterator[AgentFrame]:
        """`frames`, drawn in a thread of its own; leaving the loop closes the face."""
        loop = asyncio.get_running_loop()
        handoff: asyncio.Queue = asyncio.Queue(maxsize=2)
        finished = object()

        def produce() -> None:
            try:
                for frame in self.frames():
                    asyncio.run_coroutine_threadsafe(handoff.put(frame), loop).result()
            except BaseException as exc:  # handed to the consumer, raised there
                asyncio.run_coroutine_threadsafe(handoff.put(exc), loop).result()
            finally:
                asyncio.run_coroutine_threadsafe(handoff.put(finished), loop)

        producer = threading.Thread(target=produce, name="talking-head-agent-face", daemon=True)
        producer.start()
        try:
            while (item := await handoff.get()) is not finished:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.close()
            while producer.is_alive():  # let a producer blocked on a full handoff finish
                while not handoff.empty():
                    handoff.get_nowait()
                await asyncio.sleep(0.01)

    def _due_at(self) -> float | None:
        """When the frame being made must be out, on the clock (None before the first frame)."""
        if self.pacer.started_at is None:
            return None
        return self.pacer.started_at + self.media_s

    def _next_frame(self) -> AgentFrame:
        j = self._index
        n_out = self.samples_for(j + 1) - self.samples_for(j)
        n_analysis = self.samples_for(j + 1, ANALYSIS_RATE) - self.samples_for(j, ANALYSIS_RATE)
        queue = self._queue
        happened: list[dict] = []
        with queue.lock:
            segment = self._wait_for_audio(n_out)
            if self._interrupted:
                happened.append({**self._interrupted[0], "media_s": round(self.media_s, 3)})
                self._interrupted.clear()
                segment = None
            if segment is not None and not segment.ended:
                available = queue.available(segment)
                if segment.started_frame is None:
                    if not self._in_hand(segment, n_out, self.lookahead_s + self.cushion_s):
                        segment = None  # not enough in hand yet: listen one more frame
                elif available < n_out and self._clock() - segment.last_push > STALL_S:
                    queue.end_segment()
                    happened.append(
                        events.error(
                            "audio_stalled",
                            f"no audio came for {STALL_S:.0f} s in the middle of a segment, so it was ended. "
                            "Send end_of_segment after an utterance's last chunk.",
                            "audio",
                        )
                    )
                    if queue.available(segment) == 0:
                        queue.segments.popleft()
                        happened.append(
                            {"type": "segment_end", "segment": segment.index, "media_s": round(j / self.fps, 3)}
                        )
                        segment = None
                elif available < n_out:
                    # Late: a silent frame while the rest comes. Whole frames only: a frame padded with
                    # silence would shift the sound after it by part of a frame.
                    segment = None
            if segment is not None:
                if segment.started_frame is None:
                    segment.started_frame = j
                    happened.append(
                        {"type": "segment_start", "segment": segment.index, "media_s": round(j / self.fps, 3)}
                    )
                phones = self._phones_of(segment)
                audio, analysis = queue.take(segment, n_out, n_analysis)
                ahead = segment.analysis[
                    segment.shown_analysis : segment.shown_analysis + self._mouth.lookahead_samples
                ]
                if segment.ended and queue.available(segment) == 0:
                    end_s = j / self.fps + len(audio) / self.sample_rate
                    happened.append({"type": "segment_end", "segment": segment.index, "media_s": round(end_s, 3)})
                    queue.segments.popleft()
        self.speaking = segment is not None
        if segment is None:
            audio = np.zeros(n_out, np.float32)
            mouth = self._mouth.rest(n_analysis)
            head = self._head.frame(None)
        else:
            audio = np.pad(audio, (0, n_out - len(audio)))
            analysis = np.pad(analysis, (0, n_analysis - len(analysis)))
            mouth = self._mouth.frame(analysis, ahead, phones)
            head = self._head.frame(analysis)
        pose = self._motion.idle(1).frame(0)
        pose.update(self._scaled(mouth))
        if not self.options.still:  # the speech-driven part on top of the stream's idle wander and breathing
            for axis, degrees in head.items():
                pose[axis] += degrees
        image = self.engine.draw(self.prepared, pose)
        return AgentFrame(j, j / self.fps, image, audio, segment is not None, tuple(happened))

    def _wait_for_audio(self, n_out: int) -> Segment | None:
        """The segment this frame shows from, once it has the frame's audio and the look-ahead, or time is up.

        A segment starts only with `cushion_s` more than that in hand: audio that arrives unevenly (over a
        network) then plays on without gaps.
        """
        queue = self._queue
        while True:
            segment = queue.segments[0] if queue.segments else None
            if segment is None or segment.ended or self._interrupted:
                return segment
            ahead_s = self.lookahead_s + (self.cushion_s if segment.started_frame is None else 0.0)
            if self._in_hand(segment, n_out, ahead_s):
                return segment
            due = self._due_at()
            if due is None or self._closed.is_set():
                return segment
            left = due - DRAW_S - self._clock()
            if left <= 0:
                return segment
            queue.lock.wait(left)

    def _in_hand(self, segment: Segment, n_out: int, ahead_s: float) -> bool:
        """Whether the frame's `n_out` samples and `ahead_s` more of `segment` have been pushed.

        Counted in seconds pushed, not in samples converted: a resampler holds back a millisecond for its
        filter, and counting samples made the frame wait for the next chunk (20 ms later) for it.
        """
        pushed_ahead_s = segment.pushed_s - segment.position_s - n_out / self.sample_rate
        return self._queue.available(segment) >= n_out and pushed_ahead_s >= ahead_s - TIME_TOLERANCE_S

    def _phones_of(self, segment: Segment) -> list[Phone] | None:
        """The voice's phones near this frame, in seconds from its start (None: read the sound)."""
        if not segment.phones:
            return None
        at = segment.position_s
        return [Phone(p.label, p.start - at, p.end - at) for p in segment.phones if p.end > at - 1.0]

    def _scaled(self, mouth: dict) -> dict:
        scale = self.options.expression_scale
        scaled = {name: mouth[name] for name in MOUTH}
        scaled["jaw"] = float(np.clip(mouth["jaw"] * scale, 0.0, MAX_JAW))
        scaled["lip_width"] = float(np.clip(mouth["lip_width"] * scale, -MAX_LIP_WIDTH, MAX_LIP_WIDTH))
        return scaled
