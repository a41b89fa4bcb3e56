"""A live stream's output: frames with their audio into fragmented MP4, handed on as each frame's write makes it.

Wraps `FragmentWriter` with what a live stream needs around it: the first
fragment that leaves starts the viewer's clock (`Pacer.start`), and after
each fragment a ``progress`` event says how far the stream has got.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..video.fragments import FragmentWriter
from .pacing import Pacer

Emit = Callable[[bytes | dict], None]
"""Where a live stream's output goes: MP4 bytes and event dicts, in the order a viewer needs them."""


class LiveOutput:
    """Encode frames and audio for one stream; `emit` gets the bytes, then a progress event per fragment.

    Without `progress`, no progress events; `low_latency` makes fragments of one frame, `audio_codec` the
    sound's codec (`FragmentWriter`).
    """

    def __init__(
        self,
        emit: Emit,
        width: int,
        height: int,
        fps: int,
        sample_rate: int,
        pacer: Pacer,
        progress: Callable[[], dict] | None = None,
        low_latency: bool = False,
        audio_codec: str = "aac",
    ):
        self.fps = fps
        self._emit = emit
        self._pacer = pacer
        self._progress = progress
        self._bytes_at_progress = 0
        self.frames_out = 0
        # What the muxer writes during one frame (with Opus a fragment per 10 ms packet) leaves as one message.
        self._written: list[bytes] = []
        self._media_written = False
        self._writer = FragmentWriter(self._media, width, height, fps, sample_rate, low_latency, audio_codec)

    def _media(self, data: bytes) -> None:
        self._written.append(data)
        self._media_written |= self._writer.frames_written > 0  # past the init segment

    def _send(self) -> None:
        if not self._written:
            return
        data, self._written = b"".join(self._written), []
        if self._media_written:
            self._pacer.start()
        self._emit(data)

    @property
    def media_s(self) -> float:
        """Seconds of stream encoded so far."""
        return self.frames_out / self.fps

    def samples_for(self, frames: int) -> int:
        """The audio samples that `frames` frames from the start of the stream span."""
        return self._writer.samples_for(frames)

    def samples_of(self, start: int, n: int) -> int:
        """The audio samples of the `n` frames from frame `start`."""
        return self._writer.samples_for(start + n) - self._writer.samples_for(start)

    def add_audio(self, samples: np.ndarray) -> None:
        """Queue audio for the frames that follow."""
        self._writer.add_audio(samples)

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB frame; after each fragment that leaves, say how far the stream has got."""
        self._writer.write(frame)
        self._send()
        self.frames_out += 1
        if self._progress is None:
            return
        if self._writer.bytes_out > self._bytes_at_progress and self._pacer.started_at is not None:
            self._bytes_at_progress = self._writer.bytes_out
            self._emit(self._progress())

    def close(self) -> None:
        """Flush the encoders and send the last fragment, then a last progress event."""
        self._writer.close()
        self._send()
        if self._progress is not None:
            self._emit(self._progress())

    def abort(self) -> None:
        self._writer.abort()
