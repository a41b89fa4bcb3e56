"""Reading photos as people have them into RGB uint8 arrays.

Phone pictures carry their rotation in EXIF; scans come grey, CMYK or 16-bit;
PNGs carry alpha. All of them end up upright, 8-bit RGB, alpha composited on
white. Anything that is not an image, or is too large to decode safely, is an
`InputError` naming the fix.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import InputError

MIN_SIDE_PX = 32
DEFAULT_MAX_PIXELS = 150_000_000  # as Settings.max_image_pixels: a 100-megapixel photo passes, a bomb does not


def read_source(source: str | Path | bytes) -> tuple[bytes, str]:
    """The encoded bytes of a path or bytes source, and the name its messages use."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise InputError(f"image not found: {path}. Check the path.", field="image")
        return path.read_bytes(), path.name
    return bytes(source), "the image"


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits by the actual range, not by clipping.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max() > 255 else 255.0
        img = Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    elif img.mode == "F":
        arr = np.asarray(img, dtype=np.float64)
        span = max(float(arr.max() - arr.min()), 1e-9)
        img = Image.fromarray(((arr - arr.min()) / span * 255).astype(np.uint8), "L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def load_image(
    source: str | Path | bytes | np.ndarray, max_pixels: int = DEFAULT_MAX_PIXELS, name: str | None = None
) -> np.ndarray:
    """Decode `source` (path, encoded bytes or array) to an upright RGB uint8 array.

    `name` replaces the one error messages use (a path's file name, else "the image").
    """
    if isinstance(source, np.ndarray):
        return _array_to_rgb(source)
    data, default_name = read_source(source)
    name = name or default_name
    if not data:
        raise InputError(f"{name} is empty. Give a JPEG or PNG photo.", field="image")
    previous = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = max_pixels
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > max_pixels:
                raise Image.DecompressionBombError("too many pixels")
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            f"{name} is too large to process safely (over {max_pixels / 1e6:.0f} megapixels). "
            "Resize the photo and try again.",
            field="image",
            status=413,
        ) from None
    except UnidentifiedImageError:
        raise InputError(
            f"{name} is not an image this program can read. Give a JPEG, PNG or WebP photo.",
            field="image",
            status=415,
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(
            f"{name} is damaged or truncated and cannot be decoded ({exc}). Give the photo again.",
            field="image",
        ) from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    upright = ImageOps.exif_transpose(img)
    rgb = np.asarray(_to_rgb(upright))
    if min(rgb.shape[:2]) < MIN_SIDE_PX:
        raise InputError(
            f"{name} is only {rgb.shape[1]}x{rgb.shape[0]} pixels. Give a photo at least "
            f"{MIN_SIDE_PX} pixels on each side.",
            field="image",
        )
    return np.ascontiguousarray(rgb)


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise InputError(f"an image array must be HxW, HxWx3 or HxWx4, got {array.shape}", field="image")
    if array.dtype != np.uint8:
        top = 65535.0 if array.dtype == np.uint16 else (1.0 if array.dtype.kind == "f" else 255.0)
        array = np.clip(array.astype(np.float64) / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if array.shape[2] == 4:
        alpha = array[:, :, 3:4].astype(np.float32) / 255.0
        array = (array[:, :, :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    return np.ascontiguousarray(array[:, :, :3])
