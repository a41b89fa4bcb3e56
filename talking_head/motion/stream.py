"""Motion that runs on across units: one clock for a whole live stream.

A live stream is made a unit (sentence or clause) at a time, with idle
stretches between. Blinks, the idle drift of the head and breathing come
from one schedule for the whole stream, so they pass through unit borders
untouched; each unit adds its own mouth, brows and speech-driven nods on
top, and eases in from wherever the last frame left every channel, so
nothing jumps where one unit meets the next.
"""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
from scipy.ndimage import gaussian_filter1d

from . import build_motion
from .blinks import blink_track
from .head import FINAL_SMOOTH_S, SETTLE_S, amplitudes, head_track, idle_wander
from .track import MotionTrack

BREATH_HZ = 0.25  # a calm breath every four seconds
BREATH_PITCH_DEG = 0.35
MOUTH_BLEND_S = 0.08  # the mouth is at rest at unit borders; this only smooths a stray value
POSE_BLEND_S = 0.5  # the head eases over from where the last unit left it
SMILE_BLEND_S = 1.5  # a smile fades slowly
MOUTH = ("jaw", "lip_width", "lip_press", "lip_tuck", "tongue")
POSE = ("yaw", "pitch", "roll")


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


class MotionStream:
    """Motion for consecutive stretches of one stream, frame numbers counted from its start."""

    def __init__(self, options, fps: int, max_frames: int):
        self.options, self.fps = options, fps
        self.frame = 0
        """The stream index of the next frame to be made."""
        rng = np.random.default_rng([options.seed, options.pose_style, 7])
        self._max = max_frames
        self._blink = blink_track(max_frames, fps, rng)
        times = np.arange(max_frames) / fps
        settle = _smoothstep(times / SETTLE_S)  # the stream opens on the photo's own pose
        # The chest rises and falls on the stream's clock, through units and idling alike.
        self._breath = (np.sin(2 * np.pi * BREATH_HZ * times) * settle * (not options.still)).astype(np.float32)
        self._idle: dict[str, np.ndarray] = {}
        if options.still:
            for axis in POSE:
                self._idle[axis] = np.zeros(max_frames, np.float32)
        else:
            idle_amp, _ = amplitudes(options.pose_style, options.motion)
            for axis, amplitude in zip(POSE, idle_amp):
                drift = idle_wander(max_frames, fps, rng) * amplitude
                self._idle[axis] = (gaussian_filter1d(drift, FINAL_SMOOTH_S * fps) * settle).astype(np.float32)
            breath = BREATH_PITCH_DEG * np.sin(2 * np.pi * BREATH_HZ * times) * settle
            self._idle["pitch"] = (self._idle["pitch"] + breath).astype(np.float32)
        self._last: dict[str, float] | None = None
        self._offset: dict[str, float] = {}
        self._segment_start = 0
        self._idling = False
        self._units = 0

    @property
    def frames_left(self) -> int:
        return self._max - self.frame

    def _span(self, n: int) -> slice:
        if self.frame + n > self._max:
            raise ValueError(f"the stream's motion ends at frame {self._max}")
        return slice(self.frame, self.frame + n)

    def speech(self, speech) -> MotionTrack:
        """The motion of one unit of speech, starting at the next frame of the stream."""
        seed = [self.options.seed, self.options.pose_style, self._units]
        self._units += 1
        track = build_motion(speech, replace(self.options, seed=self._units + self.options.seed))
        n = track.n_frames
        span = self._span(n)
        pose = {axis: self._idle[axis][span].copy() for axis in POSE}
        if not self.options.still:
            # The speech-driven part alone: the same head track with and without the voice
            # (the same random draws), so the idle drift is the stream's, not the unit's.
            style, level = self.options.pose_style, self.options.motion
            silence = np.zeros(len(speech.audio_16k), np.float32)
            spoken = head_track(speech.audio_16k, self.fps, n, style, np.random.default_rng(seed), level)
            silent = head_track(silence, self.fps, n, style, np.random.default_rng(seed), level)
            for axis in POSE:
                pose[axis] = (pose[axis] + spoken[axis] - silent[axis]).astype(np.float32)
        self._idling = False
        return self._continued(
            _posed(track, self._blink[span].copy(), self._breath[span].copy(), pose), new_segment=True
        )

    def idle(self, n: int) -> MotionTrack:
        """`n` frames of listening: mouth at rest, blinks, breathing, a little drift of the head.

        Consecutive calls make one idle stretch, however few frames each asks for.
        """
        span = self._span(n)
        track = MotionTrack.at_rest(n, self.fps)
        track = _posed(
            track,
            self._blink[span].copy(),
            self._breath[span].copy(),
            {axis: self._idle[axis][span].copy() for axis in POSE},
        )
        new_segment, self._idling = not self._idling, True
        return self._continued(track, new_segment)

    def _continued(self, track: MotionTrack, new_segment: bool) -> MotionTrack:
        """Ease `track` in from where the last frame left each channel (blinks run on the stream's clock)."""
        n = track.n_frames
        channels = [f.name for f in fields(track) if f.name not in ("fps", "blink", "breath")]
        if new_segment:
            self._segment_start = self.frame
            self._offset = {}
            if self._last is not None:
                for name in channels:
                    values = getattr(track, name)
                    # The head is smooth: aim for where this track would have been one frame earlier, so
                    # the step across the border is its own first step. The mouth rests at borders.
                    before = 2 * values[0] - values[1] if n > 1 and name not in MOUTH else values[0]
                    self._offset[name] = self._last[name] - float(before)
        if self._offset:
            since = np.arange(self.frame, self.frame + n) - self._segment_start + 1
            for name in channels:
                blend_s = MOUTH_BLEND_S if name in MOUTH else SMILE_BLEND_S if name == "smile" else POSE_BLEND_S
                ease = 1 - _smoothstep(since / max(1.0, blend_s * self.fps))
                setattr(track, name, (getattr(track, name) + self._offset[name] * ease).astype(np.float32))
        self._last = track.frame(n - 1)
        self.frame += n
        return track


def _posed(track: MotionTrack, blink: np.ndarray, breath: np.ndarray, pose: dict[str, np.ndarray]) -> MotionTrack:
    """`track` with the stream's blinks, breath and head pose (one series per axis of `POSE`)."""
    return replace(track, blink=blink, breath=breath, yaw=pose["yaw"], pitch=pose["pitch"], roll=pose["roll"])
