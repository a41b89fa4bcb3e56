"""Head pose: slow idle drift plus nods and turns that follow the speech."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..speech.audio import frame_rms

IDLE_SMOOTH_S = 0.9  # idle drift changes direction over about a second
SPEECH_SMOOTH_S = 0.12  # nods follow syllable-rate loudness, smoothed
FINAL_SMOOTH_S = 0.08  # no frame-to-frame jitter survives this
EMPHASIS_STD = 0.14  # typical spread of loudness emphasis in ordinary speech (envelope units)
SETTLE_S = 0.8

# Motion characters, picked by pose_style: amplitudes in degrees (std) for
# idle (yaw, pitch, roll) and speech-driven (yaw, pitch, roll).
STYLES = (
    ("calm", (1.2, 0.8, 0.6), (0.6, 1.0, 0.3)),
    ("nodding", (1.0, 0.8, 0.5), (0.6, 2.2, 0.4)),
    ("animated", (1.8, 1.2, 0.9), (1.4, 1.8, 0.8)),
    ("tilting", (1.2, 0.8, 1.4), (0.8, 1.2, 1.2)),
)


def _unit_noise(n: int, sigma_frames: float, rng: np.random.Generator) -> np.ndarray:
    """Slow noise with a standard deviation of 1 in the long run.

    Scaled by the filter's own gain, not by the clip's spread: a short clip
    drifts as little as any two seconds of a long one.
    """
    noise = gaussian_filter1d(rng.standard_normal(n + int(6 * sigma_frames)), sigma_frames)[:n]
    return noise * np.sqrt(2 * sigma_frames * np.sqrt(np.pi))


def head_track(
    audio_16k: np.ndarray, fps: float, n_frames: int, pose_style: int, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Yaw, pitch and roll in degrees per frame."""
    _, idle_amp, speech_amp = STYLES[pose_style % len(STYLES)]
    # Styles beyond the first four vary the amplitudes a little, so each number is its own character.
    variation = (
        1.0 + 0.15 * np.sin(np.arange(3) + pose_style // len(STYLES)) if pose_style >= len(STYLES) else np.ones(3)
    )
    rms = frame_rms(audio_16k, fps, n_frames).astype(np.float64)
    loud = np.percentile(rms, 95) if n_frames else 1.0
    envelope = gaussian_filter1d(rms / max(loud, 1e-6), SPEECH_SMOOTH_S * fps)
    # Emphasis: loudness above its slow trend (a stressed syllable) drives a nod.
    emphasis = envelope - gaussian_filter1d(envelope, 0.6 * fps)
    emphasis = emphasis / EMPHASIS_STD
    # Speaking phrases lean the head a little to one side, alternating by phrase.
    phrase = gaussian_filter1d(envelope, 0.5 * fps)
    sway = np.sin(np.cumsum(phrase) / fps * 0.9 + rng.uniform(0, 2 * np.pi))

    # The video opens on the photo's own pose and eases into motion.
    settle = np.clip((np.arange(n_frames) + 0.5) / (SETTLE_S * fps), 0, 1)
    settle = settle * settle * (3 - 2 * settle)
    pose = {}
    for axis, idle_a, speech_a, driven in (
        ("yaw", idle_amp[0], speech_amp[0], sway * np.clip(phrase * 2, 0, 1)),
        ("pitch", idle_amp[1], speech_amp[1], emphasis),
        ("roll", idle_amp[2], speech_amp[2], sway * np.clip(phrase * 2, 0, 1)),
    ):
        k = "yaw pitch roll".split().index(axis)
        idle = _unit_noise(n_frames, IDLE_SMOOTH_S * fps, rng) * idle_a
        value = variation[k] * (idle + speech_a * driven)
        pose[axis] = (gaussian_filter1d(value, FINAL_SMOOTH_S * fps) * settle).astype(np.float32)
    return pose
