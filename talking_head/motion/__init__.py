"""Motion: from `Speech` to a per-frame `MotionTrack` (visemes, blinks, head, brows)."""

from .track import MotionTrack

__all__ = ["MotionTrack", "build_motion"]


def build_motion(speech, options) -> MotionTrack:
    return MotionTrack.at_rest(speech.frame_count(options.fps), options.fps)
