"""The real clips (`../shared/footage/`, test data never copied into the repo) and clips made from them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

FOOTAGE = Path(__file__).resolve().parents[2].parent / "shared" / "footage"
CLIP = FOOTAGE / "WDA_KatieHill_000.mp4"
OTHER_SOUND = FOOTAGE / "RD_Radio31_000.wav"

if not CLIP.is_file():
    pytest.skip(f"the real clips are not here ({FOOTAGE})", allow_module_level=True)


def clip_frames(size: int, seconds: float) -> list[np.ndarray]:
    """The real clip's first `seconds`, as RGB frames `size` pixels square."""
    import cv2

    frames = []
    with av.open(str(CLIP)) as container:
        for frame in container.decode(video=0):
            frames.append(cv2.resize(frame.to_ndarray(format="rgb24"), (size, size), interpolation=cv2.INTER_AREA))
            if len(frames) >= seconds * 25:
                break
    return frames


def write_clip(path: Path, frames: list[np.ndarray], fps: int = 25, codec: str = "libx264") -> Path:
    """`frames` as a clip at `fps`: H.264 by default; "ffv1" (lossless) writes the same bytes every run, where
    x264 encodes the same frames a little differently run to run, and a clip a few pixels different makes a
    different avatar (loop plan, idle footage)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path
