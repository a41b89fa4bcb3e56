"""Coefficients -> frames: semantic windows, MappingNet, keypoint transformation, generator, in batches.

Everything that depends only on the photo (its keypoints, its encoded
feature volume, its pose) is computed once in `Animator.__init__`; a batch
then costs one MappingNet pass and one generator pass.
"""

from __future__ import annotations

import numpy as np
import torch

from .generator import Generator
from .keypoint_detector import KeypointDetector
from .keypoints import transform_keypoints
from .mapping import MappingNet

SEMANTIC_RADIUS = 13  # a frame's window holds the coefficients of frames f-13 .. f+13 (27 at 25 fps)
INV_255 = np.float32(1 / 255)  # the trained pipeline multiplied by this float32 rather than dividing
# On a CPU, batching frames through the generator buys nothing (its convolutions already fill the
# cores) and costs memory: 512 px frames take ~1 GB of activations each. A GPU gets the whole batch.
CPU_FRAMES_PER_PASS = 1


def image_to_tensor(image: np.ndarray) -> torch.Tensor:
    """(S, S, 3) uint8 -> (1, 3, S, S) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)).astype(np.float32) * INV_255)[None]


def source_semantics(source: np.ndarray, full: bool) -> np.ndarray:
    """The source's first 70 (crop/resize) or all 73 (full) coefficients, repeated over the window: (nc, 27)."""
    nc = 73 if full else 70
    return np.repeat(np.asarray(source[:nc], dtype=np.float32)[:, None], 2 * SEMANTIC_RADIUS + 1, axis=1)


def target_coefficients(
    coeffs: np.ndarray, source: np.ndarray, full: bool, still: bool, expression_scale: float
) -> np.ndarray:
    """(T, 70) generated coefficients -> (T, 70 or 73) targets: expression scaled, full mode's crop
    parameters appended from the source, and with `still` the source's pose (and crop) kept."""
    targets = np.array(coeffs[:, :70], dtype=np.float32)
    targets[:, :64] *= np.float32(expression_scale)
    if full:
        targets = np.concatenate([targets, np.repeat(source[None, 70:73], len(targets), axis=0)], axis=1)
    if still:
        targets[:, 64:] = source[64 : targets.shape[1]]
    return targets.astype(np.float32)


def semantic_windows(targets: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """(T, nc) targets at 25 fps -> (n, nc, 27) windows centred on `positions` (frame indices, may be fractional).

    Rows outside the clip repeat its first or last frame. At whole positions this
    is exactly SadTalker's window; between frames the two neighbours are blended,
    which lets the video run at any frame rate.
    """
    offsets = np.arange(-SEMANTIC_RADIUS, SEMANTIC_RADIUS + 1)
    at = np.clip(np.asarray(positions, dtype=np.float64)[:, None] + offsets[None, :], 0, len(targets) - 1)
    below = np.floor(at).astype(np.int64)
    above = np.minimum(below + 1, len(targets) - 1)
    weight = (at - below).astype(np.float32)[..., None]
    windows = targets[below] if not weight.any() else targets[below] * (1 - weight) + targets[above] * weight
    return np.ascontiguousarray(windows.transpose(0, 2, 1), dtype=np.float32)


class Animator:
    """One photo, ready to be driven: call `frames` with batches of semantic windows."""

    def __init__(
        self,
        kp_detector: KeypointDetector,
        generator: Generator,
        mapping: MappingNet,
        image: np.ndarray,
        source: np.ndarray,
        full: bool,
        device: torch.device,
        dtype: torch.dtype = torch.float32,
    ):
        self.generator, self.mapping = generator, mapping
        self.device, self.dtype = device, dtype
        with torch.inference_mode():
            image_t = image_to_tensor(image).to(device, dtype)
            self.kp_canonical = kp_detector(image_t).float()
            window = torch.from_numpy(source_semantics(source, full))[None].to(device)
            kp_source = transform_keypoints(self.kp_canonical, mapping(window))
            self.encoded = generator.encode_source(image_t, kp_source.to(dtype))

    def driving_keypoints(self, windows: torch.Tensor, yaw=None, pitch=None, roll=None) -> torch.Tensor:
        """(B, nc, 27) windows (+ optional (B,) degree overrides) -> (B, 15, 3) driving keypoints."""
        return transform_keypoints(self.kp_canonical, self.mapping(windows), yaw, pitch, roll)

    def frames(
        self,
        windows: np.ndarray,
        yaw: np.ndarray | None = None,
        pitch: np.ndarray | None = None,
        roll: np.ndarray | None = None,
    ) -> torch.Tensor:
        """(B, nc, 27) windows -> (B, 3, S, S) frames in [0, 1], on the device, float32."""

        def tensor(a):
            return None if a is None else torch.as_tensor(a, dtype=torch.float32).to(self.device)

        with torch.inference_mode():
            kp_driving = self.driving_keypoints(tensor(windows), tensor(yaw), tensor(pitch), tensor(roll))
            kp_driving = kp_driving.to(self.dtype)
            step = CPU_FRAMES_PER_PASS if self.device.type == "cpu" else len(kp_driving)
            return torch.cat(
                [
                    self.generator.render(self.encoded, kp_driving[i : i + step])["prediction"].float()
                    for i in range(0, len(kp_driving), step)
                ]
            )
