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
        for t, b in enumerate(bases):
            frame = avatar.frames.get(int(b))
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
    crop = bank.sample(sample)
    iod = canonical.iod_px
    base_points = apply(to_canonical, avatar.landmarks[base])
    # The eyes and upper face place both heads alike, but a head turned (or tilted) otherwise than the sample's
    # carries its mouth and chin off to one side of them (they stand in front of the eyes): the sample is
    # moved so that it hangs from the base's own nose, or the mouth sits beside the face's midline.
    shift = base_points[list(NOSE_BASE)].mean(axis=0) - bank.points[sample][list(NOSE_BASE)].mean(axis=0)
    mask = np.zeros((canonical.height, canonical.width), np.uint8)
    for points in (bank.points[sample] + shift, base_points):
        cv2.fillPoly(mask, [np.round(mouth_mask_polygon(points, iod)).astype(np.int32)], 255)
    sigma = FEATHER_IOD * iod
    # Keep the softened mask inside the (moved) crop: its border is no edge of the face.
    inner = max(1, int(2 * sigma))
    left, top = np.maximum(0, np.ceil(shift)).astype(int) + inner
    right, bottom = np.maximum(0, np.ceil(-shift)).astype(int) + inner
    mask[:top], mask[mask.shape[0] - bottom :], mask[:, :left], mask[:, mask.shape[1] - right :] = 0, 0, 0, 0
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
    shifted = to_image.copy()
    shifted[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    moved = shifted.copy()
    moved[:, 2] += shifted[:, :2] @ shift
    warped = cv2.warpAffine(crop, moved, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.warpAffine(soft, shifted, size, flags=cv2.INTER_LINEAR, borderValue=0)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    sample_rgb = match_colour(warped.astype(np.float32), region, weight)
    blended = multiband(sample_rgb, region, weight)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out
