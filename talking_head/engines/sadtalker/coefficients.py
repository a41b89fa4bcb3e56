"""Audio -> per-frame 3DMM coefficients at 25 fps: 64 expression values, then 3 angles and 3 translations.

Expression comes from Audio2Exp (mouth, blinks), head motion from the
Audio2Pose decoder, smoothed with a Savitzky-Golay filter. Randomness (the
pose latents, the blink schedule) is drawn from generators seeded by `seed`,
so one request always makes the same video.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.signal import savgol_filter

from .audio2exp import EXPRESSION
from .audio2pose import LATENT
from .checkpoints import Networks

SMOOTH_WINDOW = 13  # frames of the pose Savitzky-Golay filter (order 2)
BLINK = (0.5, 0.9, 1.0, 0.9, 0.5)  # eye-closure ratio over the 5 frames of a blink
MIN_FRAMES_FOR_BLINKS = 21
BLINK_GAP_FRAMES = (10, 70)  # a new blink starts 10..69 frames after the last one ended


def blink_ratio(n_frames: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 1) float32 eye-closure ratios: SadTalker's random blinks, none for clips of 20 frames or fewer."""
    ratio = np.zeros((n_frames, 1), dtype=np.float32)
    if n_frames < MIN_FRAMES_FOR_BLINKS:
        return ratio
    low = min(BLINK_GAP_FRAMES[0], n_frames)
    high = max(low + 1, min(n_frames // 2, BLINK_GAP_FRAMES[1]))
    frame = 0
    while True:
        start = frame + int(rng.integers(low, high))
        if start + len(BLINK) > n_frames - 1:
            return ratio
        ratio[start : start + len(BLINK), 0] = BLINK
        frame = start + len(BLINK)


def smoothing_window(n_frames: int) -> int:
    """13 frames, or the largest odd number <= n_frames for shorter clips."""
    return SMOOTH_WINDOW if n_frames >= SMOOTH_WINDOW else (n_frames - 1) // 2 * 2 + 1


def smooth_pose(pose: np.ndarray) -> np.ndarray:
    """Savitzky-Golay (order 2) along time of a (T, 6) float32 pose track; too short to fit: unchanged."""
    window = smoothing_window(len(pose))
    if window <= 2:
        return pose
    return savgol_filter(pose, window, 2, axis=0).astype(np.float32)


def repeated_source(source: np.ndarray, n_frames: int) -> np.ndarray:
    """The source's first 70 coefficients for every frame: (n, 70) float32 (the networks' reference)."""
    return np.repeat(np.asarray(source[:70], dtype=np.float32)[None], n_frames, axis=0)


def seeded_latents(seed: int, device: torch.device):
    """Standard-normal (1, 64) pose latents, drawn on the CPU so every device makes the same video."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        yield torch.randn(1, LATENT, generator=generator).to(device)


class _OnDevice:
    """Slices of the mel windows as tensors on the device, made as the networks ask for them."""

    def __init__(self, windows, device: torch.device):
        self.windows, self.device = windows, device

    def __len__(self) -> int:
        return len(self.windows)

    def __getitem__(self, part: slice) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(self.windows[part], dtype=np.float32)).to(self.device)


def predict(
    nets: Networks, windows, source: np.ndarray, pose_style: int, ratio: np.ndarray, latents, device: torch.device
) -> dict[str, np.ndarray]:
    """T mel windows ((T, 80, 16) array or `MelWindows`), the source coefficients, (T, 1) blink ratios and an
    iterator of latents -> `expression` (T, 64), `pose` (T, 6), `pose_smoothed` (T, 6), `coefficients` (T, 70)."""
    n = len(windows)
    mel = _OnDevice(windows, device)
    ref = torch.from_numpy(repeated_source(source, n)).to(device)
    with torch.inference_mode():
        expression = nets.audio2exp(mel, ref[:, :EXPRESSION], torch.from_numpy(ratio).float().to(device))
        pose = nets.audio2pose(mel, ref[0, EXPRESSION:], pose_style, latents)
    expression = expression.float().cpu().numpy()
    pose = pose.float().cpu().numpy()
    smoothed = smooth_pose(pose)
    return {
        "expression": expression,
        "pose": pose,
        "pose_smoothed": smoothed,
        "coefficients": np.concatenate([expression, smoothed], axis=1),
    }


def audio_to_coefficients(
    nets: Networks, windows, source: np.ndarray, pose_style: int, seed: int, device: torch.device
) -> np.ndarray:
    """T mel windows and the source's 73 coefficients -> (T, 70) float32 coefficients,
    with blinks and pose latents drawn from `seed`."""
    ratio = blink_ratio(len(windows), np.random.default_rng(seed))
    return predict(nets, windows, source, pose_style, ratio, seeded_latents(seed, device), device)["coefficients"]


def keyframe_track(degrees: tuple[float, ...], n_frames: int) -> np.ndarray:
    """Head-angle keyframes -> one angle per frame, moving at a constant speed through them all.

    One keyframe holds still. Like SadTalker, keyframes are spaced by the angle
    travelled, not evenly in time, so the head turns at one steady rate.
    """
    angles = np.asarray(degrees, dtype=np.float64)
    if len(angles) == 1 or n_frames == 1:
        return np.full(n_frames, angles[0], dtype=np.float32)
    travelled = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(angles)))])
    if travelled[-1] == 0:
        return np.full(n_frames, angles[0], dtype=np.float32)
    at = np.linspace(0.0, travelled[-1], n_frames)
    return np.interp(at, travelled, angles).astype(np.float32)
