"""Where every mesh point goes in a frame: expression bases, then a 3D head rotation.

Each expression parameter of the `MotionTrack` has a basis, a displacement of
the face landmarks at full strength, built once per photo in face-aligned
units (inter-ocular distance, eye line as x, chin direction as y). A frame is
the rest shape plus the weighted bases, then rotated about a pivot in the
neck, with the rings around the face following the rotation partly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...face import regions
from .mesh import (
    LEFT_LOWER_LID,
    LEFT_UPPER_LID,
    LOWER_INNER_LIP,
    RIGHT_LOWER_LID,
    RIGHT_UPPER_LID,
    UPPER_INNER_LIP,
    Mesh,
)
from .photo_mouth import PhotoMouth

# Displacements at full strength, in inter-ocular distances (IOD; vertical ones in true IOD).
# Per unit of jaw (1: a wide, loud "ah") the lips part by LIP_GAP_IOD mid-mouth, before the
# easing of wide openings (WIDE_GAP_*): the jaw takes the chin and everything below the mouth
# down by JAW_DROP_IOD, the lower lip drops a little further on its own, the upper lip lifts a little.
LIP_GAP_IOD = 0.68
JAW_DROP_IOD = 0.42
UPPER_LIP_RISE_IOD = 0.07
LOWER_LIP_EXTRA = (LIP_GAP_IOD - JAW_DROP_IOD - UPPER_LIP_RISE_IOD) / JAW_DROP_IOD  # beyond the chin's drop
WIDE_GAP_IOD, WIDE_GAP_SLOPE = 0.3, 0.5  # openings beyond WIDE grow at this share of the jaw's pace
LIP_EXTRA_FALLOFF_IOD = 0.15  # the skin under the lower lip shares its extra drop, fading over this
JAW_ACROSS_SHARE = 2.4  # the jaw's pull fades to nothing this many mouth half-widths to the side
# How far the lips round and spread, fitted to the footage clips' mouth width (`bench.footage_compare`'s
# mouth_width_motion, its std over its median): real 0.040-0.109, mean 0.075; ours was 0.034-0.085, mean
# 0.049, with 0.07 and 0.12 ("few 'o' shapes" to an unlabelled viewer), and is 0.045-0.118, mean 0.068, now.
SPREAD_IOD = 0.1  # each mouth corner, outward, for "ee"
SMILE_SPREAD_SHARE = 0.6  # a photo in a broad smile is already this much spread
ROUND_IOD = 0.18  # each mouth corner, inward, for "oo"
ROUND_PUCKER_IOD = 0.025  # lips thicken as they push forward
ROUND_PUSH_IOD = 0.06  # and come forward, toward the camera (seen on a turned face)
TUCK_UPPER_IOD = 0.045  # upper lip lifts to bare the teeth for f/v
TUCK_LOWER_IOD = 0.02
PRESS_THIN_IOD = 0.015  # pressed lips thin toward the lip line
PRESS_FALLOFF_IOD = 0.12  # skin this far from the lip line follows a closing mouth
BROW_LIFT_IOD = 0.155  # a full lift on a stressed word (real speakers' brows move 0.02-0.04 IOD std)
LID_CREASE_IOD = 0.06  # the lid crease lies about this far above the lid margin
FREE_TURN_DEG = 15.0  # a photo turned less than this turns either way freely
DAMPED_TURN_DEG = 30.0  # turned this far or more, a turn further away is cut to `MIN_AWAY_GAIN`
MIN_AWAY_GAIN = 0.25  # the share of a turn further away that is left at `DAMPED_TURN_DEG`
EDGE_FALLOFF_IOD = 0.5  # motion fades out over this distance from a photo edge that cuts the warped region
UPPER_LID_TRAVEL = 0.95  # shares of the eye opening the lids travel to close it;
LOWER_LID_TRAVEL = 0.12  # together a little over 1, so no white shows between them
MOUTH_FALLOFF_IOD = 0.35  # skin follows the mouth corners within about this distance
LID_FALLOFF_IOD = 0.12
LID_SKIN_FOLLOW = 1.0  # the lid skin above the margin slides down with it rather than stretching
BROW_FALLOFF_IOD = 0.45

# A full smile (from a face at rest): the mouth corners rise and widen, the lips and the skin near them
# follow, the cheeks lift and push the lower lids up (the eyes narrow).
SMILE_LIFT_IOD = 0.08
SMILE_WIDEN_IOD = 0.06
SMILE_CHEEK_IOD = 0.035
SMILE_CHEEK_AT = (0.45, 0.6)  # the cheek's apple, from the eyes' midpoint (across, down)
SMILE_CHEEK_RADIUS_IOD = 0.25
SQUINT_IOD = 0.03  # the lower lids' rise
SQUINT_UPPER = 0.15  # and in a squint the upper lids' fall, as a share of a blink's
EYE_RADIUS_IOD = 0.19  # an eyeball's radius (12 mm of the 63 mm between the eyes): the iris's shift per radian
GAZE_HOLD = 0.8  # share of the head's turn the eyes take back, to keep looking where they looked

# The head tilts and nods about the base of the neck (the lower cervical spine, about 0.6 face heights under the
# chin), half a face height behind the face: at 0.25 under the chin the face's centre moved 9 % less for the same
# angles (bench.footage_compare's motion_iod 0.165-0.192 against 0.182-0.207; roll and yaw read the same).
PIVOT_BELOW_CHIN = 0.6  # face heights
PIVOT_BEHIND = 0.5
RING_EXPRESSION_SHARE = 0.6  # how much of the face edge's motion the rings around it take

EXPRESSIONS = (
    "jaw",
    "spread",
    "round",
    "press",
    "tuck",
    "blink_right",
    "blink_left",
    "squint",
    "brow",
    "smile",
    "gaze_x",
    "gaze_y",
)
LID_MOTIONS = ("blink_right", "blink_left", "squint")  # the lids move over the eyeballs, which stay where they are


@dataclass
class FaceFrame:
    """Face-aligned axes of a photo: origin between the eyes, unit = inter-ocular distance."""

    origin: np.ndarray
    x_axis: np.ndarray
    y_axis: np.ndarray
    iod: float

    @classmethod
    def of(cls, landmarks: np.ndarray) -> FaceFrame:
        right, left = regions.eye_centres(landmarks)
        x_axis = (left - right) / np.linalg.norm(left - right)
        y_axis = np.array([-x_axis[1], x_axis[0]])
        return cls((right + left) / 2, x_axis, y_axis, float(np.linalg.norm(left - right)))

    def to_local(self, xy: np.ndarray) -> np.ndarray:
        d = xy - self.origin
        return np.stack([d @ self.x_axis, d @ self.y_axis], axis=-1) / self.iod

    def to_pixels(self, local: np.ndarray) -> np.ndarray:
        """Local displacement vectors (iod units) to pixel displacements."""
        return (local[..., :1] * self.x_axis + local[..., 1:2] * self.y_axis) * self.iod


def lips_apart_iod(jaw: float) -> float:
    """How far the lips part mid-mouth (IOD) for a jaw opening: `LIP_GAP_IOD` per unit, wide openings eased
    (past a wide "ah" the jaw opens more reluctantly: talking, not shouting)."""
    gap = jaw * LIP_GAP_IOD
    return gap if gap <= WIDE_GAP_IOD else WIDE_GAP_IOD + WIDE_GAP_SLOPE * (gap - WIDE_GAP_IOD)


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def expression_bases(
    landmarks: np.ndarray, bite: np.ndarray, frame: FaceFrame, photo: PhotoMouth
) -> dict[str, np.ndarray]:
    """Landmark displacements in pixels (478 x 2) of each expression at full strength.

    `bite` (9 x 2+) is where the teeth meet between the inner lips, corner points excluded;
    `photo` sizes vertical motion in true IOD and says how spread the photo's mouth already is.
    """
    n = len(landmarks)
    local = frame.to_local(landmarks[:, :2].astype(np.float64))
    u, v = local[:, 0], local[:, 1]
    bases = {name: np.zeros((n, 2)) for name in EXPRESSIONS}

    upper_lip = sorted(
        set(regions.LIPS_OUTER_UPPER + regions.LIPS_INNER_UPPER)
        - set(regions.MOUTH_CORNERS + regions.INNER_MOUTH_CORNERS)
    )
    lower_lip = sorted(
        set(regions.LIPS_OUTER_LOWER + regions.LIPS_INNER_LOWER)
        - set(regions.MOUTH_CORNERS + regions.INNER_MOUTH_CORNERS)
    )
    corners = list(regions.MOUTH_CORNERS + regions.INNER_MOUTH_CORNERS)
    mouth_u = local[list(regions.MOUTH_CORNERS), 0]
    mouth_centre = local[[regions.INNER_LIP_TOP, regions.INNER_LIP_BOTTOM]].mean(axis=0)
    half_width = max((mouth_u.max() - mouth_u.min()) / 2, 1e-3)
    chin_v = local[regions.CHIN, 1]

    # Jaw: it swings open about the hinges in front of the ears. Seen from the front, the
    # chin, the lower lip and the skin between them come down together; toward the jaw
    # angles, nearer the hinge, the swing fades; the cheeks between stretch.
    # Under the lower lip the skin comes down with the lip (a short ramp); beside the mouth the
    # ramp is longer, so the cheeks below the corners stretch rather than shear.
    side = np.clip(np.abs(u - mouth_centre[0]) / half_width, 0, 1) ** 2
    lip_bottom_v = local[list(regions.LIPS_OUTER_LOWER[1:-1]), 1].max()
    ramp = (1 - side) * (lip_bottom_v - mouth_centre[1]) + side * 0.3 * (chin_v - mouth_centre[1])
    below = smoothstep((v - mouth_centre[1]) / np.maximum(ramp, 1e-3))
    across = np.clip(1 - ((u - mouth_centre[0]) / (JAW_ACROSS_SHARE * half_width)) ** 2, 0, 1)
    # The lower lip's own drop fades into the skin below it, toward the chin.
    lip_extra = LOWER_LIP_EXTRA * (1 - side) * np.exp(-np.maximum(v - lip_bottom_v, 0) / LIP_EXTRA_FALLOFF_IOD)
    jaw = below * across * (1 + lip_extra)
    # The lips part most in the middle: an open mouth is an oval, not a box.
    taper = 1 - 0.55 * np.clip(np.abs(u - mouth_centre[0]) / half_width, 0, 1) ** 2
    jaw[lower_lip] = (1.0 + LOWER_LIP_EXTRA) * taper[lower_lip]
    jaw[corners] = 0.35
    jaw[upper_lip] = -UPPER_LIP_RISE_IOD / JAW_DROP_IOD * taper[upper_lip]
    bases["jaw"][:, 1] = jaw * JAW_DROP_IOD

    # Lip width: corners and lips slide along the mouth line; nearby skin follows.
    du = u - mouth_centre[0]
    across_mouth = np.clip(du / half_width, -1, 1)
    outside = np.maximum(np.abs(du) - half_width, 0)
    gap_v = np.maximum(np.abs(v - mouth_centre[1]) - 0.15, 0)
    near_mouth = np.exp(-(outside**2 + gap_v**2) / (2 * MOUTH_FALLOFF_IOD**2))
    bases["spread"][:, 0] = SPREAD_IOD * (1 - SMILE_SPREAD_SHARE * photo.smile) * across_mouth * near_mouth
    bases["round"][:, 0] = -ROUND_IOD * across_mouth * near_mouth
    lips = upper_lip + lower_lip
    bases["round"][lips, 1] = ROUND_PUCKER_IOD * np.sign(v[lips] - mouth_centre[1]) * (1 - np.abs(across_mouth[lips]))

    # Press: the inner lips meet on the bite line (closing any gap in the photo); the
    # lips and the skin near them come along, so a smile closes rather than stretches.
    tops, bottoms = list(regions.LIPS_INNER_UPPER[1:-1]), list(regions.LIPS_INNER_LOWER[1:-1])
    bite_local = frame.to_local(bite[:, :2])
    drop_top = bite_local[:, 1] - v[tops]
    rise_bottom = bite_local[:, 1] - v[bottoms]
    order = np.argsort(u[tops])
    pair_u = u[tops][order]
    line_v = np.interp(u, pair_u, ((v[tops] + v[bottoms]) / 2)[order])
    side_top = v < line_v
    move = np.where(side_top, np.interp(u, pair_u, drop_top[order]), np.interp(u, pair_u, rise_bottom[order]))
    distance = np.abs(v - line_v)
    beside = np.clip(1 - np.maximum(np.abs(du) - half_width, 0) / (0.3 * half_width), 0, 1)
    bases["press"][:, 1] = move * np.exp(-(distance**2) / (2 * PRESS_FALLOFF_IOD**2)) * beside
    bases["press"][tops, 1] = drop_top
    bases["press"][bottoms, 1] = rise_bottom
    outer_upper = [i for i in regions.LIPS_OUTER_UPPER if i in upper_lip]
    outer_lower = [i for i in regions.LIPS_OUTER_LOWER if i in lower_lip]
    bases["press"][outer_upper, 1] += PRESS_THIN_IOD
    bases["press"][outer_lower, 1] -= PRESS_THIN_IOD

    # Tuck (f, v): the upper lip lifts off the teeth, the lower lip rises under them.
    bases["tuck"][upper_lip, 1] = -TUCK_UPPER_IOD
    bases["tuck"][lower_lip, 1] = -TUCK_LOWER_IOD

    # Smile: corners up and out; each lip point goes as far as its place across the mouth says, the
    # upper and lower lips alike (lips that meet stay met), and the skin near the mouth follows. The
    # cheeks lift, and with them the lower lids: a real smile narrows the eyes.
    profile = np.clip(np.abs(du) / half_width, 0, 1) ** 2
    smile_dx = SMILE_WIDEN_IOD * np.sign(du) * profile * near_mouth
    smile_dy = -SMILE_LIFT_IOD * profile * near_mouth
    for sign in (-1.0, 1.0):
        cheek = (u - sign * SMILE_CHEEK_AT[0]) ** 2 + (v - SMILE_CHEEK_AT[1]) ** 2
        smile_dy -= SMILE_CHEEK_IOD * np.exp(-cheek / (2 * SMILE_CHEEK_RADIUS_IOD**2))
    squint_dy = np.zeros(n)
    for lower in (RIGHT_LOWER_LID, LEFT_LOWER_LID):
        lid = local[list(lower[1:-1])]
        taper = np.sin(np.pi * np.arange(1, len(lid) + 1) / (len(lid) + 1))  # the lid rises in its middle
        distance = np.linalg.norm(local[:, None, :] - lid[None, :, :], axis=2)
        nearest = distance.argmin(axis=1)
        below = v >= lid[nearest, 1]
        falloff = np.exp(-(distance.min(axis=1) ** 2) / (2 * LID_FALLOFF_IOD**2))
        squint_dy -= SQUINT_IOD * taper[nearest] * falloff * below
    irises = list(regions.RIGHT_IRIS + regions.LEFT_IRIS)
    bases["squint"][:, 1] = squint_dy
    bases["squint"][irises] = 0.0  # the eyeballs stay; the lids move over them
    bases["smile"] = np.stack([smile_dx, smile_dy + squint_dy], axis=1)
    bases["smile"][irises] = 0.0
    bases["smile"] *= 1 - photo.smile  # a smiling photo has less smile left to give

    # Gaze, per degree: the irises slide across the eyeballs.
    bases["gaze_x"][irises, 0] = EYE_RADIUS_IOD * np.pi / 180
    bases["gaze_y"][irises, 1] = EYE_RADIUS_IOD * np.pi / 180

    # Blinks: upper lids come down over the eyeballs to meet the lower lids; the lid
    # skin above slides down with them (stretching it would smear the lashes).
    for name, upper, lower in (
        ("blink_right", RIGHT_UPPER_LID, RIGHT_LOWER_LID),
        ("blink_left", LEFT_UPPER_LID, LEFT_LOWER_LID),
    ):
        upper_in, lower_in = np.array(upper[1:-1]), np.array(lower[1:-1])
        travel = local[lower_in] - local[upper_in]
        bases[name][upper_in] = UPPER_LID_TRAVEL * travel
        bases[name][lower_in] = -LOWER_LID_TRAVEL * travel
        lid = local[upper_in]
        distance = np.linalg.norm(local[:, None, :] - lid[None, :, :], axis=2)
        nearest = distance.argmin(axis=1)
        above = (v < lid[nearest, 1]) & ~np.isin(np.arange(n), np.concatenate([upper_in, lower_in]))
        follow = LID_SKIN_FOLLOW * np.exp(-(distance.min(axis=1) ** 2) / (2 * LID_FALLOFF_IOD**2)) * above
        bases[name] += follow[:, None] * UPPER_LID_TRAVEL * travel[nearest]

    # A squint narrows the eye from both lids: the lower lids rise as in a smile, the upper come a little down.
    bases["squint"] += SQUINT_UPPER * (bases["blink_right"] + bases["blink_left"])

    # Brows lift, the forehead with them; the skin down to the lid crease stretches,
    # the lids themselves stay (raised brows must not widen the eyes).
    brow_idx = np.array(regions.RIGHT_BROW + regions.LEFT_BROW)
    brow_v = local[brow_idx, 1].mean()
    lids = np.array(RIGHT_UPPER_LID + LEFT_UPPER_LID)
    crease_v = local[lids, 1].min() - LID_CREASE_IOD
    lift = np.where(
        v <= brow_v,
        np.exp(-((v - brow_v) ** 2) / (2 * BROW_FALLOFF_IOD**2)),
        smoothstep((crease_v - v) / max(crease_v - brow_v, 1e-3)),
    )
    lift[brow_idx] = 1.0
    lift[v > crease_v] = 0.0
    bases["brow"][:, 1] = -BROW_LIFT_IOD * lift

    # Vertical motion of the mouth and jaw is not foreshortened by a turn of the head.
    for name in ("jaw", "round", "tuck"):
        bases[name][:, 1] *= photo.depth_scale
    for name in EXPRESSIONS:
        bases[name] = frame.to_pixels(bases[name])
    # Rounded lips come forward, most in the middle: on a turned face that shows sideways.
    push = np.zeros(n)
    push[lips] = ROUND_PUSH_IOD * photo.depth_scale * frame.iod * (1 - across_mouth[lips] ** 2)
    bases["round"] += push[:, None] * photo.forward[None, :]
    return bases


def rotation(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    """Rotation for image axes (x right, y down, z away from the camera).

    Positive yaw turns the face toward the image's right (the subject's left),
    positive pitch nods down, positive roll tilts the top of the head to the right.
    """
    y, p, r = np.radians([yaw_deg, pitch_deg, roll_deg])
    yaw = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    pitch = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    roll = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return roll @ pitch @ yaw


class Deformer:
    """Mesh point positions for a frame's motion parameters."""

    def __init__(self, mesh: Mesh, blendshapes: dict[str, float] | None = None):
        self.mesh = mesh
        landmarks = mesh.points[:478]
        self.frame = FaceFrame.of(landmarks)
        self.photo = PhotoMouth.of(landmarks, blendshapes)
        damped = np.clip((self.photo.turn_deg - FREE_TURN_DEG) / (DAMPED_TURN_DEG - FREE_TURN_DEG), 0.0, 1.0)
        self._away_gain = 1 - (1 - MIN_AWAY_GAIN) * float(damped)  # `turn`: what is left of a turn further away
        bases = expression_bases(landmarks, mesh.points[mesh.bite_upper[1:-1]], self.frame, self.photo)
        n = len(mesh.points)
        self.bases = np.zeros((len(EXPRESSIONS), n, 2))
        upper_lip, lower_lip = list(UPPER_INNER_LIP[1:-1]), list(LOWER_INNER_LIP[1:-1])
        ring = mesh.ring_of >= 0
        # The eyeballs stay where they are: the lids come down over them.
        lid_inner = list(RIGHT_UPPER_LID[1:-1]) + list(LEFT_UPPER_LID[1:-1])
        for k, name in enumerate(EXPRESSIONS):
            if name not in LID_MOTIONS:
                self.bases[k, mesh.eyeball_tops] = bases[name][lid_inner]
        # Which motions the bite lines share with their lips. Teeth in the photo belong to
        # the skull (upper) and the jaw (lower); with closed lips in the photo, the bite
        # lines are the lip line itself and follow the lips in everything but a press.
        if mesh.shows_teeth:
            upper_follows, lower_follows = {"spread", "round"}, {"jaw", "spread", "round"}
        else:
            upper_follows = lower_follows = set(EXPRESSIONS) - {"press"}
        for k, name in enumerate(EXPRESSIONS):
            self.bases[k, :478] = bases[name]
            if name in upper_follows:
                self.bases[k, mesh.bite_upper[1:-1]] = bases[name][upper_lip]
            if name in lower_follows:
                self.bases[k, mesh.bite_lower[1:-1]] = bases[name][lower_lip]
            # Rings soften the edge of the face: they follow the nearest oval point by their head weight.
            self.bases[k, ring] = RING_EXPRESSION_SHARE * mesh.head_weight[ring, None] * bases[name][mesh.ring_of[ring]]
        chin = landmarks[regions.CHIN]
        top = landmarks[regions.FOREHEAD]
        face_h = np.linalg.norm(chin[:2] - top[:2])
        # Lips that touch must stay touching when the head turns: points paired across the
        # mouth (inner lips and the bite lines between them) share one depth.
        self.rest = mesh.points.copy()
        across = np.array([UPPER_INNER_LIP, LOWER_INNER_LIP, mesh.bite_upper, mesh.bite_lower])
        self.rest[across, 2] = self.rest[across, 2].mean(axis=0)
        self.pivot = np.array(
            [
                *(chin[:2] + PIVOT_BELOW_CHIN * face_h * self.frame.y_axis),
                float(landmarks[:, 2].mean()) + PIVOT_BEHIND * face_h,
            ]
        )
        # Motion fades out toward a side of the region that is the photo's own edge (a chin the photo's edge
        # cuts): moving freely there, the face drew pixels from beyond the photo, its edge row repeated into a
        # smear of skin over the collar. Points past that edge stay put.
        x0, y0, x1, y1 = mesh.roi
        xy = mesh.points[:, :2]
        to_edge = np.full(len(xy), np.inf)
        for cut, distance in zip(
            mesh.photo_edges, (xy[:, 0] - x0, xy[:, 1] - y0, x1 - 1 - xy[:, 0], y1 - 1 - xy[:, 1])
        ):
            if cut:
                to_edge = np.minimum(to_edge, distance)
        self._edge_share = np.clip(to_edge / (EDGE_FALLOFF_IOD * self.frame.iod), 0.0, 1.0)[:, None]
        self._near_edge = bool((self._edge_share < 1).any())

    def turn(self, yaw_deg: float) -> float:
        """The yaw drawn for a wanted `yaw_deg`: turning further away is damped on a face already turned.

        A face turned away from the camera that turns further passes its far cheek behind its own edge;
        a warp of the photo cannot hide it, and smears the pale cheek into the hair in facets. Past
        `FREE_TURN_DEG` of the photo's own yaw that way the turn shrinks, to `MIN_AWAY_GAIN` at
        `DAMPED_TURN_DEG`; back toward the camera it is free.
        """
        if yaw_deg * self.photo.forward[0] <= 0:
            return float(yaw_deg)
        return float(yaw_deg) * self._away_gain

    def positions(self, params: dict[str, float]) -> np.ndarray:
        """(N, 2) projected point positions for one frame."""
        width = params["lip_width"]
        press = params["lip_press"]
        gap, photo_gap = lips_apart_iod(params["jaw"]), self.photo.gap_iod
        jaw = gap / LIP_GAP_IOD
        if self.photo.parted:
            # Lips parted in the photo: at rest they close; the opening grows from closed, first
            # by letting go of the press up to the photo's own gap, then by the jaw.
            press = max(press, 1.0 - min(gap / photo_gap, 1.0))
            jaw = max(gap - photo_gap, 0.0) / LIP_GAP_IOD
        weights = np.array(
            [
                jaw,
                max(width, 0.0),
                max(-width, 0.0),
                press,
                params["lip_tuck"],
                params["blink"],
                params["blink"],
                params.get("squint", 0.0),
                params["brow"],
                params.get("smile", 0.0),
                # The eyes hold their target while the head turns: they turn back by most of its turn.
                params.get("gaze_x", 0.0) - GAZE_HOLD * params["yaw"],
                params.get("gaze_y", 0.0) - GAZE_HOLD * params["pitch"],
            ]
        )
        points = self.rest.copy()
        # Summed here, not by BLAS: a call this size wakes BLAS's threads, which spin while a paced stream
        # waits for its next frame (3 live streams at 256 px took 0.6 cores each, 0.37 with OpenBLAS held
        # to one thread).
        points[:, :2] += np.einsum("k,kij->ij", weights, self.bases)
        if params["yaw"] or params["pitch"] or params["roll"]:
            rotated = (points - self.pivot) @ rotation(params["yaw"], params["pitch"], params["roll"]).T + self.pivot
            w = self.mesh.head_weight[:, None]
            points = points + w * (rotated - points)
        if self._near_edge:
            points = self.rest + self._edge_share * (points - self.rest)
        return points[:, :2]
