"""The footage engine: each frame is a frame of the person's own footage, with a mouth from it too.

Base frames come from the clip in order (dubbing) or from the avatar's loop
plan (whose repeats are decoded once: `FrameSource.play`); mouth samples are
chosen for the whole utterance at once (`selection.select_samples`), then
each is warped from the canonical position onto its base frame's head,
colour-matched and blended in (`blend`). Only the lower face is redrawn, and
only where its mask reaches: drawing a frame costs less than `builtin`'s.
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
from .blend import colour_gain, multiband
from .selection import select_samples

FEATHER_IOD = 0.06  # the mask's edge is softened over about this width before blending
FEATHER_REACH = 2.9  # sigmas of the softening: beyond this the mask is under 0.2 %, nothing worth drawing
BLEND_ROOM_PX = 8  # beyond the mask's reach, for the blend's widest band to fade out
SUBPIXEL_BITS = 4  # the mask's outline is filled to 1/16 pixel
SUBPIXEL = 1 << SUBPIXEL_BITS
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
        fits = {int(b): avatar.canonical.fit(avatar.landmarks[b]) for b in np.unique(bases) if tracked(avatar, b)}
        turn = np.full((len(bases), 2), np.nan)
        for t, b in enumerate(bases):
            if int(b) in fits:
                turn[t] = head_turn(apply(fits[int(b)], avatar.landmarks[b]), avatar.iod)
        rms = frame_rms(speech.audio_16k, motion.fps, motion.n_frames)
        samples = select_samples(avatar.bank, motion, turn, rms)
        for t, (b, frame) in enumerate(zip(bases, avatar.frames.play(bases), strict=True)):
            if int(b) in fits:
                frame = compose(avatar, frame, int(b), fits[int(b)], int(samples[t]))
            yield sized(frame, prepared.width, prepared.height)


def sized(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    """`frame` at the output's size (a footage frame is at the clip's)."""
    if frame.shape[1] != width or frame.shape[0] != height:
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
    return frame


def tracked(avatar: Avatar, frame: int) -> bool:
    """Whether the face was found on footage frame `frame` (an untracked frame is shown as it is)."""
    return bool(np.isfinite(avatar.landmarks[frame, :, :2]).all())


def compose(avatar: Avatar, frame: np.ndarray, base: int, to_canonical: np.ndarray, sample: int) -> np.ndarray:
    """`frame` (footage frame `base`) with mouth sample `sample` laid over its lower face."""
    canonical, bank = avatar.canonical, avatar.bank
    iod = canonical.iod_px
    base_points = apply(to_canonical, avatar.landmarks[base])
    laying = Laying.of(bank.points[sample], base_points)
    polygon = mouth_mask_polygon(base_points, iod, lower=laying.move(bank.points[sample]))
    # Keep the softened mask inside the laid crop: its border is no edge of the face. (The crop's x depends on
    # the canonical u alone and its y on v alone, so what it covers is a rectangle in canonical pixels.)
    border = max(1, int(2 * FEATHER_IOD * iod))
    far = (canonical.width - 1 - border, canonical.height - 1 - border)
    (u0, v0), (u1, v1) = laying.move(np.array([(border, border), far], np.float64))
    u0, v0, u1, v1 = max(u0, 0.0), max(v0, 0.0), min(u1, canonical.width - 1.0), min(v1, canonical.height - 1.0)
    if u1 <= u0 or v1 <= v0:
        return frame
    # The mask is drawn and softened in the frame's own pixels, only where it reaches.
    to_image = invert(to_canonical)
    sigma = FEATHER_IOD * iod * float(np.hypot(to_image[0, 0], to_image[1, 0]))
    polygon = apply(to_image, polygon.astype(np.float64))
    crop_rect = apply(to_image, np.array([(u0, v0), (u1, v0), (u1, v1), (u0, v1)]))
    reach = FEATHER_REACH * sigma + BLEND_ROOM_PX
    low = np.maximum(polygon.min(axis=0), crop_rect.min(axis=0)) - reach
    high = np.minimum(polygon.max(axis=0), crop_rect.max(axis=0)) + reach
    h, w = frame.shape[:2]
    x0, y0 = max(0, int(np.floor(low[0]))), max(0, int(np.floor(low[1])))
    x1, y1 = min(w, int(np.ceil(high[0]))), min(h, int(np.ceil(high[1])))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return frame
    weight = _soft_mask((x1 - x0, y1 - y0), polygon - (x0, y0), crop_rect - (x0, y0), sigma)
    crop_x, crop_y = laying.maps(to_canonical, x0, x1, y0, y1)
    # One resampling, cubic, from the sample's crop straight into the frame (in float: OpenCV's is faster so).
    crop = bank.sample(sample).astype(np.float32)
    warped = cv2.remap(crop, crop_x, crop_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    region = frame[y0:y1, x0:x1]
    # Per channel, as a scalar: NumPy's broadcast over a last axis of 3 is ten times slower.
    cv2.multiply(warped, (*colour_gain(warped, region, weight).tolist(), 0.0), dst=warped)
    blended = multiband(warped, region.astype(np.float32), weight)
    out = frame.copy()
    out[y0:y1, x0:x1] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


def _soft_mask(size: tuple[int, int], polygon: np.ndarray, inside: np.ndarray, sigma: float) -> np.ndarray:
    """`polygon` cut to the convex `inside`, filled (1.0) and softened with `sigma`, as float32 of `size` (w, h).

    The softening is done at half size: a blur this wide looks the same, at a quarter of the cost.
    """
    mask = np.zeros((size[1], size[0]), np.uint8)
    cv2.fillPoly(mask, [np.round(polygon * SUBPIXEL).astype(np.int32)], 255, cv2.LINE_8, SUBPIXEL_BITS)
    crop = np.zeros_like(mask)
    cv2.fillConvexPoly(crop, np.round(inside * SUBPIXEL).astype(np.int32), 255, cv2.LINE_8, SUBPIXEL_BITS)
    cv2.bitwise_and(mask, crop, dst=mask)
    half = cv2.resize(mask, ((size[0] + 1) // 2, (size[1] + 1) // 2), interpolation=cv2.INTER_AREA)
    soft = cv2.GaussianBlur(half.astype(np.float32) * np.float32(1 / 255), (0, 0), sigma / 2)
    return cv2.resize(soft, size, interpolation=cv2.INTER_LINEAR)


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

    def maps(self, to_canonical: np.ndarray, x0: int, x1: int, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
        """For `cv2.remap`: the sample crop's pixel under each frame pixel of [x0, x1) x [y0, y1) (`to_canonical`,
        then the inverse of `move`). Each is a sum of a term in x and one in y (per side of the nose for x)."""
        xs, ys = np.arange(x0, x1, dtype=np.float64), np.arange(y0, y1, dtype=np.float64)
        m = to_canonical

        def outer(along_x: np.ndarray, along_y: np.ndarray) -> np.ndarray:
            return along_x.astype(np.float32)[None, :] + along_y.astype(np.float32)[:, None]

        across = outer(m[0, 0] * xs - self.base_nose[0], m[0, 1] * ys + m[0, 2])
        crop_x = across * np.where(across < 0, np.float32(1 / self.stretch_left), np.float32(1 / self.stretch_right))
        crop_x += np.float32(self.sample_nose[0])
        crop_y = outer(m[1, 0] * xs, m[1, 1] * ys + m[1, 2] + self.sample_nose[1] - self.base_nose[1])
        return crop_x, crop_y
