"""Reading a clip of a person speaking: its facts, and its frames upright, one at a time or by number.

Any container and codec PyAV reads; a rotation in the stream's display matrix
(phones record sideways and say so) is applied, as players do.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
from av.container import InputContainer
from av.video.reformatter import VideoReformatter

from ..errors import InputError
from ..media import UNREADABLE, MediaKind, open_media

SEEK_AFTER_FRAMES = 24  # a jump further ahead than this seeks rather than decoding its way there
CACHED_FRAMES = 48  # decoded frames kept for random access (two of our short GOPs and more)
PLAYED_BYTES = 80 * 2**20  # decoded frames kept to be shown again when the order is known (~100 at 512 px)
CLIP = MediaKind(
    "video",
    field="video",
    missing="clip not found: {path}. Check the path.",
    unreadable="{name} cannot be read as a video ({error}); the file may be damaged. "
    "Give a video file (MP4, MOV, WebM, MKV) of one person speaking.",
    no_track="{name} has no video track (an audio-only file?). Give a video of the person speaking; "
    "their recording alone goes to --audio.",
)


@dataclass(frozen=True)
class ClipFacts:
    """What the container says about a clip (before decoding)."""

    width: int
    height: int
    fps: float
    duration_s: float
    rotation: int
    """Degrees counter-clockwise the frames are turned to stand upright."""


def _open(source: str | Path | bytes):
    if isinstance(source, bytes):
        try:
            return av.open(io.BytesIO(source))
        except UNREADABLE as exc:
            raise InputError(
                f"the avatar's frames cannot be read ({exc.__class__.__name__}).", field="avatar"
            ) from None
    return open_media(source, CLIP)


def probe_clip(path: str | Path) -> ClipFacts:
    """Size (upright), frame rate, duration and rotation; `InputError` for a file that is no video."""
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or stream.guessed_rate or Fraction(25))
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        rotation = 0
        width, height = stream.codec_context.width, stream.codec_context.height
        try:
            first = next(container.decode(stream))
            rotation = int(round(getattr(first, "rotation", 0) or 0))
            width, height = first.width, first.height
        except StopIteration:
            raise InputError(
                f"{Path(path).name} has no frames to read. Give a video of the person speaking.", field="video"
            ) from None
        except av.error.FFmpegError:
            raise InputError(
                f"cannot decode the video in {Path(path).name}. The file may be damaged: give a clip that plays.",
                field="video",
            ) from None
    if rotation % 180:
        width, height = height, width
    return ClipFacts(width, height, rate, duration or 0.0, rotation)


def upright_rgb(frame: av.VideoFrame, reformatter: VideoReformatter) -> np.ndarray:
    """A decoded frame as upright RGB uint8, through the clip's one `reformatter` (a frame's own would set up a
    new scaler for every frame)."""
    rgb = reformatter.reformat(frame, format="rgb24").to_ndarray()
    return upright(rgb, int(round(getattr(frame, "rotation", 0) or 0)))


def upright(rgb: np.ndarray, rotation: int) -> np.ndarray:
    """The frame turned by its display matrix's `rotation` (degrees counter-clockwise)."""
    turns = (rotation // 90) % 4
    return np.ascontiguousarray(np.rot90(rgb, turns)) if turns else rgb


def scaled(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    shrink = width < rgb.shape[1]
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def iter_clip(source: str | Path | bytes, width: int, height: int) -> Iterator[np.ndarray]:
    """Every frame, upright, as RGB uint8 at `width` x `height`, in order."""
    with _open(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        index, reformatter = 0, VideoReformatter()
        try:
            for frame in container.decode(stream):
                yield scaled(upright_rgb(frame, reformatter), width, height)
                index += 1
        except av.error.FFmpegError:
            if index == 0:
                raise InputError("cannot decode the clip's video. The file may be damaged.", field="video") from None


class FrameSource:
    """Frames of a clip by number, decoded on demand: sequential reads are cheap, a jump seeks.

    Frame `i` is the `i`-th decoded frame (presentation order, constant rate
    assumed). A jump seeks to the key frame before it and decodes forward,
    so clips written with short GOPs (`avatar.bundle` writes them) jump cheaply.
    """

    def __init__(self, source: str | Path | bytes, width: int, height: int, fps: float):
        self._source = source
        self.width, self.height, self.fps = width, height, fps
        self._container: InputContainer | None = None
        self._decoder: Iterator | None = None
        self._next = 0  # number of the frame the decoder yields next
        self._cache: dict[int, np.ndarray] = {}
        self._reformatter = VideoReformatter()

    def close(self) -> None:
        if self._container is not None:
            self._container.close()
            self._container = None

    def _restart(self, at: int) -> None:
        if self._container is None:
            self._container = _open(self._source)  # no frame threads: they would decode ahead of a jump
        container = self._container
        stream = container.streams.video[0]
        if at > 0 and stream.time_base is not None:
            container.seek(int(at / self.fps / stream.time_base), stream=stream, backward=True, any_frame=False)
        else:
            container.seek(0)
        self._decoder = container.decode(stream)
        self._next = -1  # known from the first frame's timestamp

    def _read(self) -> tuple[int, np.ndarray] | None:
        assert self._decoder is not None and self._container is not None
        frame = next(self._decoder, None)
        if frame is None:
            return None
        if self._next < 0:
            stream = self._container.streams.video[0]
            start = stream.start_time or 0
            self._next = round(float((frame.pts - start) * stream.time_base) * self.fps) if frame.pts is not None else 0
        index = self._next
        self._next += 1
        return index, scaled(upright_rgb(frame, self._reformatter), self.width, self.height)

    def get(self, i: int) -> np.ndarray:
        """Frame `i` (the last frame for any `i` past the end)."""
        if i in self._cache:
            return self._cache[i]
        return self._decode_to(i, self._remember)

    def _remember(self, index: int, rgb: np.ndarray) -> None:
        self._cache[index] = rgb
        while len(self._cache) > CACHED_FRAMES:
            self._cache.pop(next(iter(self._cache)))

    def _decode_to(self, i: int, keep: Callable[[int, np.ndarray], None]) -> np.ndarray:
        """Decode on to frame `i` (seeking when it lies behind or far ahead), handing every frame read to `keep`."""
        if self._decoder is None or not (0 <= self._next <= i <= self._next + SEEK_AFTER_FRAMES):
            self._restart(i)
        last = None
        while True:
            read = self._read()
            if read is None:
                if last is None:
                    raise IndexError(f"frame {i} is past the clip's end")
                return last
            index, rgb = read
            keep(index, rgb)
            if index >= i:
                return rgb
            last = rgb

    def play(self, order: Iterable[int], budget_bytes: int = PLAYED_BYTES) -> Iterator[np.ndarray]:
        """Frames `order[0]`, `order[1]`, ... in turn, each decoded frame kept while it is shown again sooner
        than the others kept, within `budget_bytes` (the best choice there is when the whole order is known:
        Belady's), so a loop plan that shows the same footage again and again decodes it about once."""
        order = [int(i) for i in order]
        shown: dict[int, deque[int]] = {}
        for t, i in enumerate(order):
            shown.setdefault(i, deque()).append(t)
        kept: dict[int, np.ndarray] = {}
        due: dict[int, int] = {}  # each kept frame's next showing
        capacity = max(1, budget_bytes // (self.width * self.height * 3))

        def keep(index: int, rgb: np.ndarray) -> None:
            later = shown.get(index)
            if not later:
                return
            if index not in kept and len(kept) >= capacity:
                farthest = max(due, key=due.__getitem__)
                if due[farthest] <= later[0]:
                    return
                del kept[farthest], due[farthest]
            kept[index], due[index] = rgb, later[0]

        for i in order:
            later = shown[i]
            later.popleft()
            if i in kept:
                frame = kept[i]
                if later:
                    due[i] = later[0]
                else:
                    del kept[i], due[i]
            else:
                frame = self._decode_to(i, keep)
            yield frame
