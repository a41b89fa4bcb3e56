"""The mouth bank: the lower face of every usable frame, in the canonical position, with its shape.

Samples are kept as JPEG (4:4:4, high quality) so that a ten-minute clip's
bank stays tens of megabytes; the engine decodes only the samples it uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .canonical import DESCRIPTORS

JPEG_QUALITY = 95
DECODED_CACHE = 64  # samples kept decoded: a run of consecutive samples is read once


def encode_sample(rgb: np.ndarray) -> bytes:
    ok, data = cv2.imencode(
        ".jpg",
        cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
        [
            cv2.IMWRITE_JPEG_QUALITY,
            JPEG_QUALITY,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
        ],
    )
    if not ok:
        raise ValueError("a mouth sample could not be encoded")
    return data.tobytes()


@dataclass
class MouthBank:
    """`frames[k]` is the clip frame sample k was cut from; `shape[k]` its descriptors (`DESCRIPTORS`);
    `points[k]` its 478 landmarks in the canonical crop's pixels; `jpeg` the crops, `offsets` where each starts."""

    frames: np.ndarray
    shape: np.ndarray
    points: np.ndarray
    jpeg: np.ndarray
    offsets: np.ndarray
    _decoded: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.frames)

    def sample(self, k: int) -> np.ndarray:
        """The RGB crop of sample `k`."""
        if k not in self._decoded:
            data = self.jpeg[self.offsets[k] : self.offsets[k + 1]]
            bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
            if bgr is None:
                raise ValueError(f"mouth sample {k} cannot be decoded")
            self._decoded[k] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            while len(self._decoded) > DECODED_CACHE:
                self._decoded.pop(next(iter(self._decoded)))
        return self._decoded[k]

    def descriptor(self, name: str) -> np.ndarray:
        return self.shape[:, DESCRIPTORS.index(name)]

    @classmethod
    def from_samples(cls, frames: list[int], shapes: list[np.ndarray], points: list[np.ndarray], jpegs: list[bytes]):
        offsets = np.zeros(len(jpegs) + 1, np.int64)
        offsets[1:] = np.cumsum([len(j) for j in jpegs])
        return cls(
            frames=np.asarray(frames, np.int32),
            shape=np.asarray(shapes, np.float32).reshape(-1, len(DESCRIPTORS)),
            points=np.asarray(points, np.float32).reshape(-1, 478, 2),
            jpeg=np.frombuffer(b"".join(jpegs), np.uint8),
            offsets=offsets,
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "frames": self.frames,
            "shape": self.shape,
            "points": self.points,
            "jpeg": self.jpeg,
            "offsets": self.offsets,
        }

    @classmethod
    def from_arrays(cls, arrays) -> MouthBank:
        return cls(
            frames=np.asarray(arrays["frames"]),
            shape=np.asarray(arrays["shape"]),
            points=np.asarray(arrays["points"]),
            jpeg=np.asarray(arrays["jpeg"]),
            offsets=np.asarray(arrays["offsets"]),
        )
