"""Motion: from `Speech` to a per-frame `MotionTrack` (visemes, blinks, head, brows)."""

from __future__ import annotations

import numpy as np

from ..speech.audio import frame_rms
from .blinks import blink_track
from .breath import breath_track
from .brows import brow_track
from .gaze import gaze_track
from .head import head_track, phrase_ends, speaking
from .smile import smile_track
from .squint import squint_track
from .track import MotionTrack
from .visemes import mouth_track

__all__ = ["MotionTrack", "build_motion"]

BROW_GAIN = {"calm": 0.6, "natural": 1.0, "lively": 1.3}  # brows follow --motion, less than the head


def build_motion(speech, options) -> MotionTrack:
    """Everything the face does, frame by frame, at `options.fps`."""
    fps = options.fps
    n = speech.frame_count(fps)
    rng = np.random.default_rng([options.seed, options.pose_style])
    mouth = mouth_track(speech.phones, speech.audio_16k, fps, n)
    scale = options.expression_scale
    gain = BROW_GAIN[options.motion]
    if options.still:
        zeros = np.zeros(n, np.float32)
        pose = {"yaw": zeros, "pitch": zeros, "roll": zeros}
    else:
        pose = head_track(speech.audio_16k, fps, n, options.pose_style, rng, options.motion)
    talk = speaking(frame_rms(speech.audio_16k, fps, n).astype(np.float64), fps)
    # Their own random stream: the head, blinks and brows draw what they drew before these existed.
    expression = np.random.default_rng([options.seed, options.pose_style, 1])
    eyelids = np.random.default_rng([options.seed, options.pose_style, 2])  # and the squint, added after them
    gaze = gaze_track(talk, fps, expression, pose["yaw"])
    return MotionTrack(
        fps=fps,
        jaw=np.clip(mouth["jaw"] * scale, 0, 1.5).astype(np.float32),
        lip_width=np.clip(mouth["lip_width"] * scale, -1.5, 1.5).astype(np.float32),
        lip_press=mouth["lip_press"],
        lip_tuck=mouth["lip_tuck"],
        tongue=mouth["tongue"],
        blink=blink_track(n, fps, rng, phrase_ends(speech.audio_16k, fps, n)),
        squint=np.clip(squint_track(talk, fps, eyelids) * gain * scale, 0, 1).astype(np.float32),
        brow=(brow_track(speech.words, speech.audio_16k, fps, n, rng) * gain * scale).astype(np.float32),
        **pose,
        gaze_x=gaze[:, 0],
        gaze_y=gaze[:, 1],
        smile=np.clip(smile_track(talk, fps, expression) * gain * scale, 0, 1).astype(np.float32),
        breath=breath_track(talk, fps) * (not options.still),
    )
