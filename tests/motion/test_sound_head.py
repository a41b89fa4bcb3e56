"""Speech-driven head motion read from streamed sound: it moves while the voice speaks, smoothly, and settles after."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d

from talking_head.motion.head import EMPHASIS_TREND_S, amplitudes, emphasis
from talking_head.motion.sound_head import StreamingHead
from talking_head.speech.audio import read_audio

FPS = 25


def test_the_head_nods_and_turns_with_the_voice_then_settles():
    audio, rate = read_audio("../shared/footage/RD_Radio31_000.wav")
    head = StreamingHead(FPS, pose_style=0, seed=4)
    spf = rate // FPS
    speaking = [head.frame(audio[k * spf : (k + 1) * spf]) for k in range(6 * FPS)]
    after = [head.frame(None) for _ in range(2 * FPS)]
    pose = {axis: np.array([f[axis] for f in speaking + after]) for axis in ("yaw", "pitch", "roll")}
    _, speech_deg = amplitudes(0)
    for k, axis in enumerate(("yaw", "pitch", "roll")):
        during = pose[axis][: 6 * FPS]
        # Moves about as much as the batch path's speech-driven part (its amplitude is that part's std).
        assert 0.3 * speech_deg[k] < during.std() < 2.0 * speech_deg[k], (axis, during.std())
        # Smoothly: no step between frames larger than a real head makes (a few degrees a frame at most).
        assert np.abs(np.diff(pose[axis])).max() < 1.5, axis
        # Two seconds after the voice stops, the speech-driven part has eased back to nothing.
        assert abs(pose[axis][-1]) < 0.1 * speech_deg[k], (axis, pose[axis][-1])


def test_streamed_nods_follow_stress_loosely_each_stream_its_own_way():
    # As the batch path's (test_motion): real speakers' quick nods correlate with stress at -0.23..+0.40.
    audio, rate = read_audio("../shared/footage/RD_Radio31_000.wav")
    spf = rate // FPS
    chunks = [audio[k * spf : (k + 1) * spf] for k in range(len(audio) // spf)]
    stress = emphasis(np.array([np.sqrt(np.mean(np.square(c, dtype=np.float64))) for c in chunks]), FPS)
    couplings = []
    for seed in range(10):
        head = StreamingHead(FPS, pose_style=0, seed=seed)
        pitch = np.array([head.frame(chunk)["pitch"] for chunk in chunks])
        fast = pitch - gaussian_filter1d(pitch, EMPHASIS_TREND_S * FPS)
        couplings.append(np.corrcoef(fast, stress)[0, 1])
    assert max(np.abs(couplings)) < 0.7, couplings
    assert np.ptp(couplings) > 0.3, couplings  # some nod down on stress, some lift
