"""The footage engine: each frame is a frame of the person's own footage, with a mouth from it too.

Base frames come from the clip in order (dubbing) or from the avatar's loop
plan; mouth samples are chosen for the whole utterance at once
(`selection.select_samples`), then each is warped from the canonical
position onto its base frame's head, colour-matched and blended in
(`blend`). Only the lower face is redrawn.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from ...avatar import Avatar
from ...avatar.canonical import SUBNASALE, apply, head_turn, invert, mouth_mask_polygon
from ...errors import EngineError
from ...motion.track import MotionTrack
from ...options import TalkOptions
from ...settings import Settings
from ...speech import Speech
from ...speech.audio import frame_rms
from .blend import match_colour, multiband
from .selection import select_samples

FEATHER_IOD = 0.06  # the mask's edge is softened over about this width before blending
MASK_FLOOR = 0.002  # mask values under this change nothing worth drawing
BLEND_ROOM_PX = 8  # beyond the mask's reach, for the blend's widest band to fade out
# Under the nose on the face's midline (subnasale, top of the philtrum): the lower face hangs from here.
NOSE_BASE = (SUBNASALE, 164)
# The face's edge at the cheeks, where the jaw begins (moves with the head, hardly with the mouth).
CHEEK_LEFT, CHEEK_RIGHT = (132, 58), (288, 361)
MAX_STRETCH = 1.3  # a half face is stretched (or narrowed) across at most this much


@dataclass
class Prepared:
    avatar: Avatar
    width: int
    height: int
    seed: int

    framed = "footage"


def output_size(avatar: Avatar, size: int) -> tuple[int, int]:
    """The footage's size, scaled so its longer side is `size` (0: as it is), even."""
    if size == 0:
        return avatar.width, avatar.height
    scale = size / max(avatar.width, avatar.height)
    return max(2, round(avatar.width * scale / 2) * 2), max(2, round(avatar.height * scale / 2) * 2)


class FootageEngine:
    """An `engines.Engine` whose `prepare` takes an `Avatar` (the pipeline hands it one: `takes_avatar`)."""

    name = "footage"
    takes_avatar = True

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None:
        return None

    def prepare(self, avatar, options: TalkOptions, settings: Settings | None = None) -> Prepared:
        if not isinstance(avatar, Avatar):
            raise EngineError("the footage engine needs a clip or an avatar (--video or --avatar), not a photo")
        width, height = output_size(avatar, options.size)
        return Prepared(avatar, width, height, options.seed)

    def base_frames(self, prepared: Prepared, n: int) -> np.ndarray:
        """The footage frame under each output frame: the clip in order when dubbing, else the idle loop."""
        return np.fromiter(itertools.islice(self._plan(prepared), n), np.int64, count=n)

    def _plan(self, prepared: Prepared) -> Iterator[int]:
        avatar = prepared.avatar
        rng = np.random.default_rng(prepared.seed)
        if avatar.dubbing:
            return avatar.loop.play(0, rng, in_order_until=avatar.n_frames - 1)
        return avatar.loop.play(avatar.loop.offset + avatar.loop.idle_start, rng)

    def render(self, prepared: Prepared, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]:
        avatar = prepared.avatar
        bases = self.base_frames(prepared, motion.n_frames)
        fits = {int(b): avatar.canonical.fit(avatar.landmarks[b]) for b in np.unique(bases) if _tracked(avatar, b)}
        turn = np.full((len(bases), 2), np.nan)
        for t, b in enumerate(bases):
            if int(b) in fits:
                turn[t] = head_turn(apply(fits[int(b)], avatar.landmarks[b]), avatar.iod)
        rms = frame_rms(speech.audio_16k, motion.fps, motion.n_frames)
        samples = select_samples(avatar.bank, motion, turn, rms)
        for t, (b, frame) in enumerate(zip(bases, avatar.frames.play(bases), strict=True)):
            if int(b) in fits:
                frame = compose(avatar, frame, int(b), fits[int(b)], int(samples[t]))
            yield _sized(frame, prepared)


def _sized(frame: np.ndarray, prepared: Prepared) -> np.ndarray:
    if frame.shape[1] != prepared.width or frame.shape[0] != prepared.height:
        frame = cv2.resize(frame, (prepared.width, prepared.height), interpolation=cv2.INTER_AREA)
    return frame


def _tracked(avatar: Avatar, frame: int) -> bool:
    return bool(np.isfinite(avatar.landmarks[frame, :, :2]).all())


def compose(avatar: Avatar, frame: np.ndarray, base: int, to_canonical: np.ndarray, sample: int) -> np.ndarray:
    """`frame` (footage frame `base`) with mouth sample `sample` laid over its lower face."""
    canonical, bank = avatar.canonical, avatar.bank
    iod = canonical.iod_px
    base_points = apply(to_canonical, avatar.landmarks[base])
    laying = Laying.of(bank.points[sample], base_points)
    mask = np.zeros((canonical.height, canonical.width), np.uint8)
    polygon = mouth_mask_polygon(base_points, iod, lower=laying.move(bank.points[sample]))
    cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 255)
    sigma = FEATHER_IOD * iod
    # Keep the softened mask inside the laid crop: its border is no edge of the face.
    border = max(1, int(2 * sigma))
    # (The crop's x depends on the base's x alone, its y on the base's y: one row and one column say it all.)
    source_x, source_y = laying.source(np.arange(canonical.width)[None, :], np.arange(canonical.height)[:, None])
    inside_x = (source_x >= border) & (source_x <= canonical.width - 1 - border)
    inside_y = (source_y >= border) & (source_y <= canonical.height - 1 - border)
    mask[~(inside_y & inside_x)] = 0
    soft = cv2.GaussianBlur(mask.astype(np.float32) / 255, (0, 0), sigma)

    to_image = invert(to_canonical)
    # Only where the mask reaches (its bounding box, with room for the widest blend band).
    rows, cols = np.flatnonzero(soft.max(axis=1) > MASK_FLOOR), np.flatnonzero(soft.max(axis=0) > MASK_FLOOR)
    if not len(rows) or not len(cols):
        return frame
    corners = apply(
        to_image, np.array([[cols[0], rows[0]], [cols[-1], rows[0]], [cols[0], rows[-1]], [cols[-1], rows[-1]]], float)
    )
    h, w = frame.shape[:2]
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - BLEND_ROOM_PX
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + BLEND_ROOM_PX
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return frame
    # Each pixel of the region, in canonical pixels, then in the sample's crop: one resampling, not two.
    xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    u = (to_canonical[0, 0] * xs + to_canonical[0, 1] * ys + to_canonical[0, 2]).astype(np.float32)
    v = (to_canonical[1, 0] * xs + to_canonical[1, 1] * ys + to_canonical[1, 2]).astype(np.float32)
    crop_x, crop_y = laying.source(u, v)
    warped = cv2.remap(bank.sample(sample), crop_x, crop_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.remap(soft, u, v, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    sample_rgb = match_colour(warped.astype(np.float32), region, weight)
    blended = multiband(sample_rgb, region, weight)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


@dataclass
class Laying:
    """Where a sample's crop lies on a base frame's lower face, both in canonical pixels.

    The eyes and upper face place both heads alike, but a head turned (or
    tilted) otherwise than the sample's carries its mouth and chin to one side
    of them (they stand in front of the eyes) and shows one cheek wider than
    the other. So the sample hangs from the base's own nose, and each half of
    it is stretched across to the base's cheek on that side; else the mouth
    sits off the face's midline (the tracker reads such lips as parted) and
    the jaw's edge runs over hair.
    """

    base_nose: np.ndarray
    sample_nose: np.ndarray
    stretch_left: float  # of the image's left half (x below the nose)
    stretch_right: float

    @classmethod
    def of(cls, sample_points: np.ndarray, base_points: np.ndarray) -> Laying:
        base_nose = base_points[list(NOSE_BASE), :2].mean(axis=0)
        sample_nose = sample_points[list(NOSE_BASE), :2].mean(axis=0)
        stretch = {}
        for side in (CHEEK_LEFT, CHEEK_RIGHT):
            base_reach = float(base_points[list(side), 0].mean() - base_nose[0])
            sample_reach = float(sample_points[list(side), 0].mean() - sample_nose[0])
            ratio = abs(base_reach) / max(abs(sample_reach), 1.0)
            stretch["left" if sample_reach < 0 else "right"] = float(np.clip(ratio, 1 / MAX_STRETCH, MAX_STRETCH))
        return cls(base_nose, sample_nose, stretch.get("left", 1.0), stretch.get("right", 1.0))

    def move(self, sample_points: np.ndarray) -> np.ndarray:
        """The sample's landmarks where they lie on the base."""
        moved = np.asarray(sample_points[:, :2], np.float64) - self.sample_nose
        moved[:, 0] *= np.where(moved[:, 0] < 0, self.stretch_left, self.stretch_right)
        return moved + self.base_nose

    def source(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sample crop's pixel under each base point (u, v): the inverse of `move`."""
        across = np.asarray(u, np.float32) - np.float32(self.base_nose[0])
        stretch = np.where(across < 0, np.float32(self.stretch_left), np.float32(self.stretch_right))
        x = np.float32(self.sample_nose[0]) + across / stretch
        y = np.asarray(v, np.float32) + np.float32(self.sample_nose[1] - self.base_nose[1])
        return x.astype(np.float32), y.astype(np.float32)
