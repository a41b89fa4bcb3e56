"""Reading an MP4 back: stream facts, the audio track at 16 kHz, and frames one at a time.

Everything the evaluator measures comes from here, that is from the decoded
file, never from the pipeline's internal state. Frames are yielded one by one
so memory does not grow with the video's length.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from ..errors import InputError
from ..media import MediaKind, open_media
from ..speech.audio import ANALYSIS_RATE

TOP_LEVEL_SCAN_BOXES = 64  # an MP4 has a handful of top-level boxes; stop looking after this many


@dataclass
class VideoStream:
    codec: str
    pixel_format: str | None
    width: int
    height: int
    fps: float
    frames: int
    """Frame count from the container's index (0 when it has none)."""
    duration_s: float | None


@dataclass
class AudioStream:
    codec: str
    sample_rate: int
    channels: int
    duration_s: float | None


@dataclass
class Streams:
    """What the container says about itself (before decoding)."""

    format: str
    video: VideoStream
    audio: AudioStream | None
    moov_before_mdat: bool | None
    """True for a "fast start" file that plays while it downloads; None if not an MP4/MOV."""

    def to_dict(self) -> dict:
        return asdict(self)


def top_level_boxes(path: str | Path) -> list[str]:
    """The types of the top-level ISO-BMFF boxes, in file order (``ftyp``, ``moov``, ``mdat``, ...)."""
    boxes: list[str] = []
    with open(path, "rb") as f:
        size_total = f.seek(0, 2)
        offset = 0
        while offset + 8 <= size_total and len(boxes) < TOP_LEVEL_SCAN_BOXES:
            f.seek(offset)
            size, kind = struct.unpack(">I4s", f.read(8))
            if size == 1:  # 64-bit size follows the type
                size = struct.unpack(">Q", f.read(8))[0]
            elif size == 0:  # box runs to the end of the file
                size = size_total - offset
            if size < 8:
                break
            boxes.append(kind.decode("latin-1"))
            offset += size
    return boxes


def _moov_before_mdat(path: Path) -> bool | None:
    boxes = top_level_boxes(path)
    if "moov" not in boxes or "mdat" not in boxes:
        return None
    return boxes.index("moov") < boxes.index("mdat")


MADE_BY_SAY = "Give an MP4 made by talking-head say."
VIDEO = MediaKind(
    "video",
    "video",
    missing="video not found: {path}. Check the path.",
    unreadable="{name} is not a video that can be read ({error}). " + MADE_BY_SAY,
    no_track="{name} is not a video (no video track found). " + MADE_BY_SAY,
)


def _open(path: str | Path):
    path = Path(path)
    container = open_media(path, VIDEO)
    if container.format.name.endswith("_pipe") or container.format.name == "image2":
        container.close()
        raise InputError(
            f"{path.name} is a still image, not a video. Give an MP4 made by talking-head say "
            "(the image goes to --source).",
            field="video",
        )
    return container


def _seconds(value, time_base) -> float | None:
    return float(value * time_base) if value is not None and time_base is not None else None


def probe(path: str | Path) -> Streams:
    """Codecs, pixel format, frame rate and durations; raises `InputError` for a file that is not a video."""
    path = Path(path)
    with _open(path) as container:
        v = container.streams.video[0]
        rate = v.average_rate or v.guessed_rate or Fraction(25)
        video = VideoStream(
            codec=v.codec_context.name,
            pixel_format=v.codec_context.pix_fmt,
            width=v.codec_context.width,
            height=v.codec_context.height,
            fps=float(rate),
            frames=int(v.frames or 0),
            duration_s=_seconds(v.duration, v.time_base),
        )
        audio = None
        if container.streams.audio:
            a = container.streams.audio[0]
            audio = AudioStream(
                codec=a.codec_context.name,
                sample_rate=int(a.codec_context.sample_rate or a.rate or 0),
                channels=int(a.codec_context.channels),
                duration_s=_seconds(a.duration, a.time_base),
            )
        fmt = container.format.name
    return Streams(fmt, video, audio, _moov_before_mdat(path))


def read_audio_16k(path: str | Path) -> tuple[np.ndarray, float] | None:
    """The first audio track, mono at 16 kHz, and the time (s) of its first sample; None without audio.

    FFmpeg applies the MP4 edit list while decoding, so the AAC encoder's
    priming samples are dropped and the first sample heard is at t = 0.
    """
    with _open(path) as container:
        if not container.streams.audio:
            return None
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
        pieces: list[np.ndarray] = []
        start = None
        try:
            for frame in container.decode(stream):
                if start is None and frame.pts is not None and frame.time_base is not None:
                    start = float(frame.pts * frame.time_base)
                for out in resampler.resample(frame):
                    pieces.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                pieces.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError:
            pass  # a truncated file: keep what decoded, as players do
    if not pieces:
        return None
    return np.concatenate(pieces).astype(np.float32), start or 0.0


def iter_frames(path: str | Path) -> Iterator[tuple[float, np.ndarray]]:
    """(time in seconds, RGB uint8 frame) for every frame, in presentation order."""
    with _open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame threads: decoding is a small part of the cost
        rate = stream.average_rate or stream.guessed_rate or Fraction(25)
        index = 0
        reformatter = VideoReformatter()  # one scaler for the video: a frame's own `to_ndarray` sets up a new one
        try:
            for frame in container.decode(stream):
                t = float(frame.pts * frame.time_base) if frame.pts is not None else index / float(rate)
                yield t, reformatter.reformat(frame, format="rgb24").to_ndarray()
                index += 1
        except av.error.FFmpegError:
            if index == 0:
                raise InputError(
                    f"cannot decode the video in {Path(path).name}. The file may be damaged.", field="video"
                ) from None
