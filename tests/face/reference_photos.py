"""The photos the landmark fixtures were made on: files in the repository, and two made from them.

Shared by the test (`test_landmark_agreement.py`) and the script that made
the fixtures (`make_fixtures.py`), so both see the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
DEFAULT_FACE = REPO / "talking_head" / "assets" / "default_face.png"
FIXTURES = Path(__file__).parent / "fixtures"
EXIF_ORIENTATION = 0x0112


def _encoded(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def exif_rotated() -> bytes:
    """The default face stored sideways, as a phone does, with "rotate 90° clockwise" in EXIF."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    sideways = Image.open(DEFAULT_FACE).convert("RGB").transpose(Image.Transpose.ROTATE_90)
    return _encoded(sideways, "JPEG", quality=95, exif=exif.tobytes())


def small_face_in_large_photo() -> bytes:
    """40 megapixels of plain wall with the default face (about 40 px between the eyes) in it."""
    canvas = Image.new("RGB", (8000, 5000), (90, 120, 150))
    canvas.paste(Image.open(DEFAULT_FACE).convert("RGB"), (3744, 2244))
    return _encoded(canvas, "JPEG", quality=90)


def photos() -> dict[str, Path | bytes]:
    """Name -> photo (a path or encoded bytes)."""
    return {
        "default_face": DEFAULT_FACE,
        "grayscale_small": REPO / "bench" / "portraits" / "grayscale_small.png",
        "group": REPO / "bench" / "portraits" / "group.png",
        "exif_rotated": exif_rotated(),
        "small_face_large_photo": small_face_in_large_photo(),
    }
