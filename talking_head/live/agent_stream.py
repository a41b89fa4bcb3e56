"""An `AgentFace` as a stream of fragmented MP4 and events: what `/v1/live` sends in its audio mode.

The same interface as the text mode's `LiveStream` (`run(emit)`, `end`,
`stop`, `media_s`, `listening_for_s`), so the WebSocket serves either. Frames
are encoded as the face makes them, in fragments of at most one frame
(`FragmentWriter(low_latency=True)`: with AAC at 32 kHz or more a frame
leaves while the next is written, with Opus while it is written itself), and
each frame's events are sent once it is encoded (with AAC a frame before its
bytes): ``segment_start``,
``segment_end``, ``interrupted``, ``error``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..errors import InputError
from ..video.fragments import OPUS_RATE
from . import events
from .agent import AgentFace
from .output import Emit, LiveOutput

LOW_LATENCY_MIN_RATE = 32000  # Hz: an AAC packet (1024 samples) then lasts less than a frame
STREAM_RATE = 48000  # Hz the stream carries audio sent at lower rates


def stream_rate(input_rate: int, audio_codec: str = "aac") -> int:
    """The audio rate of a stream fed at `input_rate`: with AAC its own from 32 kHz up (sample-exact), else
    48 kHz; with Opus 48 kHz."""
    if audio_codec == "opus":
        return OPUS_RATE
    return input_rate if input_rate >= LOW_LATENCY_MIN_RATE else STREAM_RATE


def refused_chunk(problem: InputError) -> dict:
    """The ``error`` event for a chunk of PCM that was not taken."""
    return events.error(problem.code, f"{problem} This chunk was dropped; the stream goes on.", problem.field)


class AgentStream:
    """Stream one `AgentFace` until `end` (once what was pushed has played) or `stop`."""

    def __init__(
        self, face: AgentFace, input_rate: int, clock: Callable[[], float] = time.monotonic, audio_codec: str = "aac"
    ):
        self.face = face
        self.input_rate = input_rate
        """The rate of the PCM the client sends (the stream's own is `sample_rate`)."""
        self.audio_codec = audio_codec
        self._clock = clock
        self._ending = threading.Event()
        self._stopped = threading.Event()
        self._quiet_since = clock()
        self._output: LiveOutput | None = None

    @property
    def width(self) -> int:
        return self.face.width

    @property
    def height(self) -> int:
        return self.face.height

    @property
    def fps(self) -> int:
        return self.face.fps

    @property
    def sample_rate(self) -> int:
        return self.face.sample_rate

    @property
    def media_s(self) -> float:
        return 0.0 if self._output is None else self._output.media_s

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def lookahead_s(self) -> float:
        return self.face.lookahead_s

    @property
    def listening(self) -> bool:
        """Nothing to say: the face is not speaking and no audio waits."""
        return not self.face.speaking and self.face.buffered_s == 0

    def listening_for_s(self) -> float:
        """How long the face has had nothing to say (0 while it speaks or has audio waiting)."""
        if not self.listening:
            self._quiet_since = self._clock()
            return 0.0
        return self._clock() - self._quiet_since

    def feed(self, pcm: bytes) -> dict | None:
        """Push a chunk of the client's PCM; an ``error`` event to send when it was refused (it is dropped)."""
        try:
            self.face.push_audio(pcm, self.input_rate)
        except InputError as exc:
            return refused_chunk(exc)
        return None

    def interrupt(self) -> None:
        self.face.interrupt()

    def end_of_segment(self) -> None:
        self.face.end_of_segment()

    def end(self) -> None:
        """No more audio: play what is waiting, then finish the stream."""
        self.end_of_segment()
        self._ending.set()

    def stop(self) -> None:
        """Stop at once (the client left); `run` returns after the frame being made."""
        self._stopped.set()
        self.face.close()

    def run(self, emit: Emit) -> None:
        """Make the stream, handing MP4 bytes and events to `emit`; return at its end."""
        face = self.face
        output = LiveOutput(
            emit,
            face.width,
            face.height,
            face.fps,
            face.sample_rate,
            face.pacer,
            low_latency=True,
            audio_codec=self.audio_codec,
        )
        self._output = output
        try:
            for frame in face.frames():
                output.add_audio(frame.audio)
                output.write(frame.image)
                for event in frame.events:
                    emit(event)
                if self._ending.is_set() and self.listening:
                    break
            if face.ended is not None:
                emit(face.ended)
            if not self._stopped.is_set():
                output.close()
        except BaseException:
            output.abort()
            raise
        finally:
            face.close()
