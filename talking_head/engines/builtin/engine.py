"""The built-in animator: the photo itself, warped by a moving face mesh.

No weights to download: MediaPipe's landmarks give the mesh, the motion track
moves it, OpenCV draws it. Only the region around the head is redrawn; the
rest of the frame is the photo, the body under the head moving a little with the
breath (`body`), with a camera's fresh grain over the whole frame (`grain`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import cv2
import numpy as np

from ...face import Face, regions
from ...motion.track import MotionTrack
from ...options import TalkOptions
from ...settings import Settings
from ...speech import Speech
from ..framing import Framing, frame_face
from .body import Body
from .closed_mouth import close_seam, closing_points, fill_opening, lip_edges
from .deform import Deformer
from .far_cheek import FarCheek
from .grain import Grain, noise_sigma
from .light import Light
from .mesh import Mesh, build_mesh
from .mouth import MouthPainter, photo_teeth_tint, photo_upper_teeth
from .photo_mouth import PhotoMouth
from .warp import Warper

FACE_AREA_SCALE = 1.2  # the grain's blobs stay off the face and this margin around it
CLOSE_FIRST_MAX_SMILE = 0.5  # photos smiling more than this keep their teeth and press their lips over them
GRIN_MAX_GAP_IOD = 0.25  # unless the jaw is open too (lips this far apart): then the grin closes first as well


@dataclass
class Prepared:
    framing: Framing
    mesh: Mesh
    deformer: Deformer
    warper: Warper
    mouth: MouthPainter
    grain: Grain
    body: Body
    light: Light
    far_cheek: FarCheek | None = None

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
        blendshapes = getattr(face, "blendshapes", None)
        grain = Grain(framing.image.shape, noise_sigma(framing.image), options.seed, face_area(framing))
        photo = PhotoMouth.of(framing.landmarks, blendshapes)
        teeth_tint = photo_teeth_tint(framing.image, framing.landmarks) if photo.parted else None
        upper_teeth = (
            photo_upper_teeth(framing.image, framing.landmarks, regions.inter_ocular(framing.landmarks))
            if photo.parted
            else None
        )
        if photo.parted and (photo.smile < CLOSE_FIRST_MAX_SMILE or photo.gap_iod > GRIN_MAX_GAP_IOD):
            # Lips apart in the photo: close them first (`closed_mouth`), so that the mouth opens from
            # closed. A broad grin with its jaw shut keeps its own teeth instead (its lips press
            # together over them, `Deformer`).
            edges = lip_edges(framing.image, framing.landmarks)
            framing = replace(framing, image=fill_opening(framing.image, edges), landmarks=edges)
            _, deformer, warper = _parts(framing, blendshapes)
            points = closing_points(deformer)
            landmarks = framing.landmarks.copy()
            landmarks[:, :2] = points[: len(landmarks)]
            closed = close_seam(_warped(framing.image, warper, points), landmarks, deformer.frame.iod)
            framing = replace(framing, image=closed, landmarks=landmarks)
        mesh, deformer, warper = _parts(framing, blendshapes)
        mouth = MouthPainter(framing.image, framing.landmarks, deformer.frame.iod, mesh, teeth_tint, upper_teeth)
        body = Body(framing.image.shape, framing.landmarks, deformer.frame.iod)
        light = Light(framing.image.shape, framing.landmarks, deformer.frame.iod)
        far_cheek = FarCheek.of(framing.image, mesh, deformer.frame.iod, deformer.photo)
        return Prepared(framing, mesh, deformer, warper, mouth, grain, body, light, far_cheek)

    def draw(self, prepared: Prepared, params: dict[str, float]) -> np.ndarray:
        """One frame for one set of motion parameters."""
        params = {**params, "yaw": prepared.deformer.turn(params["yaw"])}
        points = prepared.deformer.positions(params)
        warper = prepared.warper
        frame = prepared.framing.image.copy()
        region = _warped_region(prepared.framing.image, warper, points, prepared.far_cheek, params["yaw"])
        spread = max(params["lip_width"], 0.0) + params.get("smile", 0.0)
        prepared.mouth.paint(region, points, (warper.x0, warper.y0), params.get("tongue", 0.0), spread)
        frame[warper.y0 : warper.y0 + warper.shape[0], warper.x0 : warper.x0 + warper.shape[1]] = region
        prepared.light.shade(frame, params["yaw"], params["pitch"])
        prepared.body.move(frame, params.get("breath", 0.0), params["yaw"])
        return prepared.grain.add(frame)

    def render(self, prepared: Prepared, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]:
        for i in range(motion.n_frames):
            yield self.draw(prepared, motion.frame(i))


def face_area(framing: Framing) -> np.ndarray:
    """The face and a margin around it (the face oval, enlarged `FACE_AREA_SCALE` times about its centre)."""
    oval = framing.landmarks[list(regions.FACE_OVAL), :2].astype(np.float64)
    centre = oval.mean(axis=0)
    area = np.zeros((framing.height, framing.width), np.uint8)
    cv2.fillPoly(area, [np.round(centre + FACE_AREA_SCALE * (oval - centre)).astype(np.int32)], 1)
    return area.astype(bool)


def _parts(framing: Framing, blendshapes: dict[str, float] | None) -> tuple[Mesh, Deformer, Warper]:
    mesh = build_mesh(framing.landmarks, framing.width, framing.height, framing.image)
    deformer = Deformer(mesh, blendshapes)
    return mesh, deformer, Warper(mesh.triangles, mesh.points[:, :2], mesh.roi)


def _warped_region(
    image: np.ndarray, warper: Warper, points: np.ndarray, far_cheek: FarCheek | None = None, yaw_deg: float = 0.0
) -> np.ndarray:
    """The warper's region of `image` with the mesh moved to `points` (a turned photo's `far_cheek` drawn as cheek)."""
    index = warper.rasterise(points)
    map_x, map_y = warper.maps(points, index)
    region = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if far_cheek is not None:
        far_cheek.reveal(region, warper, points, index, (map_x, map_y), yaw_deg)
    return region


def _warped(image: np.ndarray, warper: Warper, points: np.ndarray) -> np.ndarray:
    """The whole of `image`, its region warped to `points`."""
    out = image.copy()
    out[warper.y0 : warper.y0 + warper.shape[0], warper.x0 : warper.x0 + warper.shape[1]] = _warped_region(
        image, warper, points
    )
    return out
