"""Framing the photo for SadTalker, and the 3DMM alignment of its face.

`crop`: a square around the face, found from the eyes and mouth the way
SadTalker's cropper finds it, resized to the model size (256 or 512).
`resize`: the whole photo squeezed to the model size, stretched back after.
`full`: rendered like `crop`, then pasted back into the whole photo with a
feathered edge. The square stays where SadTalker's cropper puts it (the
networks were trained on faces aligned that way, so it is neither moved nor
tightened); where it runs off the photo, the photo is extended past its edge
by a blurred mirror of itself (`engines.framing.extend`), never by repeating
edge pixels (SadTalker clips the square instead, which distorts the face). A
square smaller than the model size is enlarged with Lanczos and a mild sharpen.

The 3DMM alignment (Deep3DFaceRecon's): five landmarks fitted by least
squares to a 3D template give a scale and a centre; the face is rescaled so
its template-space size is 102 px and cut to 224 x 224 around that centre.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .. import framing
from .landmarks68 import LEFT_EYE, MOUTH_CORNERS, RIGHT_EYE, five_points

RECON_PX = 224
RECON_SCALE = 102.0  # template-space face size in the 224 px crop
# Five points of Deep3DFaceRecon's 3D landmark template (SadTalker's similarity_Lm3D_all.mat, Apache-2.0):
# eye centres, nose tip, mouth corners, in the order of `landmarks68.five_points`.
TEMPLATE_5 = np.array(
    [
        [-0.3114865720272064, 0.29036077857017517, 0.13377952575683594],
        [0.30979887396097183, 0.2897203713655472, 0.1317952573299408],
        [0.003253498813137412, -0.04617932438850403, 0.5524424314498901],
        [-0.25216928124427795, -0.3813391625881195, 0.22405731678009033],
        [0.24846619367599487, -0.38128235936164856, 0.22235769033432007],
    ]
)
FEATHER = 0.12  # paste-back blend ramp, as a fraction of the pasted square's side


def face_box(lm68: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of SadTalker's face square in photo pixels (may run off the photo).

    An oriented square from the eye and mouth positions: side = 2 * max(2 x eye
    distance, 1.8 x eye-to-mouth distance), centred a tenth of the way from the
    eyes to the mouth; the box spans its corners' inner extents.
    """
    lm68 = np.asarray(lm68, dtype=np.float64)
    eye_right = lm68[list(RIGHT_EYE)].mean(axis=0)
    eye_left = lm68[list(LEFT_EYE)].mean(axis=0)
    eye_avg = (eye_right + eye_left) / 2
    eye_to_eye = eye_left - eye_right
    mouth_avg = (lm68[MOUTH_CORNERS[0]] + lm68[MOUTH_CORNERS[1]]) / 2
    eye_to_mouth = mouth_avg - eye_avg
    x = eye_to_eye - np.flipud(eye_to_mouth) * [-1, 1]
    x /= np.hypot(*x)
    x *= max(np.hypot(*eye_to_eye) * 2.0, np.hypot(*eye_to_mouth) * 1.8)
    y = np.flipud(x) * [-1, 1]
    c = eye_avg + eye_to_mouth * 0.1
    top_left, bottom_left, bottom_right, top_right = c - x - y, c - x + y, c + x + y, c + x - y
    return (
        int(np.floor(min(top_left[0], bottom_left[0]) + 0.5)),
        int(np.floor(min(top_left[1], top_right[1]) + 0.5)),
        int(np.floor(max(bottom_right[0], top_right[0]) + 0.5)),
        int(np.floor(max(bottom_left[1], bottom_right[1]) + 0.5)),
    )


def crop_square(image: np.ndarray, box: tuple[int, int, int, int], size: int) -> tuple[np.ndarray, str]:
    """The box of the photo resized to size x size, and how it was framed (`framing.INSIDE` or `EXTENDED`)."""
    x0, y0, x1, y1 = box
    h, w = image.shape[:2]
    pads = (max(0, -x0), max(0, -y0), max(0, x1 - w), max(0, y1 - h))
    image = framing.extend(image, *pads)
    region = image[y0 + pads[1] : y1 + pads[1], x0 + pads[0] : x1 + pads[0]]
    return resize(region, size, size), framing.EXTENDED if any(pads) else framing.INSIDE


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    return framing.resample(image, width, height)[0]


def to_box(points: np.ndarray, box: tuple[int, int, int, int], width: int, height: int) -> np.ndarray:
    """Photo pixel coordinates -> coordinates in the box resized to width x height (pixel centres kept)."""
    x0, y0, x1, y1 = box
    scale = np.array([width / (x1 - x0), height / (y1 - y0)])
    return (np.asarray(points, dtype=np.float64) - [x0, y0] + 0.5) * scale - 0.5


def fit_template(points_5: np.ndarray, template: np.ndarray = TEMPLATE_5) -> tuple[np.ndarray, float]:
    """Least-squares affine camera from the 3D template to the 2D points: (centre (2,), scale)."""
    n = len(points_5)
    a = np.zeros((2 * n, 8))
    a[0::2, 0:3] = template
    a[0::2, 3] = 1
    a[1::2, 4:7] = template
    a[1::2, 7] = 1
    k = np.linalg.lstsq(a, np.asarray(points_5, dtype=np.float64).reshape(-1), rcond=None)[0]
    scale = (np.linalg.norm(k[0:3]) + np.linalg.norm(k[4:7])) / 2
    return np.array([k[3], k[7]]), float(scale)


def align_for_recon(image: np.ndarray, lm68: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (224, 224, 3) float32 face in [0, 1] for FaceRecon, and the crop parameters (scale, tx, ty).

    `lm68` are in `image` pixels (y down); the fit runs with y up, as trained.
    """
    h0, w0 = image.shape[:2]
    points = five_points(lm68)
    points[:, 1] = h0 - 1 - points[:, 1]
    centre, fit_scale = fit_template(points)
    scale = RECON_SCALE / fit_scale
    # int() truncates toward zero, as the trained alignment did
    w, h = int(w0 * scale), int(h0 * scale)
    left = int(w / 2 - RECON_PX / 2 + (centre[0] - w0 / 2) * scale)
    up = int(h / 2 - RECON_PX / 2 + (h0 / 2 - centre[1]) * scale)
    resized = Image.fromarray(image).resize((w, h), resample=Image.Resampling.BICUBIC)
    face = resized.crop((left, up, left + RECON_PX, up + RECON_PX))  # black outside the photo
    crop_params = np.array([scale, centre[0], centre[1]], dtype=np.float32)
    return np.asarray(face, dtype=np.float32) / 255.0, crop_params


def coefficients_73(recon: np.ndarray, crop_params: np.ndarray) -> np.ndarray:
    """FaceRecon's 257 -> SadTalker's 73: expression (64), angles (3), translation (3), crop parameters (3)."""
    recon = np.asarray(recon, dtype=np.float32).reshape(-1)
    return np.concatenate([recon[80:144], recon[224:227], recon[254:257], crop_params]).astype(np.float32)


def feather_mask(height: int, width: int, feather: float = FEATHER) -> np.ndarray:
    """(height, width) float32 alpha: 1 inside, easing to 0 at the border over `feather` of the side."""

    def ramp(n: int) -> np.ndarray:
        distance = np.minimum(np.arange(n) + 0.5, n - 0.5 - np.arange(n)) / max(1.0, feather * n)
        t = np.clip(distance, 0, 1)
        return t * t * (3 - 2 * t)  # smoothstep: no visible edge where the ramp starts or ends

    return np.minimum(ramp(height)[:, None], ramp(width)[None, :]).astype(np.float32)


def output_size(photo_w: int, photo_h: int, size: int, max_side: int) -> tuple[int, int, float]:
    """Whole-photo output: longer side `size` (0: the photo's own, at most `max_side`), even sides."""
    longer = max(photo_w, photo_h)
    target = size if size > 0 else min(longer, max_side)
    scale = target / longer
    return max(2, int(round(photo_w * scale)) // 2 * 2), max(2, int(round(photo_h * scale)) // 2 * 2), scale
