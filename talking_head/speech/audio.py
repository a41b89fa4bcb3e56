"""Reading audio files and converting sample rates (the only place that does).

Any container and codec FFmpeg knows is read through PyAV, mixed to mono
float32 and kept at its own rate when AAC can carry that rate; otherwise it is
resampled once to `OUTPUT_RATE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import overload

import av
import numpy as np

from ..errors import InputError
from ..media import MediaKind, open_media
from .spool import AudioSpool, Signal

ANALYSIS_RATE = 16000  # Hz: PocketSphinx's acoustic model and SadTalker's mel front end
OUTPUT_RATE = 48000  # Hz: used when a file's own rate is not one AAC carries
AAC_RATES = (16000, 22050, 24000, 32000, 44100, 48000)
SILENCE_PEAK = 1e-3  # peak amplitude under which a recording counts as silent
RMS_BLOCK_FRAMES = 1000
FORMATS = "wav, mp3, m4a, ogg, flac or webm"
RECORDING = MediaKind(
    "audio",
    "audio",
    missing="audio file not found: {path}. Check the path.",
    unreadable="cannot read {name} as audio ({error}). Give a " + FORMATS + " file.",
    no_track="{name} has no audio track. Give a " + FORMATS + " file.",
)


@overload
def resample(audio: AudioSpool, from_rate: int, to_rate: int) -> AudioSpool: ...
@overload
def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray: ...
def resample(audio: Signal, from_rate: int, to_rate: int) -> Signal:
    """Resample a mono float32 signal with libswresample, a second at a time.

    Streaming keeps memory at the size of the output (a ten-minute file does
    not need float64 copies of itself); a spool is resampled into another
    spool, a second in memory at a time. The output is aligned to the input.
    """
    if isinstance(audio, AudioSpool):
        if from_rate == to_rate:
            return audio
        spool = AudioSpool()
        for piece in _resampled(audio, from_rate, to_rate):
            spool.append(piece)
        return spool
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if from_rate == to_rate:
        return audio
    out = np.empty(int(np.ceil(len(audio) * to_rate / from_rate)) + 64, np.float32)
    filled = 0
    for piece in _resampled(audio, from_rate, to_rate):
        out[filled : filled + len(piece)] = piece
        filled += len(piece)
    return out[:filled]


def _resampled(audio: Signal, from_rate: int, to_rate: int) -> Iterator[np.ndarray]:
    resampler = StreamResampler(from_rate, to_rate)
    for start in range(0, len(audio), from_rate):
        yield resampler.push(audio[start : start + from_rate])
    yield resampler.flush()


class StreamResampler:
    """Resample a mono float32 signal that arrives in chunks (libswresample, its state kept between them).

    `push` returns what is ready (a few samples are held back for the filter);
    `flush` returns the rest and starts afresh for the next stretch.
    """

    def __init__(self, from_rate: int, to_rate: int):
        self.from_rate, self.to_rate = from_rate, to_rate
        self._resampler: av.AudioResampler | None = None
        self._pts = 0

    def _run(self, frame: av.AudioFrame | None) -> np.ndarray:
        if self._resampler is None:
            self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.to_rate)
        parts = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame)]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def push(self, audio: np.ndarray) -> np.ndarray:
        audio = np.ascontiguousarray(audio, dtype=np.float32)
        if self.from_rate == self.to_rate or not len(audio):
            return audio
        frame = av.AudioFrame.from_ndarray(audio[None, :], format="flt", layout="mono")
        frame.sample_rate = self.from_rate
        frame.pts = self._pts
        self._pts += len(audio)
        return self._run(frame)

    def flush(self) -> np.ndarray:
        if self.from_rate == self.to_rate or self._resampler is None:
            return np.zeros(0, np.float32)
        rest = self._run(None)
        self._resampler, self._pts = None, 0
        return rest


def read_audio(path: str | Path, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode any common audio file to mono float32 at a rate AAC carries.

    Raises `InputError` for a missing, unreadable, soundless or too long file.
    """
    path = Path(path)
    with open_media(path, RECORDING) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate or stream.rate
        if not rate:
            raise InputError(f"{path.name}: the audio track has no sample rate.", field="audio")
        resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
        pieces: list[np.ndarray] = []
        samples = 0
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    piece = out.to_ndarray().reshape(-1)
                    pieces.append(piece)
                    samples += len(piece)
                if max_seconds is not None and samples > max_seconds * rate:
                    raise InputError(
                        f"{path.name} is longer than the limit of {max_seconds:g} s. Cut it into shorter parts.",
                        field="audio",
                    )
            for out in resampler.resample(None):
                pieces.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            if not pieces:
                raise InputError(
                    f"cannot decode the audio in {path.name} ({exc}). The file may be damaged.",
                    field="audio",
                ) from None
            # A truncated file: keep what decoded, as players do.
    audio = np.concatenate(pieces).astype(np.float32) if pieces else np.zeros(0, np.float32)
    if len(audio) < rate * 0.1:
        raise InputError(
            f"{path.name} holds no audio (or under 0.1 s). Give a recording with speech.",
            field="audio",
        )
    if float(np.max(np.abs(audio))) < SILENCE_PEAK:
        raise InputError(
            f"{path.name} is silent: no sound above {SILENCE_PEAK:g} full scale. Give a recording with speech.",
            field="audio",
        )
    if rate not in AAC_RATES:
        audio, rate = resample(audio, rate, OUTPUT_RATE), OUTPUT_RATE
    return audio, rate


def frame_rms(audio_16k: Signal, fps: float, n_frames: int) -> np.ndarray:
    """RMS of the 16 kHz signal over each video frame's interval [i/fps, (i+1)/fps)."""
    edges = np.round(np.arange(n_frames + 1) * (ANALYSIS_RATE / fps)).astype(np.int64)
    edges = np.clip(edges, 0, len(audio_16k))
    rms = np.zeros(n_frames, np.float32)
    # A block of frames at a time, so long audio needs no full-length float64 copies.
    for first in range(0, n_frames, RMS_BLOCK_FRAMES):
        last = min(first + RMS_BLOCK_FRAMES, n_frames)
        block = audio_16k[edges[first] : edges[last]].astype(np.float64)
        csum = np.concatenate([[0.0], np.cumsum(block * block)])
        local = edges[first : last + 1] - edges[first]
        energy = (csum[local[1:]] - csum[local[:-1]]) / np.maximum(np.diff(local), 1)
        rms[first:last] = np.sqrt(energy)
    return rms


def split_at_pauses(audio_16k: np.ndarray, max_s: float = 20.0) -> list[tuple[int, int]]:
    """Cut long audio into spans of at most `max_s`, each cut at the quietest 10 ms nearby.

    Recognisers are faster and steadier on short utterances; cutting in a
    pause keeps words whole.
    """
    hop = ANALYSIS_RATE // 100
    limit = int(max_s * ANALYSIS_RATE)
    spans = []
    start = 0
    while len(audio_16k) - start > limit:
        window = audio_16k[start + limit // 2 : start + limit]
        n = len(window) // hop
        energy = (window[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
        cut = start + limit // 2 + int(np.argmin(energy)) * hop + hop // 2
        spans.append((start, cut))
        start = cut
    spans.append((start, len(audio_16k)))
    return spans
