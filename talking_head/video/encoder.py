"""Streaming MP4 writer: H.264 yuv420p + AAC, `+faststart`, through PyAV.

Frames arrive one at a time and leave as packets at once; the audio is read and
fed in step with the video so the muxer never has to buffer more than a frame's worth.
The file is written under a temporary name and renamed only when complete, so
a process killed mid-encode leaves nothing under the final name; a write that
fails (no space left, a read-only folder) removes the partial file and raises
`OutputError`.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace, VideoReformatter

from ..errors import OutputError

if TYPE_CHECKING:
    from ..speech.spool import Signal

VIDEO_CODEC = "libx264"
AUDIO_CODEC = "aac"
PIXEL_FORMAT = "yuv420p"
CRF = 22  # x264 constant quality: visually clean at talking-head bit rates
PRESET = "superfast"  # 1.7x the speed of veryfast for about 40% more bytes at the same quality
AUDIO_BITRATE = 96_000  # bit/s, mono speech
# Frames are converted to YUV with BT.709 in limited range and the stream says so,
# so browsers and PyAV decode the same colours (untagged files are guessed at).
COLORSPACE = Colorspace.ITU709
COLOR_RANGE = ColorRange.MPEG
BT709, LIMITED_RANGE = 1, 1  # H.273 code points for the stream's colour tags


def add_streams(
    container,
    width: int,
    height: int,
    fps: int,
    sample_rate: int,
    video_options: dict | None = None,
    audio_codec: str = AUDIO_CODEC,
    audio_options: dict | None = None,
):
    """Add the H.264 (tagged BT.709, limited range) and mono audio (AAC unless told) streams; return both."""
    video = container.add_stream(VIDEO_CODEC, rate=fps)
    video.width, video.height = width, height
    video.pix_fmt = PIXEL_FORMAT
    video.codec_context.time_base = Fraction(1, fps)
    video.options = {"crf": str(CRF), "preset": PRESET, **(video_options or {})}
    context = video.codec_context
    context.colorspace = context.color_primaries = context.color_trc = BT709
    context.color_range = LIMITED_RANGE
    audio = container.add_stream(audio_codec, rate=sample_rate, layout="mono")
    audio.codec_context.bit_rate = AUDIO_BITRATE
    if audio_options:
        audio.options = audio_options
    return video, audio


def video_frame(rgb: np.ndarray, index: int, fps: int, reformatter: VideoReformatter) -> av.VideoFrame:
    """Frame `index` of the video, converted to yuv420p BT.709 limited range.

    One `reformatter` per video: it keeps its scaler from frame to frame, where a frame's own `reformat`
    sets up a new one each time (twice the cost of the conversion itself).
    """
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
    frame = reformatter.reformat(frame, format=PIXEL_FORMAT, dst_colorspace=COLORSPACE, dst_color_range=COLOR_RANGE)
    frame.pts = index
    frame.time_base = Fraction(1, fps)
    return frame


def audio_frame(samples: np.ndarray, first_sample: int, rate: int) -> av.AudioFrame:
    """Mono float samples starting at sample `first_sample` of the track.

    Timestamps in samples from 0: the encoder then marks its priming samples
    with negative timestamps and the muxer accounts for them, so the first
    sound is heard at exactly t = 0.
    """
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, np.float32)[np.newaxis, :], format="flt", layout="mono"
    )
    frame.sample_rate = rate
    frame.pts = first_sample
    frame.time_base = Fraction(1, rate)
    return frame


def partial_path(path: Path) -> Path:
    """Where a file is written before it is complete (hidden, same folder, same disk)."""
    return path.with_name(f".{path.name}.partial")


class VideoWriter:
    """Write RGB frames and one mono audio track to `path`.

    Use as a context manager: on success the file appears under its name; on
    any exception the partial file is removed and nothing is left behind.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: int, audio: Signal, sample_rate: int):
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even frame sizes, got {width}x{height}")
        self.path = Path(path)
        self.partial = partial_path(self.path)
        self.fps = fps
        self.width, self.height = width, height
        self.frames_written = 0
        self._audio = audio  # read a frame's worth at a time: a spool stays out of memory
        self._rate = sample_rate
        self._audio_sent = 0
        self._reformatter = VideoReformatter()
        try:
            self._container = av.open(str(self.partial), "w", format="mp4", options={"movflags": "+faststart"})
        except OSError as exc:
            self.partial.unlink(missing_ok=True)
            raise OutputError.writing(self.partial, exc) from exc
        try:
            self._video, self._audio_stream = add_streams(self._container, width, height, fps, sample_rate)
        except Exception:
            self._abort()
            raise

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 frame of shape (height, width, 3)."""
        try:
            self._write(frame)
        except OSError as exc:
            self._abort()
            raise OutputError.writing(self.partial, exc) from exc

    def _write(self, frame: np.ndarray) -> None:
        if frame.shape != (self.height, self.width, 3):
            raise ValueError(f"frame shape {frame.shape} is not {(self.height, self.width, 3)}")
        self._container.mux(self._video.encode(video_frame(frame, self.frames_written, self.fps, self._reformatter)))
        self.frames_written += 1
        self._send_audio_until(self.frames_written * self._rate // self.fps)

    def _send_audio_until(self, sample: int) -> None:
        sample = min(sample, len(self._audio))
        if sample <= self._audio_sent:
            return
        chunk = audio_frame(self._audio[self._audio_sent : sample], self._audio_sent, self._rate)
        self._container.mux(self._audio_stream.encode(chunk))
        self._audio_sent = sample

    def close(self) -> Path:
        """Flush the encoders, finish the file and move it to its final name."""
        try:
            self._send_audio_until(len(self._audio))
            self._container.mux(self._audio_stream.encode(None))
            self._container.mux(self._video.encode(None))
            self._container.close()
            os.replace(self.partial, self.path)
        except OSError as exc:
            self._abort()
            raise OutputError.writing(self.partial, exc) from exc
        return self.path

    def _abort(self) -> None:
        try:
            self._container.close()
        except Exception:
            pass
        self.partial.unlink(missing_ok=True)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()
