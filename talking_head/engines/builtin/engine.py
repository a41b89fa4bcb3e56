"""The built-in animator: the photo itself, warped by a moving face mesh.

No weights to download: MediaPipe's landmarks give the mesh, the motion track
moves it, OpenCV draws it. Only the region around the head is redrawn; the
rest of the frame is the photo, untouched.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ...face import Face
from ...motion.track import MotionTrack
from ...options import TalkOptions
from ...settings import Settings
from ...speech import Speech
from ..framing import Framing, frame_face
from .deform import Deformer
from .mesh import Mesh, build_mesh
from .mouth import MouthPainter
from .warp import Warper


@dataclass
class Prepared:
    framing: Framing
    mesh: Mesh
    deformer: Deformer
    warper: Warper
    mouth: MouthPainter

    @property
    def framed(self) -> str:
        return self.framing.how

    @property
    def width(self) -> int:
        return self.framing.width

    @property
    def height(self) -> int:
        return self.framing.height


class BuiltinEngine:
    """An `engines.Engine`: the photo warped by its face mesh, frame by frame; always available.

    prepare: frame the photo, build the mesh and its displacement bases, the warper and the mouth
    painter (once per photo). render: one frame per motion frame, drawn as it is asked for.
    """

    name = "builtin"

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None:
        return None

    def prepare(self, face: Face, options: TalkOptions, settings: Settings | None = None) -> Prepared:
        framing = frame_face(face, options.size)
        mesh = build_mesh(framing.landmarks, framing.width, framing.height, framing.image)
        deformer = Deformer(mesh, getattr(face, "blendshapes", None))
        triangles = mesh.triangles
        warper = Warper(triangles, mesh.points[:, :2], mesh.roi)
        mouth = MouthPainter(framing.image, framing.landmarks, deformer.frame.iod, mesh)
        return Prepared(framing, mesh, deformer, warper, mouth)

    def draw(self, prepared: Prepared, params: dict[str, float]) -> np.ndarray:
        """One frame for one set of motion parameters."""
        points = prepared.deformer.positions(params)
        warper = prepared.warper
        index = warper.rasterise(points)
        map_x, map_y = warper.maps(points, index)
        frame = prepared.framing.image.copy()
        region = cv2.remap(prepared.framing.image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        prepared.mouth.paint(region, points, (warper.x0, warper.y0), params.get("tongue", 0.0))
        frame[warper.y0 : warper.y0 + warper.shape[0], warper.x0 : warper.x0 + warper.shape[1]] = region
        return frame

    def render(self, prepared: Prepared, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]:
        for i in range(motion.n_frames):
            yield self.draw(prepared, motion.frame(i))
