"""Where the video's frame lies on the photo: a square crop around the face, or the whole photo.

The crop never repeats edge pixels. The preferred square (head and shoulders)
is moved to lie inside the photo, then tightened, down to the tightest square
that still frames the face. A face the photo's edge cuts stays cut there, as
it would in footage framed the same way. Only when even the tightest square
cannot lie inside the photo (a photo narrower than it) is the photo extended past its edge,
by a mirror of itself that blurs with distance from the edge, so the new
pixels carry the photo's colours and light without any structure a viewer
could read as a smear or a second face. How each photo was framed is kept
(`Framing.how`) and goes into the result record.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import Face

FULL_MAX_SIDE_PX = 1920  # whole-photo videos are at most this large (H.264 level limits, sane files)
TIGHTEST_FACE_SHARE = 1.3  # the tightest square: this many times the face's larger extent (landmarks box)
FACE_MARGIN_SHARE = 0.06  # the square keeps at least this share of the face's extent free around it
# The extension past an edge, in shares of the photo's longer side: the mirror is blurred by
# NEAR_BLUR within NEAR of the edge and by FAR_BLUR beyond FAR.
EXTEND_NEAR_SHARE, EXTEND_NEAR_BLUR_SHARE = 0.02, 0.015
EXTEND_FAR_SHARE, EXTEND_FAR_BLUR_SHARE = 0.10, 0.06
SHARPEN_AMOUNT = 0.35  # unsharp mask after upscaling a small photo: enough to undo the filter's softness
SHARPEN_SIGMA_PX = 1.0  # in output pixels, per unit of upscaling

# How a photo was framed (`Framing.how`, `TalkResult.framing`).
INSIDE = "inside"  # the preferred square lies inside the photo
SHIFTED = "shifted"  # moved (the face off its centre) to lie inside the photo
TIGHTENED = "tightened"  # made smaller (and moved if needed) to lie inside the photo
EXTENDED = "extended"  # even the tightest square runs off the photo: the photo was extended past its edge
WHOLE = "whole"  # the whole photo (size 0)
FRAMINGS = (INSIDE, SHIFTED, TIGHTENED, EXTENDED, WHOLE)


@dataclass
class Framing:
    """The still picture every frame starts from, and the landmarks on it.

    `to_frame` maps photo pixels to frame pixels (2x3 affine); `how` is one of `FRAMINGS`;
    `upscaled` says whether the photo was enlarged to fill the frame.
    """

    image: np.ndarray
    landmarks: np.ndarray
    to_frame: np.ndarray
    how: str = INSIDE
    upscaled: bool = False

    @property
    def framed(self) -> str:
        """How the photo was framed, for the result record."""
        return self.how

    @property
    def width(self) -> int:
        return self.image.shape[1]

    @property
    def height(self) -> int:
        return self.image.shape[0]


def place_square(
    photo_w: int, photo_h: int, centre: tuple[float, float], side: float, face_box: tuple[float, float, float, float]
) -> tuple[int, int, int, str]:
    """The crop square (x0, y0, side, how) in photo pixels; it runs off the photo only when `how` is EXTENDED.

    `centre` and `side` are the preferred square; `face_box` (x0, y0, x1, y1) must stay in it,
    with a margin, where it lies inside the photo: past the photo's edge there is nothing to keep,
    and extending the photo there would only draw a blurred mirror of the face's edge (a chin
    smeared over the collar). The square is moved, then tightened (down to the tightest square),
    to lie inside the photo; failing that, the roomiest square that fits the photo's shorter side is used.
    """
    fx0, fy0, fx1, fy1 = face_box
    extent = max(fx1 - fx0, fy1 - fy0)
    margin = FACE_MARGIN_SHARE * extent
    tightest = min(side, max(TIGHTEST_FACE_SHARE * extent, extent + 2 * margin))

    def place(side_px: int) -> tuple[int, int, bool, bool]:
        corner, moved = [], False
        for c, lo_face, hi_face, length in ((centre[0], fx0, fx1, photo_w), (centre[1], fy0, fy1, photo_h)):
            start = c - side_px / 2
            inside = min(max(start, 0.0), float(length - side_px))
            # The face (with its margin, up to the photo's edge) stays in the square, whatever that costs.
            held = min(max(inside, min(hi_face + margin, length) - side_px), max(lo_face - margin, 0.0))
            corner.append(int(round(held)))
            moved |= abs(held - start) > 0.5
        x0, y0 = corner
        return x0, y0, 0 <= x0 and 0 <= y0 and x0 + side_px <= photo_w and y0 + side_px <= photo_h, moved

    preferred = max(2, int(round(side)))
    roomiest = max(2, int(round(max(tightest, min(side, photo_w, photo_h)))))
    for side_px in dict.fromkeys([preferred, roomiest, *np.linspace(roomiest, tightest, 6).round().astype(int)]):
        x0, y0, inside, moved = place(int(side_px))
        if inside:
            how = TIGHTENED if side_px < preferred else SHIFTED if moved else INSIDE
            return x0, y0, int(side_px), how
    x0, y0, _, _ = place(roomiest)
    return x0, y0, roomiest, EXTENDED


def extend(image: np.ndarray, left: int, top: int, right: int, bottom: int) -> np.ndarray:
    """The photo with `left` .. `bottom` pixels added on each side: a mirror of it, blurring with distance.

    At the edge the mirror continues the photo without a seam; within a few pixels
    it blurs, then blurs further to a soft wash of the photo's own colours and
    light, so no mirrored feature (an eye, a chin) can be read in it.
    """
    if not (left or top or right or bottom):
        return image
    h, w = image.shape[:2]
    scale = max(h, w)
    mirrored = cv2.copyMakeBorder(image, top, bottom, left, right, cv2.BORDER_REFLECT_101)
    levels = [mirrored.astype(np.float32)] + [
        cv2.GaussianBlur(mirrored, (0, 0), max(1.0, share * scale), borderType=cv2.BORDER_REFLECT_101).astype(
            np.float32
        )
        for share in (EXTEND_NEAR_BLUR_SHARE, EXTEND_FAR_BLUR_SHARE)
    ]
    ys, xs = np.ogrid[: mirrored.shape[0], : mirrored.shape[1]]
    outside = np.maximum(
        np.maximum(left - xs, xs - (left + w - 1)).clip(0),
        np.maximum(top - ys, ys - (top + h - 1)).clip(0),
    ).astype(np.float32)[..., None]
    near, far = max(2.0, EXTEND_NEAR_SHARE * scale), max(4.0, EXTEND_FAR_SHARE * scale)

    def ease(x):
        x = np.clip(x, 0, 1)
        return x * x * (3 - 2 * x)

    to_near = ease(outside / near)
    to_far = ease((outside - near) / (far - near))
    out = levels[0] + to_near * (levels[1] - levels[0])
    out = out + to_far * (levels[2] - out)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def resample(image: np.ndarray, width: int, height: int) -> tuple[np.ndarray, bool]:
    """`image` at width x height: area averaging to shrink, Lanczos and a mild sharpen to enlarge."""
    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image, False
    if width <= w and height <= h:
        return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), False
    up = cv2.resize(image, (width, height), interpolation=cv2.INTER_LANCZOS4)
    sigma = SHARPEN_SIGMA_PX * max(width / w, height / h) ** 0.5
    soft = cv2.GaussianBlur(up, (0, 0), sigma)
    return cv2.addWeighted(up, 1 + SHARPEN_AMOUNT, soft, -SHARPEN_AMOUNT, 0), True


def frame_face(face: Face, size: int) -> Framing:
    """`size` > 0: a `size` x `size` crop around the face; 0: the whole photo (even sides, capped)."""
    h, w = face.image.shape[:2]
    if size > 0:
        cx, cy, side = face.portrait_box()
        x0, y0, side_px, how = place_square(w, h, (cx, cy), side, face.box)
        pads = (max(0, -x0), max(0, -y0), max(0, x0 + side_px - w), max(0, y0 + side_px - h))
        source = extend(face.image, *pads)
        ox, oy = x0 + pads[0], y0 + pads[1]
        image, upscaled = resample(source[oy : oy + side_px, ox : ox + side_px], size, size)
        # cv2.resize keeps pixel centres: frame = (photo - corner + 0.5) * scale - 0.5
        scale = sx = sy = size / side_px
        tx, ty = (0.5 - x0) * scale - 0.5, (0.5 - y0) * scale - 0.5
    else:
        scale = min(1.0, FULL_MAX_SIDE_PX / max(w, h))
        out_w, out_h = int(w * scale) // 2 * 2, int(h * scale) // 2 * 2
        if scale == 1.0:  # only the odd row or column goes
            image, upscaled, sx, sy, tx, ty = face.image[:out_h, :out_w].copy(), False, 1.0, 1.0, 0.0, 0.0
        else:
            image, upscaled = resample(face.image, out_w, out_h)
            sx, sy = out_w / w, out_h / h
            tx, ty = 0.5 * sx - 0.5, 0.5 * sy - 0.5
        how = WHOLE
    to_frame = np.array([[sx, 0, tx], [0, sy, ty]], dtype=np.float64)
    landmarks = face.landmarks.astype(np.float64).copy()
    landmarks[:, :2] = landmarks[:, :2] @ to_frame[:, :2].T + to_frame[:, 2]
    landmarks[:, 2] *= sx
    return Framing(np.ascontiguousarray(image), landmarks.astype(np.float32), to_frame, how, upscaled)
