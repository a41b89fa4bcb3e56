"""Reading audio files and converting sample rates (the only place that does).

Any container and codec FFmpeg knows is read through PyAV, mixed to mono
float32 and kept at its own rate when AAC can carry that rate; otherwise it is
resampled once to `OUTPUT_RATE`.
"""

from __future__ import annotations

from math import gcd
from pathlib import Path

import av
import numpy as np
from scipy.signal import resample_poly

from ..errors import InputError

ANALYSIS_RATE = 16000  # Hz: PocketSphinx's acoustic model and SadTalker's mel front end
OUTPUT_RATE = 48000  # Hz: used when a file's own rate is not one AAC carries
AAC_RATES = (16000, 22050, 24000, 32000, 44100, 48000)
SILENCE_PEAK = 1e-3  # peak amplitude under which a recording counts as silent


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Polyphase resampling of a mono float32 signal."""
    if from_rate == to_rate:
        return audio.astype(np.float32, copy=False)
    g = gcd(from_rate, to_rate)
    return resample_poly(audio, to_rate // g, from_rate // g).astype(np.float32)


def read_audio(path: str | Path, max_seconds: float | None = None) -> tuple[np.ndarray, int]:
    """Decode any common audio file to mono float32 at a rate AAC carries.

    Raises `InputError` for a missing, unreadable, soundless or too long file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"audio file not found: {path}. Check the path.", field="audio")
    try:
        container = av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read {path.name} as audio ({exc.__class__.__name__}). "
            "Give a wav, mp3, m4a, ogg, flac or webm file.",
            field="audio",
        ) from None
    with container:
        if not container.streams.audio:
            raise InputError(
                f"{path.name} has no audio track. Give a wav, mp3, m4a, ogg, flac or webm file.",
                field="audio",
            )
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
                        f"{path.name} is longer than the limit of {max_seconds:g} s. "
                        "Cut it into shorter parts.",
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
            f"{path.name} is silent: no sound above {SILENCE_PEAK:g} full scale. "
            "Give a recording with speech.",
            field="audio",
        )
    if rate not in AAC_RATES:
        audio, rate = resample(audio, rate, OUTPUT_RATE), OUTPUT_RATE
    return audio, rate


def frame_rms(audio_16k: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """RMS of the 16 kHz signal over each video frame's interval [i/fps, (i+1)/fps)."""
    edges = np.round(np.arange(n_frames + 1) * (ANALYSIS_RATE / fps)).astype(np.int64)
    edges = np.clip(edges, 0, len(audio_16k))
    csum = np.concatenate([[0.0], np.cumsum(audio_16k.astype(np.float64) ** 2)])
    energy = (csum[edges[1:]] - csum[edges[:-1]]) / np.maximum(np.diff(edges), 1)
    return np.sqrt(energy).astype(np.float32)


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
