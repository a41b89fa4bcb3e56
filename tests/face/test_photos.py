"""Photos as people have them: rotated, grey, transparent, CMYK, 16-bit, tiny, huge, crowded, empty."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from talking_head.errors import InputError
from talking_head.face import analyze_face, load_image
from talking_head.face.analysis import WORK_MAX_SIDE_PX
from talking_head.face.detection import detect_faces

EXIF_ORIENTATION = 0x0112


@pytest.fixture(scope="module")
def portrait(default_face) -> Image.Image:
    return Image.open(default_face).convert("RGB")


def encoded(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def assert_face_near(face, reference, tolerance_iod=0.1):
    """The face's landmarks sit where the reference face's do (in the same pixel frame)."""
    offset = np.linalg.norm(face.landmarks[:, :2] - reference.landmarks[:, :2], axis=1).mean()
    assert offset < tolerance_iod * reference.iod


def test_exif_rotated_phone_picture(portrait, default_face):
    # A phone stores the pixels sideways and says "rotate 90° clockwise" in EXIF.
    sideways = portrait.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6
    data = encoded(sideways, "JPEG", quality=95, exif=exif.tobytes())
    image = load_image(data)
    assert image.shape == (portrait.height, portrait.width, 3)
    assert_face_near(analyze_face(data), analyze_face(default_face))


@pytest.mark.parametrize("mode", ["L", "RGBA", "CMYK", "I;16", "P"])
def test_image_modes(mode, portrait, default_face):
    if mode == "I;16":
        grey = np.asarray(portrait.convert("L"), dtype=np.uint16) * 257
        img = Image.fromarray(grey)
        assert img.mode.startswith("I;16")
        data = encoded(img, "PNG")
    elif mode == "CMYK":
        data = encoded(portrait.convert("CMYK"), "JPEG", quality=95)
    elif mode == "RGBA":
        rgba = portrait.convert("RGBA")
        alpha = np.full((portrait.height, portrait.width), 255, np.uint8)
        alpha[:, :60] = 0  # a transparent strip becomes white, not black
        rgba.putalpha(Image.fromarray(alpha))
        data = encoded(rgba, "PNG")
    else:
        data = encoded(portrait.convert(mode), "PNG")
    image = load_image(data)
    assert image.dtype == np.uint8 and image.shape == (portrait.height, portrait.width, 3)
    if mode == "RGBA":
        assert (image[:, :60] == 255).all()
    if mode in ("L", "I;16"):
        assert (image[..., 0] == image[..., 1]).all()
        assert abs(float(image.mean()) - float(np.asarray(portrait.convert("L")).mean())) < 2
    assert_face_near(analyze_face(data), analyze_face(default_face))


def test_tiny_face_is_upsampled_for_the_mesh(portrait):
    small = portrait.resize((96, 96), Image.Resampling.LANCZOS)
    face = analyze_face(np.asarray(small))
    assert 5 < face.iod < 12
    x0, y0, x1, y1 = face.box
    assert 0 <= x0 < x1 <= 96 and 0 <= y0 < y1 <= 96


def test_very_large_photo(portrait):
    # 40 megapixels, the face small in the middle of a wide field.
    canvas = Image.new("RGB", (8000, 5000), (90, 120, 150))
    canvas.paste(portrait, (3744, 2244))
    face = analyze_face(encoded(canvas, "JPEG", quality=90))
    assert max(face.image.shape[:2]) == WORK_MAX_SIDE_PX
    scale = WORK_MAX_SIDE_PX / 8000
    cx = face.landmarks[:, 0].mean() / scale
    cy = face.landmarks[:, 1].mean() / scale
    assert 3744 < cx < 3744 + 512 and 2244 < cy < 2244 + 512


def test_several_faces_animates_the_largest(data_dir):
    from pathlib import Path

    group = Path(__file__).resolve().parents[2] / "bench" / "portraits" / "group.png"
    face = analyze_face(group)
    detections = detect_faces(face.image)
    assert face.faces_found >= 2 and len(detections) >= 2
    largest = detections[0]
    cx, cy = face.landmarks[:, :2].mean(axis=0)
    assert largest.x < cx < largest.x + largest.w and largest.y < cy < largest.y + largest.h
    assert all(largest.area >= d.area for d in detections)


def test_no_face():
    rng = np.random.default_rng(0)
    noise = (rng.random((300, 400, 3)) * 255).astype(np.uint8)
    with pytest.raises(InputError, match="no face found"):
        analyze_face(noise)


def test_decompression_bomb_is_refused():
    bomb = encoded(Image.new("1", (16000, 16000)), "PNG")
    assert len(bomb) < 1_000_000
    with pytest.raises(InputError, match="too large") as error:
        load_image(bomb)
    assert error.value.status == 413


def test_analysis_is_cached_by_content(default_face):
    data = default_face.read_bytes()
    assert analyze_face(data) is analyze_face(bytes(data))
    assert analyze_face(default_face) is analyze_face(data)


@pytest.mark.parametrize("degrees", [-35, 60])
def test_tilted_head_is_meshed_like_an_upright_one(portrait, default_face, degrees):
    # The region the mesh model sees is turned by the eyes: a tilted head must not come out distorted.
    upright = analyze_face(default_face)
    turn = cv2.getRotationMatrix2D((portrait.width / 2, portrait.height / 2), degrees, 1.0)
    tilted = cv2.warpAffine(np.asarray(portrait), turn, portrait.size, borderMode=cv2.BORDER_REPLICATE)
    expected = upright.landmarks[:, :2] @ turn[:, :2].T + turn[:, 2]
    offset = np.linalg.norm(analyze_face(tilted).landmarks[:468, :2] - expected[:468], axis=1).mean()
    assert offset < 0.04 * upright.iod
