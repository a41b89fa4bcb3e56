"""Head pose: a real speaker's wander, nods on stressed syllables, turns and tilts by phrase, a settle in pauses.

The amplitudes and time scales are fitted to real speakers (the footage clips,
tracked by `bench/motion_fit.py`; docs/motion.md): over 8 s they turn 5-10 degrees
(std), nod 2-6 and tilt 0.8-4.8, and their pose loses half its autocorrelation
within 0.2-1.0 s (median about 0.45 s), with about a tenth of the variance faster
than 1 Hz. `--motion` scales the whole by `MOTION_GAIN`.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..speech.audio import frame_rms
from ..speech.sound import runs
from ..speech.spool import Signal

# Fitted (docs/motion.md): the real pose's autocorrelation halves in ~0.45 s; a Gaussian-smoothed
# noise halves at 1.67 sigma. A slower drift under it carries posture changes across sentences.
IDLE_SMOOTH_S = 0.27
DRIFT_SMOOTH_S = 1.5
DRIFT_SHARE = 0.5  # of the idle amplitude
SPEECH_SMOOTH_S = 0.12  # nods follow syllable-rate loudness, smoothed
NOD_SMOOTH_S = 0.1  # and a nod is a movement of the whole head: it takes a few frames to turn
PHRASE_SMOOTH_S = 0.3  # a turn toward a new phrase takes about half a second
PHRASE_MAX_S = 2.5  # a longer phrase turns again midway
PHRASE_SIZE = (0.6, 1.4)  # each phrase's turn and tilt, in units of the speech amplitude
PHRASE_SWITCH = 0.8  # chance that the next phrase turns to the other side
FINAL_SMOOTH_S = 0.1  # no frame-to-frame jitter survives this
MAX_EMPHASIS = 2.2  # a shouted syllable nods like a stressed one, not harder (no jerks)
EMPHASIS_STD = 0.14  # typical spread of loudness emphasis in ordinary speech (envelope units)
EMPHASIS_TREND_S = 0.6  # stress is loudness above its trend over about a word
# Real speakers' quick nods follow stressed syllables only loosely, each in their own way: the
# fast part of their head pitch correlates with stress at -0.23, -0.23, +0.40 and -0.13
# (`python -m bench.motion_fit --nods`: three lift a little or move before the stress, one nods
# down). Each video draws its speaker's coupling from this range (the share of the nod swing that
# stress drives, signed: positive nods down on stress); the rest is a restless bob of the same pace.
NOD_COUPLING = (-0.4, 0.3)
NOD_BOB_S = 0.2  # the bob's smoothing: a word's pace, no jerkier than stress nods (noise peaks are sharper)
SILENCE_DB = -30.0  # frames this far under the loud level are pauses
MIN_PAUSE_S = 0.2
PAUSE_SETTLE = 0.5  # in a pause the wander slows to this share of its amplitude
PAUSE_EASE_S = 0.3  # into and out of a pause the head's speech motion eases over about this long
SETTLE_S = 0.8

# Natural amplitudes in degrees (std), (yaw, pitch, roll): the idle wander and the speech-driven
# part (phrase turns and tilts for yaw and roll, emphasis nods for pitch). Together they give
# about yaw 6.7, pitch 3.2, roll 2.4 on speech: real speakers turn more than they tilt (yaw 5-10,
# roll 0.8-4.8, docs/motion.md); the warped face reads about two thirds of its yaw back.
IDLE_DEG = np.array([4.5, 2.0, 1.6])
SPEECH_DEG = np.array([6.0, 2.5, 2.1])
MOTION_GAIN = {"calm": 0.35, "natural": 1.0, "lively": 1.5}

# Motion characters, picked by pose_style: multipliers of the natural amplitudes for idle
# (yaw, pitch, roll) and speech-driven (yaw, pitch, roll).
STYLES = (
    ("natural", (1.0, 1.0, 1.0), (1.0, 1.0, 1.0)),
    ("nodding", (0.9, 0.9, 0.8), (0.8, 1.5, 0.8)),
    ("animated", (1.2, 1.1, 1.2), (1.3, 1.2, 1.2)),
    ("tilting", (0.9, 0.9, 1.3), (0.9, 0.9, 1.4)),
)


def amplitudes(pose_style: int, motion: str = "natural") -> tuple[np.ndarray, np.ndarray]:
    """Idle and speech-driven amplitudes (yaw, pitch, roll) in degrees for a style and a `--motion` level."""
    _, idle, speech = STYLES[pose_style % len(STYLES)]
    # Styles beyond the first four vary the amplitudes a little, so each number is its own character.
    variation = (
        1.0 + 0.15 * np.sin(np.arange(3) + pose_style // len(STYLES)) if pose_style >= len(STYLES) else np.ones(3)
    )
    gain = MOTION_GAIN[motion] * variation
    return IDLE_DEG * np.array(idle) * gain, SPEECH_DEG * np.array(speech) * gain


def unit_noise(n: int, sigma_frames: float, rng: np.random.Generator) -> np.ndarray:
    """Slow noise with a standard deviation of 1 in the long run.

    Scaled by the filter's own gain, not by the clip's spread: a short clip
    drifts as little as any two seconds of a long one.
    """
    noise = gaussian_filter1d(rng.standard_normal(n + int(6 * sigma_frames)), sigma_frames)[:n]
    return noise * np.sqrt(2 * sigma_frames * np.sqrt(np.pi))


def idle_wander(n: int, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-std wander: the fitted half-second noise over a slower posture drift."""
    quick = unit_noise(n, IDLE_SMOOTH_S * fps, rng)
    drift = unit_noise(n, DRIFT_SMOOTH_S * fps, rng)
    return np.sqrt(1 - DRIFT_SHARE**2) * quick + DRIFT_SHARE * drift


def emphasis(rms: np.ndarray, fps: float) -> np.ndarray:
    """Stress per frame, about unit spread: loudness above its trend, clipped and smoothed into a nod's pace."""
    loud = np.percentile(rms, 95) if len(rms) else 1.0
    envelope = gaussian_filter1d(rms / max(loud, 1e-6), SPEECH_SMOOTH_S * fps)
    stress = (envelope - gaussian_filter1d(envelope, EMPHASIS_TREND_S * fps)) / EMPHASIS_STD
    return gaussian_filter1d(np.clip(stress, -MAX_EMPHASIS, MAX_EMPHASIS), NOD_SMOOTH_S * fps)


def nods(rms: np.ndarray, talk: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """Quick pitch per frame (the spread of `emphasis`): stress coupled by a drawn `NOD_COUPLING`, and a bob.

    Only while talking: the dip in loudness at a pause is no stress, and the head does not lift
    through every pause (it did, 3-5 degrees, which opened a closed grin's lip line).
    """
    stress = emphasis(rms, fps)
    spread = float(np.std(stress))
    # Its slow part taken off as stress's is: what is left is as quick as a nod.
    bob = unit_noise(len(rms), NOD_BOB_S * fps, rng)
    bob = gaussian_filter1d(bob - gaussian_filter1d(bob, EMPHASIS_TREND_S * fps), NOD_BOB_S * fps)
    bob *= spread / max(float(np.std(bob)), 1e-6)
    coupling = rng.uniform(*NOD_COUPLING)
    return (coupling * stress + np.sqrt(1 - coupling**2) * bob) * gaussian_filter1d(talk, PAUSE_EASE_S * fps)


def speaking(rms: np.ndarray, fps: float) -> np.ndarray:
    """1 in speech, 0 in pauses of at least `MIN_PAUSE_S`."""
    loud = np.percentile(rms, 95) if len(rms) else 0.0
    if loud <= 0:
        return np.zeros(len(rms))
    voiced = rms >= loud * 10 ** (SILENCE_DB / 20)
    talk = np.ones(len(rms))
    min_len = max(1, round(MIN_PAUSE_S * fps))
    for start, end in zip(*runs(~voiced)):
        if end - start >= min_len:
            talk[start:end] = 0
    return talk


def phrase_ends(audio_16k: Signal, fps: float, n_frames: int) -> np.ndarray:
    """Times (s) where a phrase ends in a pause."""
    talk = speaking(frame_rms(audio_16k, fps, n_frames).astype(np.float64), fps)
    return (np.flatnonzero((talk[:-1] > 0) & (talk[1:] == 0)) + 1) / fps


def phrase_targets(talk: np.ndarray, fps: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) turn and tilt of about unit std: each phrase its own, held through it, easing back in pauses.

    Turns alternate side from phrase to phrase (as speakers address one side, then the other), with
    a random size, so even a few phrases spread the pose as much as many do; tilts alternate on
    their own schedule.
    """
    out = np.zeros((len(talk), 2))
    side = rng.choice([-1.0, 1.0], size=2)
    i = 0
    while i < len(talk):
        j = i
        while j < len(talk) and talk[j] == talk[i]:
            j += 1
        if talk[i]:
            # A phrase longer than a couple of seconds turns again midway.
            pieces = max(1, round((j - i) / (PHRASE_MAX_S * fps)))
            edges = np.linspace(i, j, pieces + 1).round().astype(int)
            for a, b in zip(edges[:-1], edges[1:]):
                out[a:b] = side * rng.uniform(*PHRASE_SIZE, size=2)
                side = side * np.where(rng.random(2) < PHRASE_SWITCH, -1.0, 1.0)
        i = j
    # From and back to the centre at the ends: the video opens on the photo's pose.
    return gaussian_filter1d(out, PHRASE_SMOOTH_S * fps, axis=0, mode="constant")


def head_track(
    audio_16k: Signal,
    fps: float,
    n_frames: int,
    pose_style: int,
    rng: np.random.Generator,
    motion: str = "natural",
) -> dict[str, np.ndarray]:
    """Yaw, pitch and roll in degrees per frame."""
    idle_amp, speech_amp = amplitudes(pose_style, motion)
    rms = frame_rms(audio_16k, fps, n_frames).astype(np.float64)
    talk = speaking(rms, fps)
    phrase = phrase_targets(talk, fps, rng)
    # In pauses the head settles: the wander slows, turns ease back.
    calm = PAUSE_SETTLE + (1 - PAUSE_SETTLE) * gaussian_filter1d(talk, PAUSE_EASE_S * fps)

    # The video opens on the photo's own pose and eases into motion.
    settle = np.clip((np.arange(n_frames) + 0.5) / (SETTLE_S * fps), 0, 1)
    settle = settle * settle * (3 - 2 * settle)
    # From a stream of their own, so that turns, tilts, wander, blinks and brows stay what they were for a seed.
    nod = nods(rms, talk, fps, rng.spawn(1)[0])
    pose = {}
    for k, (axis, driven) in enumerate((("yaw", phrase[:, 0]), ("pitch", nod), ("roll", phrase[:, 1]))):
        idle = idle_wander(n_frames, fps, rng) * idle_amp[k] * calm
        value = idle + speech_amp[k] * driven
        pose[axis] = (gaussian_filter1d(value, FINAL_SMOOTH_S * fps) * settle).astype(np.float32)
    return pose
