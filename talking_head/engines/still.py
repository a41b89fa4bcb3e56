"""The last resort: the photo itself, framed, for the whole speech."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..face import Face
from ..motion.track import MotionTrack
from ..options import TalkOptions
from ..settings import Settings
from ..speech import Speech
from .framing import Framing, frame_face


class StillEngine:
    """An `engines.Engine`: the framed photo itself, every frame; always available, the last resort."""

    name = "still"

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None:
        return None

    def prepare(self, face: Face, options: TalkOptions, settings: Settings | None = None) -> Framing:
        return frame_face(face, options.size)

    def render(self, prepared: Framing, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]:
        for _ in range(motion.n_frames):
            yield prepared.image
