"""What shows when the lips part: upper and lower teeth, the tongue, a dark cavity with depth.

The opening lies between the two bite lines of the mesh. It is painted in a
frame aligned with the mouth corners: u runs from one corner (0) to the other
(1), and the upper and lower edges are smooth curves through the moved bite
points, so the opening has round, anti-aliased edges whatever the mesh does.

Everything inside is lit the way the photo is lit: light comes in through the
lips from the front, so the teeth lie in the lips' shadow where they meet
them, are brightest just below that and at the middle, and fall off toward
the corners and into the cavity; the side the photo's light comes from is a
little brighter. The cavity and tongue take the lips' colour; the teeth are
ivory, as bright as the light on the cheeks allows (the skin's own red is not
the light's); a grey photo gets a grey mouth. A photo that shows its own teeth
keeps them: only the cavity and the tongue are painted between its rows.
Nothing painted is sharper than the photo (`sharpness`): the teeth are as soft as
its eye outlines, the opening's outline a little softer, as real inner lips are.
Closed lips meet along a dark line, drawn while they are closed or nearly so.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.interpolate import PchipInterpolator

from ...face import regions
from .deform import smoothstep
from .mesh import Mesh
from .sharpness import eye_blur_px

# How much of each row shows, fitted to the footage clips (`python -m bench.mouth_light --teeth`): real speakers
# show more of the lower teeth than of the upper, whose relaxed lip covers them. At 0.16-0.22 IOD apart the real
# upper row shows 5-17 thousandths of an IOD squared (34 on the one smiling speaker), the lower 24-40. An upper
# row growing to 0.08 IOD with the opening showed 19-23 on every clip, two rows split by a dark band to an
# unlabelled viewer; capped at 0.04 it shows 10-16. A smile lifts the lip off more (`SPREAD_BARES_UPPER`).
UPPER_TEETH_SHOW_IOD = 0.02  # upper incisors showing below a relaxed upper lip
UPPER_TEETH_SHARE = 0.1  # and this share of the opening, as the upper lip lifts off them
UPPER_TEETH_MAX_IOD = 0.04
# Which row shows is the speaker's own: two of the footage speakers show their upper teeth from the moment the
# lips part (the opening's upper 40 % 0.42-1.13 of the cheeks, `bench.mouth_light --rows`), two their lower teeth
# under a dark top (0.08-0.31). A photo with its lips apart tells which: its upper teeth show below the upper lip
# as far as they will in speech (Radio2 0.056 and 0.059 IOD, Katie Hill 0.047 and 0.084, Bob Menendez and Ed Markey 0),
# and that replaces the growth above (`photo_upper_teeth`).
PHOTO_ROWS_MIN_GAP_IOD = 0.1  # lips at least this far apart in the photo show which row there is
TEETH_OVER_CHEEKS = 0.6  # teeth, even in the lips' shadow, are at least this bright against the cheeks
LOWER_TEETH_FROM_IOD = 0.05  # lower teeth show once the lips are this far apart
LOWER_TEETH_SHARE = 0.6  # then grow by this share of the extra opening
LOWER_TEETH_MAX_IOD = 0.09
# Real speakers' teeth, R:G:B (the footage clips' brightest tenth between the lips: 0.99-1.13 : 1 : 0.86-0.95)
TEETH_IVORY = np.array([1.07, 1.0, 0.91])
# A photo that shows its teeth gives their colour (Bob Menendez's are yellow, B/G 0.84-0.86; Katie Hill's neutral,
# R/G 0.99-1.01) even when its mouth is closed before anything moves: the brightest tenth of what lies between
# its lips, as `TEETH_IVORY` was read. Painted, a colour reads redder and bluer than it is (in the lips' warm
# shadow, through the encoder): the ivory reads 1.145 : 1 : 0.945 in our videos, so a photo's own reading is
# taken back by as much.
IVORY_READS = np.array([1.145, 1.0, 0.945])
MIN_TEETH_PIXELS = 100  # between the lips, for their brightest tenth to be teeth worth reading
TEETH_MAX_RED = 1.3  # a brightest tenth redder than this (R/G) is lip or tongue: no teeth show
# and their brightness over the cheeks', for the teeth's lit middles: the brightest tenth between the lips then
# matches the real clips' (1.5 did before each tooth was shaded round and the side teeth darker: 0.78 of it)
TEETH_OVER_SKIN = 1.8
TEETH_HALF_WIDTH = 0.40  # share of the mouth width either side of the middle that shows teeth
LOWER_TEETH_HALF_WIDTH = 0.34
# Visible widths (share of the mouth's width, about 50 mm) from the middle out: incisors (8.5 mm), laterals
# (6.5 mm), canines and premolars seen more and more from the side; real speakers show four or five a side.
UPPER_TOOTH_WIDTHS = (0.16, 0.12, 0.085, 0.06, 0.05)
LOWER_TOOTH_WIDTHS = (0.1, 0.11, 0.09, 0.06, 0.05)  # the lower incisors are narrower (5.5 mm)
# What makes a row read as teeth rather than one slab (an unlabelled viewer's first cue): each tooth's biting
# edge rounds off at its corners, leaving a dark notch between neighbours, and each is convex, lit in its
# middle and shaded toward its sides, with a dark line where two meet.
TOOTH_CORNER_ROUND = 0.14  # the biting edge rises this share of the tooth's visible height at its corners
TOOTH_SIDE_SHADE = 0.1  # a tooth's sides are this much darker than its middle
# The line between two teeth is this much darker at the biting edge (fainter under the lip), this half width: the
# lower teeth's tooth-to-tooth ripple (`bench.mouth_light --separation`) reads 0.05-0.07 on the real clips at
# 0.12-0.22 IOD apart; at 0.3 and 0.9 px ours read 0.03-0.06, an even band ("teeth as one white band without
# separate teeth", eight of eight made strips to an unlabelled viewer); now 0.03-0.07 (mean 0.055, real 0.058).
TOOTH_GAP_SHADE = 0.42
TOOTH_LINE_PX = 1.1
# Real teeth are uneven (an unlabelled viewer: ours "a neat row of evenly spaced, bead-like teeth"): each shows a
# little longer or shorter and a little lighter or darker than its neighbours, by up to these shares.
TOOTH_LENGTH_SPREAD = 0.12
TOOTH_SHADE_SPREAD = 0.08
# Teeth in shadow take the warm light the lips and mouth reflect onto them, not a darker ivory (which reads
# olive: "greenish-grey teeth", an unlabelled viewer): in full shadow they are this share of the lips' colour.
TEETH_SHADOW_LIPS = 0.3
# Light reaches the inside of the mouth through its own tissue: what is dark between real lips is a deep red,
# R:G:B 2.9-5.3 : 1 : 0.86-0.95 on the footage clips (the pixels between the lips darker than 0.35 of the cheeks,
# at 0.12-0.3 IOD apart); the lips' own colour darkened read 1.9-2.9 : 1, "a flat, pure-black opening" to a
# viewer. This tint reads 2.7-3.8 : 1 there; 4 : 1 (3.5-4.5 at a lighter shade) cost the small, turned face of
# the group photo its lip sync (r 0.596 on one seed, the landmarker reading the red as lip).
CAVITY_RED = np.array([3.0, 1.0, 0.9])
SIDE_TEETH_SHADE = 0.4  # the last teeth, turning away into the cheeks' shadow, are this much darker
SPREAD_CLOSES_TEETH = 0.6  # lips fully drawn back leave this share less dark between the rows
SPREAD_BARES_UPPER = 0.7  # and this share of what they bare is upper teeth
# The tongue lies low behind the lower teeth: real open mouths show it little, the dark of the mouth above the
# lower row across the middle. It filled half of what lay above the lower teeth, the dark then pushed out to the
# corners of a box-like opening (black wedges either side of the teeth, "a sticker" to an unlabelled viewer); in a
# lens-shaped opening (`CORNER_TAPER_U`) a fifth leaves the dark area of the real speakers (`bench.mouth_light
# --dark` at 0.16-0.22 IOD apart: 33-40 thousandths of an IOD squared, real 23-49).
TONGUE_SHARE = 0.2
TONGUE_TIP_SHARE = 0.65  # a raised tip (l, t, d, n, th) reaches this share of the opening
TONGUE_TIP_HALF_WIDTH = 0.17  # share of the mouth width
EDGE_PX = 1.2  # soft edge where the lips meet the opening
# Nothing painted sharper than the photo: the teeth as soft as its eye outlines (a soft photo with crisp teeth, or
# teeth blurrier than the lips, gives the painting away), the opening's outline softer still, as real inner lips
# are (`bench.mouth_light --edges`: re-blur widths over the same frame's eye outlines 0.97-1.41, mean 1.22, on the
# four footage clips; ours were 0.82-1.05, an outline cut into the lips, an unlabelled viewer's cue).
OUTLINE_OVER_EYES_BLUR = 1.25
PAINTED_BLUR_PX = 0.85  # what a painted edge measures already, at 512 px through the encoder (session-start tree)
MIN_SOFTEN_PX = 0.15  # less is not worth a blur
# The lips' wet inner faces, rolling into the mouth, show as a band of darker lip just inside the opening: real
# openings are half as bright as the cheeks between the lips at 0.04-0.16 IOD apart (`bench.mouth_light
# --inside`), ours were a fifth, a hard dark slit cut into the lips (an unlabelled viewer's cue).
INNER_LIP_SHADE = 0.65  # of the lips' colour
INNER_LIP_IOD = 0.02  # the band's width, at most a quarter of the opening
SLIT_IOD = 0.08  # and a mouth opened less than this shows less and less of its inside between the lips
LIP_SHADOW = 0.45  # teeth just under a lip are this bright, in its shadow (lit there, they read as lip)
LIP_SHADOW_IOD = 0.05  # and full bright this far from it
# Upper teeth a photo shows right under its lip (`photo_upper_teeth`) are lit there: at 0.45 they read 0.52-0.58 of
# the cheeks in the opening's upper 40 % on Katie Hill's first frame against her 0.76-1.07 (Radio2 0.66-0.70 against
# 0.65-0.82); at 0.8, 0.63-0.69 and 0.73-0.79 (`bench.mouth_light --rows`), lip sync and closures as they were.
SHOWN_UPPER_LIP_SHADOW = 0.8
# Upper teeth a photo hides (`photo_upper_teeth` 0: Bob Menendez, Ed Markey's open frame) are still there, in the
# upper lip's shadow: at 0.04-0.22 IOD apart the opening's upper 40 % reads 0.15-0.31 of the cheeks on their clips,
# darker (0.08-0.14) once the lips part wider; drawn without them, a black band 0.09-0.12 over the lower row (a
# "flat black slot", an unlabelled viewer's cue), its dark area 1.6-1.8x theirs (`bench.mouth_light --rows, --dark`).
HIDDEN_UPPER_TEETH_LIGHT = 0.4
HIDDEN_UPPER_FADE_IOD = (0.16, 0.26)  # and fading to nothing between these openings
CURVE_SAMPLES = 128  # points along the mouth where the opening's edges are evaluated
# Real lips part in the middle first: an opening of any size is a lens, its height falling from mid-mouth toward
# the corners. Height of what is not lip (dark or teeth) across the mouth over mid-mouth's, at 0.4-0.6 / 0.6-0.8 /
# 0.8-1 of the way to a corner, at 0.16-0.3 IOD apart: real 0.57-0.86 / 0.21-0.57 / 0.05-0.23 on the footage
# clips; ours tapered over the last fifth only, 0.85-1.03 / 0.55-0.63 / 0.01-0.07, a box with black wedges at its
# ends; tapered over half the mouth's width (the height times 1 - u^2, u from the middle to a corner) it is
# 0.63-0.75 / 0.25-0.35 / 0-0.04, and 0.53-0.61 / 0.21-0.31 / 0-0.03 with the tongue lower (`TONGUE_SHARE`, the
# middle's dark taller). At 0.04-0.1 IOD apart: real 0.37-0.78 / 0.06-0.44, ours 0.92-2.0 / 0.38-0.66, now
# 0.70-0.81 / 0.22-0.46.
CORNER_TAPER_U = 0.5
MIN_GAP_PX = 0.6  # narrower openings are left to the warp
# Where closed lips meet, a dark line (`bench.mouth_light --seam`: the darkest pixel along the landmarker's lip
# line over the skin above the upper lip). The footage clips' closed mouths read 0.05-0.40 (medians per clip);
# our photos closed for them read 0.55-0.71 on three of the four (a pale seam, lips "melted" together to a
# viewer), 0.39-0.45 with the line. Lips that meet are darkened along it toward this share of the cheeks'
# brightness (never lightened), the line fading as they part: drawn into the closed photo instead, it split into
# a dark rim round every opening.
SEAM_OVER_SKIN = 0.22
SEAM_IOD = 0.012  # the line's half width (std of its profile) before the photo's own blur
SEAM_FADE_IOD = 0.03  # gone once the lips are this far apart, where the opening's own painting takes over
LIGHT_SIDE_SHARE = 0.15  # brightness difference across the mouth for a photo lit from one side
# A narrow opening lets in less light: inside it everything is this much as bright as in a wide one, rising to
# full between these openings (IOD). Fitted to the footage clips' brightest tenth between the lips over the
# cheeks, against the opening: 0.6-0.8 at openings of 0.04-0.08 IOD, full from about 0.2 (painted teeth were
# as bright at 0.05 as at 0.2, and an unlabelled viewer named "teeth whiter than the person's own").
NARROW_LIGHT = 0.72
NARROW_UNTIL_IOD, FULL_LIGHT_IOD = 0.08, 0.18
NARROW_TEETH_SPREAD = 0.6  # and the teeth shown span this share of their full width
NARROW_GAP_BELOW = 0.25  # of a wide opening, dark under the upper teeth (a narrow one's reach the lower lip)
SAMPLE_RADIUS_IOD = 0.1
CHEEK_POINTS = (205, 425)  # Face Landmarker points on the cheeks, the subject's right and left


def _disc_pixels(image: np.ndarray, centre: np.ndarray, radius: float) -> np.ndarray:
    h, w = image.shape[:2]
    x0, x1 = int(max(centre[0] - radius, 0)), int(min(centre[0] + radius + 1, w))
    y0, y1 = int(max(centre[1] - radius, 0)), int(min(centre[1] + radius + 1, h))
    if x1 <= x0 or y1 <= y0:
        return np.zeros((0, 3), np.float32)
    ys, xs = np.mgrid[y0:y1, x0:x1]
    inside = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2
    return image[y0:y1, x0:x1][inside].astype(np.float32)


def _cheek_pixels(image: np.ndarray, landmarks: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """The pixels (RGB) of a disc on each cheek, under the eyes: the subject's right, then left."""
    right, left = (_disc_pixels(image, landmarks[i, :2], radius) for i in CHEEK_POINTS)
    return right, left


def _polygon_pixels(image: np.ndarray, polygons: list[np.ndarray]) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    for polygon in polygons:
        cv2.fillPoly(mask, [np.round(polygon).astype(np.int32)], 1)
    return image[mask.astype(bool)].astype(np.float32)


def _between_lips(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The pixels (RGB) between the inner lip lines."""
    return _polygon_pixels(image, [landmarks[list(regions.LIPS_INNER_UPPER + regions.LIPS_INNER_LOWER[::-1]), :2]])


def _lip_pixels(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    mask = np.zeros(image.shape[:2], np.uint8)
    outer = np.array([landmarks[i, :2] for i in regions.LIPS_OUTER_UPPER + regions.LIPS_OUTER_LOWER[::-1]], np.int32)
    inner = np.array([landmarks[i, :2] for i in regions.LIPS_INNER_UPPER + regions.LIPS_INNER_LOWER[::-1]], np.int32)
    cv2.fillPoly(mask, [outer], 1)
    cv2.fillPoly(mask, [inner], 0)
    pixels = image[mask.astype(bool)]
    middle = image.shape[0] // 2
    return pixels if len(pixels) else image[middle : middle + 1, :].reshape(-1, 3)


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.299, 0.587, 0.114])


def photo_teeth_tint(image: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """The colour (R:G:B, G = 1) of the teeth a photo shows between its inner lips: the median of the brightest
    tenth there. None where too little lies between the lips, or it is lip or tongue rather than teeth."""
    between = _between_lips(image, landmarks)
    if len(between) < MIN_TEETH_PIXELS:
        return None
    brightness = _luma(between)
    colour = np.median(between[brightness >= np.percentile(brightness, 90)], axis=0)
    if colour[1] < 1 or colour[0] > TEETH_MAX_RED * colour[1]:
        return None
    return colour / colour[1]


def photo_upper_teeth(image: np.ndarray, landmarks: np.ndarray, iod: float) -> float | None:
    """How far the photo's upper teeth show below its upper lip mid-mouth, in IOD (0: hidden). None where its lips
    are under `PHOTO_ROWS_MIN_GAP_IOD` apart, or no teeth show between them (it cannot tell)."""
    upper_line = landmarks[list(regions.LIPS_INNER_UPPER), :2]
    lower_line = landmarks[list(regions.LIPS_INNER_LOWER), :2]
    middle = slice(3, 8)  # the five middle points of each inner lip line
    if float(np.median(np.linalg.norm(lower_line[middle] - upper_line[middle], axis=1))) < PHOTO_ROWS_MIN_GAP_IOD * iod:
        return None
    radius = SAMPLE_RADIUS_IOD * iod
    cheeks = np.concatenate(_cheek_pixels(image, landmarks, radius))
    if not len(cheeks):
        return None
    bright = TEETH_OVER_CHEEKS * float(np.median(_luma(cheeks)))
    h, w = image.shape[:2]
    upper, lower = [], []
    for top, bottom in zip(upper_line[middle], lower_line[middle]):
        steps = np.linspace(0, 1, max(int(np.linalg.norm(bottom - top)), 2))
        xy = np.round(top + steps[:, None] * (bottom - top)).astype(int)
        pixels = image[np.clip(xy[:, 1], 0, h - 1), np.clip(xy[:, 0], 0, w - 1)].astype(np.float64)
        column = (_luma(pixels) >= bright) & (pixels[:, 0] < TEETH_MAX_RED * np.maximum(pixels[:, 1], 1))
        upper.append(_teeth_run(column))
        lower.append(_teeth_run(column[::-1]))
    if max(np.median(upper), np.median(lower)) == 0:
        return None
    return float(np.median(upper)) / iod


def _teeth_run(column: np.ndarray) -> int:
    """Pixels of teeth from a lip into the opening: a run that starts in the first third of `column`."""
    starts = np.flatnonzero(column[: max(1, len(column) // 3)])
    if not len(starts):
        return 0
    gaps = np.flatnonzero(~column[starts[0] :])
    return int(gaps[0]) + int(starts[0]) if len(gaps) else len(column)


def _teeth_across(across: np.ndarray, widths: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where each pixel lies on its tooth, from `across` (|u - 0.5|): -1..1 from one side to the other
    (0 in its middle), its distance to the nearer side, both in u, and which tooth from the middle out."""
    edges = np.cumsum((0.0,) + widths)
    k = np.clip(np.searchsorted(edges, across, side="right") - 1, 0, len(widths) - 1)
    start, width = edges[k], np.asarray(widths)[k]
    position = np.clip(2 * (across - start) / width - 1, -1, 1)
    return position, (1 - np.abs(position)) * width / 2, k


class MouthPainter:
    """Paints the mouth opening of each frame over the warped photo."""

    def __init__(
        self,
        image: np.ndarray,
        landmarks: np.ndarray,
        iod: float,
        mesh: Mesh,
        teeth_tint: np.ndarray | None = None,
        upper_teeth_iod: float | None = None,
    ):
        """`teeth_tint`: the colour of the teeth the photo showed before its mouth was closed (`photo_teeth_tint`);
        `upper_teeth_iod`: how far its upper teeth showed below the upper lip (`photo_upper_teeth`)."""
        self.upper, self.lower = list(mesh.bite_upper), list(mesh.bite_lower)
        self.iod = iod
        self.upper_teeth_iod = upper_teeth_iod
        self.photo_teeth = mesh.shows_teeth
        # No two teeth alike: each its own length and shade, the same in every frame (rows x sides x teeth).
        uneven = np.random.default_rng(0).uniform(-1, 1, (2, 2, len(UPPER_TOOTH_WIDTHS), 2))
        self.tooth_length = 1 + TOOTH_LENGTH_SPREAD * uneven[..., 0]
        self.tooth_shade = 1 + TOOTH_SHADE_SPREAD * uneven[..., 1]
        # The blur still to add: to the teeth, the photo's own less what painting gets anyway; to the opening's
        # outline, its wider blur less the ramp at its edge (a box EDGE_PX wide).
        eye_blur = eye_blur_px(image, landmarks)
        self.soften_px = float(np.sqrt(max(eye_blur**2 - PAINTED_BLUR_PX**2, 0.0)))
        self.outline_px = float(np.sqrt(max((OUTLINE_OVER_EYES_BLUR * eye_blur) ** 2 - EDGE_PX**2 / 12, 0.0)))
        # A thin line seen through the photo's blur: wider by it, and lighter by as much.
        self.seam_px = max(float(np.hypot(SEAM_IOD * iod, eye_blur)), 0.5)
        self.seam_peak = min(SEAM_IOD * iod / self.seam_px, 1.0)
        radius = SAMPLE_RADIUS_IOD * iod
        lips = np.median(_lip_pixels(image, landmarks).astype(np.float32), axis=0)
        right_cheek, left_cheek = _cheek_pixels(image, landmarks, radius)
        skin_pixels = np.concatenate([right_cheek, left_cheek, _disc_pixels(image, landmarks[199, :2], radius)])
        skin = np.median(skin_pixels, axis=0) if len(skin_pixels) else lips
        self.seam_luma = SEAM_OVER_SKIN * float(_luma(skin))
        # The side the light comes from: the brighter cheek (image left is -1).
        sides = [float(np.median(_luma(c))) if len(c) else 0.0 for c in (right_cheek, left_cheek)]
        self.light_side = float(np.clip((sides[1] - sides[0]) / max(sum(sides) / 2, 1.0) * 2, -1, 1))
        # Eye whites: the brightest, least coloured pixels inside the eyes.
        eyes = _polygon_pixels(image, [landmarks[list(regions.RIGHT_EYE), :2], landmarks[list(regions.LEFT_EYE), :2]])
        white = None
        if len(eyes) >= 12:
            bright = eyes[_luma(eyes) >= np.percentile(_luma(eyes), 75)]
            white = np.median(bright, axis=0)
        sample = image.reshape(-1, 3)[:: max(1, image.size // 30000)].astype(np.int16)
        grey = int(np.ptp(sample, axis=1).max()) < 8

        # Teeth: ivory, as bright as the photo's light allows. Not tinted by the skin: its red is its own,
        # not the light's, and pink teeth read as more lip to a viewer and to a landmark model alike.
        teeth_luma = float(
            np.clip(max(TEETH_OVER_SKIN * float(_luma(skin)), 0.95 * _luma(white) if white is not None else 0), 60, 235)
        )
        tint = TEETH_IVORY if teeth_tint is None else teeth_tint * TEETH_IVORY / IVORY_READS
        self.teeth = np.clip(tint * teeth_luma / float(_luma(tint)), 0, 250)
        if self.photo_teeth:  # its own teeth, where they show: the brighter part of what lies between the lips
            between = _between_lips(image, landmarks)
            if len(between) >= 12:
                self.teeth = np.median(between[_luma(between) >= np.percentile(_luma(between), 60)], axis=0)
        self.teeth_shadow = lips * TEETH_SHADOW_LIPS
        self.inner_lip = lips * INNER_LIP_SHADE
        # The inside of the lips and cheeks catching some light, and toward the throat: as bright as these shares
        # of the lips, and a deeper red than they are. What is dark between real lips is 0.05-0.17 of the cheeks'
        # brightness (median per clip); at 0.42 and 0.12 of the lips ours read 0.13-0.18, "a flat cartoon-red blob"
        # to a viewer; at 0.3 and 0.06, 0.10-0.12.
        cavity = CAVITY_RED / _luma(CAVITY_RED) * float(_luma(lips))
        self.cavity_near, self.cavity_deep = cavity * 0.3, cavity * 0.06
        self.tongue = np.clip(lips * np.array([0.92, 0.70, 0.70]) * 0.85 + 6, 0, 255)
        if grey:
            for name in ("teeth", "teeth_shadow", "inner_lip", "cavity_near", "cavity_deep", "tongue"):
                setattr(self, name, np.full(3, float(getattr(self, name).mean())))

    def paint(
        self,
        region: np.ndarray,
        points: np.ndarray,
        origin: tuple[int, int],
        tongue_up: float = 0.0,
        spread: float = 0.0,
    ) -> None:
        """Draw the opening into `region` (the warped frame region, modified in place).

        `tongue_up` 0..1 raises the tongue's tip toward the upper teeth (l, t, d, n, th); `spread` 0..1, lips
        drawn back ("ee", a smile), bares the teeth, their rows close together in the opening.
        """
        upper = points[self.upper] - origin
        lower = points[self.lower] - origin
        widest = float(np.max(np.linalg.norm(lower - upper, axis=1)))
        if widest < SEAM_FADE_IOD * self.iod and not self.photo_teeth:  # a grin's own teeth lie between its lips
            self._darken_seam(region, (upper + lower) / 2, 1 - widest / (SEAM_FADE_IOD * self.iod))
        if widest < MIN_GAP_PX:
            return
        left, right = upper[0], upper[-1]
        axis = (right - left) / max(np.linalg.norm(right - left), 1e-6)
        normal = np.array([-axis[1], axis[0]])  # points from the upper lip toward the lower
        length = max(float(np.linalg.norm(right - left)), 1e-6)

        def to_mouth(xy):
            d = xy - left
            # Products written out: a matrix product this size goes to BLAS and wakes its threads.
            return (d[:, 0] * axis[0] + d[:, 1] * axis[1]) / length, d[:, 0] * normal[0] + d[:, 1] * normal[1]

        u_up, t_up = to_mouth(upper)
        u_low, t_low = to_mouth(lower)
        top = PchipInterpolator(*_monotone(u_up, t_up))
        bottom = PchipInterpolator(*_monotone(u_low, t_low))

        box = np.concatenate([upper, lower])
        margin = 2 + int(np.ceil(3 * self.outline_px))
        x0, y0 = np.maximum(np.floor(box.min(axis=0)).astype(int) - margin, 0)
        x1, y1 = np.ceil(box.max(axis=0)).astype(int) + margin + 1
        x1, y1 = min(x1, region.shape[1]), min(y1, region.shape[0])
        if x1 <= x0 or y1 <= y0:
            return
        ys, xs = np.mgrid[y0:y1, x0:x1]
        u, t = to_mouth(np.stack([xs, ys], axis=-1).reshape(-1, 2).astype(np.float64))
        inside_u = (u > 0) & (u < 1)
        uc = np.clip(u, 0, 1)
        # The edges sampled once along the mouth; the lips meet at the corners, where the moved bite
        # lines may still be apart (the opening would end in a blunt dark wall).
        along = np.linspace(0, 1, CURVE_SAMPLES)
        curve_top, curve_bottom = top(along), bottom(along)
        middle, half = (curve_top + curve_bottom) / 2, (curve_bottom - curve_top) / 2
        taper = np.clip(np.minimum(along, 1 - along) / CORNER_TAPER_U, 0, 1)
        half *= taper * (2 - taper)
        curve_top, curve_bottom = middle - half, middle + half
        t_top, t_bottom = np.interp(uc, along, curve_top), np.interp(uc, along, curve_bottom)
        # Distances across a steep edge (near the corners) are shorter than straight across the mouth:
        # measured straight across, the soft edge would turn into a stair of hard pixels there.
        steep_top, steep_bottom = (
            np.interp(uc, along, np.hypot(1, np.gradient(curve, along) / length)) for curve in (curve_top, curve_bottom)
        )
        gap = np.maximum(t_bottom - t_top, 1e-6)
        from_top, from_bottom = t - t_top, t_bottom - t
        nearest = np.minimum(from_top / steep_top, from_bottom / steep_bottom)
        edge = np.clip(nearest / EDGE_PX + 0.5, 0, 1) * inside_u
        edge = edge * edge * (3 - 2 * edge) * np.clip(gap / (2 * EDGE_PX), 0, 1)
        keep = edge > 0.01
        if not keep.any():
            return
        u = uc[keep]
        gap, from_top, from_bottom, edge = gap[keep], from_top[keep], from_bottom[keep], edge[keep]
        across = np.abs(u - 0.5)
        mid_gap = float(np.max(gap))
        iod = self.iod

        # Light through the lips: strongest in the middle and just inside the lips, falling
        # off toward the corners and toward the throat; a little more on the lit side.
        frontal = np.clip(1 - (2 * across) ** 2, 0, 1) * (1 + LIGHT_SIDE_SHARE * self.light_side * (2 * u - 1))
        depth = np.exp(-np.minimum(from_top, from_bottom) / max(0.2 * mid_gap, 1.0))
        light = np.clip(frontal * (0.35 + 0.65 * depth), 0, 1.2)
        colour = self.cavity_deep + (self.cavity_near - self.cavity_deep) * light[:, None]

        opening = _opened(mid_gap / iod)
        if self.upper_teeth_iod:
            upper_shown = self.upper_teeth_iod * iod
        else:  # the usual rule; where the photo hides them (0), they are there, in the upper lip's shadow
            upper_shown = min(UPPER_TEETH_SHOW_IOD * iod + UPPER_TEETH_SHARE * mid_gap, UPPER_TEETH_MAX_IOD * iod)
        upper_light = 1.0
        if self.upper_teeth_iod == 0:
            fade = (mid_gap / iod - HIDDEN_UPPER_FADE_IOD[0]) / (HIDDEN_UPPER_FADE_IOD[1] - HIDDEN_UPPER_FADE_IOD[0])
            upper_light = HIDDEN_UPPER_TEETH_LIGHT * (1 - float(smoothstep(np.asarray(fade))))
        upper_height = min(upper_shown, (1 - NARROW_GAP_BELOW * opening) * mid_gap)
        lower_height = min(LOWER_TEETH_SHARE * max(mid_gap - LOWER_TEETH_FROM_IOD * iod, 0), LOWER_TEETH_MAX_IOD * iod)
        # Lips drawn back bare both rows, which stand close together: the dark between them shrinks, most of it
        # from above, as the upper lip lifts off the teeth it covered.
        closer = SPREAD_CLOSES_TEETH * float(np.clip(spread, 0, 1)) * max(mid_gap - upper_height - lower_height, 0)
        upper_height += SPREAD_BARES_UPPER * closer
        lower_height += (1 - SPREAD_BARES_UPPER) * closer

        # The tongue lies low, its back rising behind the lower teeth; its tip rises for l, t, d, n, th.
        behind = np.minimum(lower_height, gap)
        rest = (behind + TONGUE_SHARE * (gap - behind)) * np.clip(1 - (across / 0.4) ** 2, 0, 1)
        tip = TONGUE_TIP_SHARE * gap * np.sqrt(np.clip(1 - (across / TONGUE_TIP_HALF_WIDTH) ** 2, 0, 1))
        tongue_top = np.maximum(rest, float(np.clip(tongue_up, 0, 1)) * tip)
        tongue = np.clip((tongue_top - from_bottom) / 1.5, 0, 1) * np.clip(gap / (0.06 * iod), 0, 1)
        # Its upper surface catches the light; just behind the lower lip it lies in the lip's shadow (lit
        # there, a thin tongue drew a pale line along the lip, read as an outline).
        tongue_light = np.clip(0.6 + 0.4 * frontal * np.clip(from_bottom / np.maximum(tongue_top, 1e-3), 0, 1), 0, 1.1)
        tongue_light *= LIP_SHADOW + (1 - LIP_SHADOW) * np.clip(from_bottom / (LIP_SHADOW_IOD * iod), 0, 1)
        colour = colour + (self.tongue[None, :] * tongue_light[:, None] - colour) * tongue[:, None]
        band = np.minimum(INNER_LIP_IOD * iod, 0.25 * gap)
        inner_lip = 1 - smoothstep(np.minimum(from_top, from_bottom) / np.maximum(band, 1e-3))
        slit = 1 - float(smoothstep(np.asarray(mid_gap / (SLIT_IOD * iod))))
        colour = colour + (self.inner_lip[None, :] - colour) * np.maximum(inner_lip, slit)[:, None]

        # Lips only just apart show the front teeth only, the corners dark.
        span = NARROW_TEETH_SPREAD + (1 - NARROW_TEETH_SPREAD) * opening

        if self.photo_teeth or upper_height <= 0.5:
            teeth_layers = []
        else:
            teeth_layers = [(upper_height, span * TEETH_HALF_WIDTH, UPPER_TOOTH_WIDTHS, from_top, upper_light, 0)]
        if lower_height > 0.5:
            teeth_layers.append((lower_height, span * LOWER_TEETH_HALF_WIDTH, LOWER_TOOTH_WIDTHS, from_bottom, 0.9, 1))
        side = (u > 0.5).astype(int)
        for height, half_width, widths, from_edge, brightness, row in teeth_layers:
            # The visible height shrinks toward the corners, where the arch turns away.
            shape = np.clip(1 - (across / half_width) ** 2, 0, 1) ** 0.5
            position, to_side, tooth = _teeth_across(across, widths)
            h = height * shape * (1 - TOOTH_CORNER_ROUND * position**4) * self.tooth_length[row, side, tooth]
            cover = np.clip((h - from_edge) / 1.2 + 0.5, 0, 1) * (shape > 0)
            if not cover.any():
                continue
            along = np.clip(from_edge / np.maximum(h, 1e-3), 0, 1)  # 0 at the lip, 1 at the biting edge
            line = np.clip(1 - to_side / (TOOTH_LINE_PX / length), 0, 1)
            shade = (
                brightness
                * self.tooth_shade[row, side, tooth]
                * (0.75 + 0.25 * frontal)
                * (1 - SIDE_TEETH_SHADE * np.clip(across / half_width, 0, 1) ** 2)
                * (1 - 0.1 * along)
                * (1 - TOOTH_SIDE_SHADE * position**2)
                * (1 - TOOTH_GAP_SHADE * (0.4 + 0.6 * along**2) * line)
            )
            # The lip's own shadow on the teeth: a soft gradient, not a dark line of even width along the lip.
            floor = SHOWN_UPPER_LIP_SHADOW if row == 0 and self.upper_teeth_iod else LIP_SHADOW
            shade *= floor + (1 - floor) * np.clip(from_edge / (LIP_SHADOW_IOD * iod), 0, 1)
            lit = self.teeth_shadow[None, :] + (self.teeth - self.teeth_shadow)[None, :] * shade[:, None]
            colour = colour + (lit - colour) * cover[:, None]
        colour *= NARROW_LIGHT + (1 - NARROW_LIGHT) * opening

        # Softened as the photo is: the colour within the opening (the teeth's detail), then the outline, past
        # the painted pixels taking the colour of the nearest painted ones.
        size = (y1 - y0, x1 - x0)
        coverage = np.zeros(size[0] * size[1], np.float32)
        painted = np.zeros((size[0] * size[1], 3), np.float32)
        coverage[keep], painted[keep] = edge, colour
        coverage, painted = coverage.reshape(size), painted.reshape(*size, 3)
        if self.soften_px > MIN_SOFTEN_PX:
            painted, _ = _blurred_within(painted, coverage, self.soften_px)
        if self.outline_px > MIN_SOFTEN_PX:
            around, soft = _blurred_within(painted, coverage, self.outline_px)
            painted = around + (painted - around) * coverage[..., None]
            coverage = soft
        old = region[y0:y1, x0:x1].astype(np.float32)
        region[y0:y1, x0:x1] = np.clip(old + coverage[..., None] * (painted - old), 0, 255).astype(np.uint8)

    def _darken_seam(self, region: np.ndarray, line: np.ndarray, strength: float) -> None:
        """Darken `region` (in place) along `line` (the points where the lips meet, corner to corner) toward
        `SEAM_OVER_SKIN` of the skin's brightness, `strength` 0..1 of the way; fading out toward the corners."""
        margin = int(np.ceil(3 * self.seam_px)) + 1
        x0, y0 = np.maximum(np.floor(line.min(axis=0)).astype(int) - margin, 0)
        x1, y1 = np.ceil(line.max(axis=0)).astype(int) + margin + 1
        x1, y1 = min(x1, region.shape[1]), min(y1, region.shape[0])
        if x1 - x0 < 4 or y1 <= y0:
            return
        shift = 2  # fractional bits: drawn at a quarter pixel, so the line's course is not rounded to whole pixels
        weight = np.zeros((y1 - y0, x1 - x0), np.float32)
        ends = np.round((line - (x0, y0)) * (1 << shift)).astype(np.int32)
        along = np.linspace(-1, 1, len(line) - 1)
        for (a, b), middle in zip(zip(ends[:-1], ends[1:]), np.clip(1 - np.abs(along) ** 4, 0, 1)):
            cv2.line(weight, tuple(map(int, a)), tuple(map(int, b)), float(middle), 1, cv2.LINE_AA, shift=shift)
        profile = cv2.GaussianBlur(weight, (0, 0), self.seam_px) * (np.sqrt(2 * np.pi) * self.seam_px * self.seam_peak)
        patch = region[y0:y1, x0:x1].astype(np.float32)
        luma = np.maximum(_luma(patch), 1.0)
        darker = 1 - np.clip(strength * profile, 0, 1) * (1 - np.minimum(self.seam_luma / luma, 1))
        region[y0:y1, x0:x1] = np.clip(patch * darker[..., None], 0, 255).astype(np.uint8)


def _opened(gap_iod: float) -> float:
    """0 for a narrow opening (up to `NARROW_UNTIL_IOD` between the lips), 1 for a wide one (`FULL_LIGHT_IOD`)."""
    return float(smoothstep(np.asarray((gap_iod - NARROW_UNTIL_IOD) / (FULL_LIGHT_IOD - NARROW_UNTIL_IOD))))


def _blurred_within(colour: np.ndarray, coverage: np.ndarray, sigma_px: float) -> tuple[np.ndarray, np.ndarray]:
    """`colour` blurred by `sigma_px` counting only the covered pixels (normalised convolution), so that the
    lips around the opening do not bleed into it; and the coverage blurred alike."""
    weight = cv2.GaussianBlur(coverage, (0, 0), sigma_px)
    blurred = cv2.GaussianBlur(colour * coverage[..., None], (0, 0), sigma_px) / np.maximum(weight, 1e-3)[..., None]
    return blurred, weight


def _monotone(u: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points sorted by u with repeats dropped, as the interpolator needs."""
    order = np.argsort(u, kind="stable")
    u, t = u[order], t[order]
    keep = np.concatenate([[True], np.diff(u) > 1e-6])
    return u[keep], t[keep]
