"""Audio pushed by a voice agent, waiting to be shown: checked, converted once, cut into segments, bounded.

A chunk is 16-bit PCM (bytes, little-endian, or an int16 array) or float
samples in [-1, 1], mono, at any common rate. It is converted once to the
stream's output rate (what the video carries) and to 16 kHz (what the mouth
is read from). Chunks join the open segment (one utterance); after
`end_segment` the next chunk opens a new one. At most `max_buffer_s` of
audio waits: a chunk that would go past it is refused whole (never
unbounded memory, never half a chunk), with an `AudioOverflow` that says so.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import InputError
from ..speech.audio import ANALYSIS_RATE, StreamResampler
from ..speech.timeline import Phone

RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)  # Hz a chunk may come at
MAX_BUFFER_S = 60.0  # audio that may wait to be shown (an agent's TTS runs ahead of real time)

PCM = bytes | bytearray | memoryview | np.ndarray


class AudioOverflow(InputError):
    """More audio than the buffer holds is waiting: the chunk was refused (dropped)."""

    @property
    def code(self) -> str:
        return "audio_overflow"


def pcm_samples(pcm: PCM) -> np.ndarray:
    """Mono float32 samples from 16-bit little-endian bytes, an int16 array or a float array."""
    if isinstance(pcm, bytes | bytearray | memoryview):
        data = bytes(pcm)
        if len(data) % 2:
            raise InputError(
                f"a chunk of 16-bit PCM has {len(data)} bytes, an odd number: each sample is 2 bytes. "
                "Send whole samples (16-bit little-endian mono).",
                field="audio",
            )
        return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0
    array = np.asarray(pcm)
    if array.ndim == 2 and 1 in array.shape:
        array = array.reshape(-1)
    if array.ndim != 1:
        raise InputError(
            f"audio of shape {array.shape} is not mono: send one channel (mix it down first).", field="audio"
        )
    if array.dtype == np.int16:
        return array.astype(np.float32) / 32768.0
    if array.dtype.kind == "f":
        return np.clip(array, -1.0, 1.0).astype(np.float32)
    raise InputError(
        f"audio samples of type {array.dtype} are not supported: send int16 or float samples in [-1, 1].",
        field="audio",
    )


def check_rate(sample_rate: int) -> int:
    if sample_rate not in RATES:
        raise InputError(
            f"a sample rate of {sample_rate} Hz is not supported: use one of "
            f"{', '.join(str(r) for r in RATES)} (resample first).",
            field="sample_rate",
        )
    return int(sample_rate)


@dataclass
class Segment:
    """One utterance: its audio at the output rate and at 16 kHz, from its first sample not yet shown."""

    index: int
    rate: int
    out: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    analysis: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    phones: list[Phone] = field(default_factory=list)
    """Timing given by the voice, in seconds from the segment's start."""
    ended: bool = False
    started_frame: int | None = None
    """The stream frame its first sample is shown in (None until then)."""
    shown_out: int = 0
    shown_analysis: int = 0
    position_s: float = 0.0
    """Seconds of it shown so far."""
    pushed_s: float = 0.0
    last_push: float = 0.0


class AudioQueue:
    """Segments waiting to be shown, in order; pushed from any thread, taken by the frame loop."""

    def __init__(self, out_rate: int, max_buffer_s: float = MAX_BUFFER_S):
        self.out_rate = out_rate
        self.max_buffer_s = max_buffer_s
        self.lock = threading.Condition()
        self.segments: deque[Segment] = deque()
        self._made = 0
        self._to_out: StreamResampler | None = None
        self._to_analysis: StreamResampler | None = None

    @property
    def buffered_s(self) -> float:
        """Seconds of audio pushed and not yet shown."""
        with self.lock:
            return sum(len(s.out) - s.shown_out for s in self.segments) / self.out_rate

    def push(self, pcm: PCM, sample_rate: int, now: float, phones: Sequence[Phone] | None = None) -> None:
        samples = pcm_samples(pcm)
        rate = check_rate(sample_rate)
        if not len(samples):
            return
        with self.lock:
            waiting = sum(len(s.out) - s.shown_out for s in self.segments) / self.out_rate
            if waiting + len(samples) / rate > self.max_buffer_s:
                raise AudioOverflow(
                    f"{waiting:.1f} s of audio is already waiting to be shown, and this chunk "
                    f"({len(samples) / rate * 1000:.0f} ms) would take it past the limit of {self.max_buffer_s:.0f} s: "
                    "the chunk was dropped. Send audio at about real-time pace.",
                    field="audio",
                )
            segment = self.segments[-1] if self.segments and not self.segments[-1].ended else None
            if segment is None or segment.rate != rate:
                if segment is not None:
                    self._end(segment)
                segment = Segment(self._made, rate)
                self._made += 1
                self.segments.append(segment)
                self._to_out = StreamResampler(rate, self.out_rate)
                self._to_analysis = StreamResampler(rate, ANALYSIS_RATE)
            assert self._to_out is not None and self._to_analysis is not None
            if phones:
                segment.phones.extend(Phone(p.label, p.start, p.end) for p in phones)
            segment.out = np.concatenate([segment.out, self._to_out.push(samples)])
            segment.analysis = np.concatenate([segment.analysis, self._to_analysis.push(samples)])
            segment.pushed_s += len(samples) / rate
            segment.last_push = now
            self.lock.notify_all()

    def _end(self, segment: Segment) -> None:
        if segment.ended:
            return
        if self._to_out is not None and self._to_analysis is not None:
            segment.out = np.concatenate([segment.out, self._to_out.flush()])
            segment.analysis = np.concatenate([segment.analysis, self._to_analysis.flush()])
        segment.ended = True

    def end_segment(self) -> None:
        """The open segment is complete (nothing if none is open)."""
        with self.lock:
            if self.segments and not self.segments[-1].ended:
                self._end(self.segments[-1])
            self.lock.notify_all()

    def clear(self) -> list[Segment]:
        """Drop every segment not fully shown (an interruption); return them."""
        with self.lock:
            dropped = list(self.segments)
            self.segments.clear()
            self._to_out = self._to_analysis = None
            self.lock.notify_all()
            return dropped

    @staticmethod
    def available(segment: Segment) -> int:
        """Samples of `segment` at the output rate pushed and not yet shown."""
        return len(segment.out) - segment.shown_out

    def take(self, segment: Segment, n_out: int, n_analysis: int) -> tuple[np.ndarray, np.ndarray]:
        """The next `n_out` / `n_analysis` samples of `segment` (shorter at its end), marked shown."""
        out = segment.out[segment.shown_out : segment.shown_out + n_out]
        analysis = segment.analysis[segment.shown_analysis : segment.shown_analysis + n_analysis]
        segment.shown_out += len(out)
        segment.shown_analysis += len(analysis)
        segment.position_s += len(out) / self.out_rate
        # Shown audio is not kept: a long utterance does not grow memory.
        if segment.shown_out > self.out_rate:
            segment.out, segment.shown_out = segment.out[segment.shown_out :], 0
        if segment.shown_analysis > ANALYSIS_RATE:
            segment.analysis, segment.shown_analysis = segment.analysis[segment.shown_analysis :], 0
        return out, analysis
