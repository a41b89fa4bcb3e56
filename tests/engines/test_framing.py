"""Framing never repeats a photo's edge pixels: judged on decoded videos with the streak measure."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_head.engines import framing
from talking_head.engines.builtin.engine import BuiltinEngine
from talking_head.evaluate.decode import iter_frames
from talking_head.evaluate.report import evaluate
from talking_head.evaluate.streaks import streak_share
from talking_head.face import analyze_face
from talking_head.pipeline import DEFAULT_FACE, TalkOptions, talk
from talking_head.video import VideoWriter

PORTRAITS = Path(__file__).resolve().parents[2] / "bench" / "portraits"
FOOTAGE = Path(__file__).resolve().parents[3] / "shared" / "footage"
MAX_STREAK_SHARE = 0.005
TEXT = "Please bring the big map, because the museum closes at five."


def _save(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> dict[str, Path]:
    """A tight 112 px grey portrait, a face cut by the right and bottom edges of its photo, and a photo narrower
    than the tightest square around its face."""
    folder = tmp_path_factory.mktemp("framing")
    grey = analyze_face(PORTRAITS / "grayscale_small.png")
    x0, y0, x1, y1 = grey.box
    side = 1.4 * max(x1 - x0, y1 - y0)  # tighter than the preferred square, room for the tightest
    left, top = int(max((x0 + x1 - side) / 2, 0)), int(max((y0 + y1 - side) / 2, 0))
    tight = grey.image[top : top + int(side), left : left + int(side)]
    small = cv2.resize(tight, (112, 112), interpolation=cv2.INTER_AREA)
    default = analyze_face(DEFAULT_FACE)
    right, bottom = int(default.landmarks[:, 0].max() - 10), int(default.landmarks[:, 1].max() - 5)
    face_left = max(0, int(default.landmarks[:, 0].min()) - 4)
    return {
        "small": _save(folder / "small112.png", small),
        "edge": _save(folder / "edge_cut.png", default.image[:bottom, :right]),
        "narrow": _save(folder / "narrow.png", default.image[:, face_left : right + 14]),
    }


def _max_streaks(video: Path, every: int = 10) -> float:
    return max(streak_share(frame) for i, (_, frame) in enumerate(iter_frames(video)) if i % every == 0)


def test_the_square_is_moved_then_tightened_then_extended():
    face_box = (40.0, 40.0, 80.0, 80.0)  # a 40 px face; its preferred square is 76 px
    assert framing.place_square(200, 200, (60, 60), 76, face_box) == (22, 22, 76, framing.INSIDE)
    assert framing.place_square(100, 200, (75, 60), 76, face_box) == (24, 22, 76, framing.SHIFTED)  # off the right edge
    x0, y0, side, how = framing.place_square(
        64, 64, (32, 32), 76, (12.0, 12.0, 52.0, 52.0)
    )  # photo smaller than the square
    assert how == framing.TIGHTENED and side == 64 and (x0, y0) == (0, 0)
    x0, y0, side, how = framing.place_square(50, 200, (28, 60), 76, (10.0, 40.0, 45.0, 85.0))  # photo too narrow
    assert how == framing.EXTENDED and side > 50 and (x0 < 0 or x0 + side > 50)


def test_a_face_cut_by_the_photos_edge_is_cut_by_the_frames_edge_not_extended():
    """Markey's open-mouthed frame (chin below the photo) was extended by a blurred mirror of chin and collar:
    a pink blob a viewer picked out at once. Past the photo's edge there is no face to keep in the square."""
    x0, y0, side, how = framing.place_square(70, 200, (55, 60), 76, (30.0, 40.0, 75.0, 85.0))  # face cut by x = 70
    assert how != framing.EXTENDED and x0 >= 0 and x0 + side <= 70 and x0 <= 30 - 0.06 * 45


def test_extension_is_a_blurred_mirror_not_repeated_edges():
    rng = np.random.default_rng(0)
    photo = cv2.GaussianBlur(rng.integers(0, 255, (60, 80, 3)).astype(np.uint8), (0, 0), 1.5)
    out = framing.extend(photo, 0, 0, 40, 30)
    assert out.shape == (90, 120, 3) and np.array_equal(out[:60, :80], photo)
    replicated = cv2.copyMakeBorder(photo, 0, 30, 0, 40, cv2.BORDER_REPLICATE)
    assert streak_share(replicated) > 0.1  # the measure sees repeated edges ...
    assert streak_share(out) == 0.0  # ... and none here
    assert abs(float(out[:, 80:].mean()) - float(photo.mean())) < 25  # the photo's own tones


def test_small_and_edge_photos_have_no_streaks_and_say_how_they_were_framed(photos, tmp_path):
    for name, expected in (("small", framing.TIGHTENED), ("edge", framing.TIGHTENED), ("narrow", framing.EXTENDED)):
        video = tmp_path / f"{name}.mp4"
        result = talk(text=TEXT, image=photos[name], output=video, options=TalkOptions(size=256, captions="none"))
        assert result.framing == expected and result.to_dict()["framing"] == expected
        assert _max_streaks(video) < MAX_STREAK_SHARE, name
        if name == "small":
            report = evaluate(video, source=photos[name], text=TEXT)
            assert report["mouth"]["open_speech"] - report["mouth"]["open_silence"] >= 0.06, report["mouth"]
            assert report["mouth"]["bilabial_closure_rate"] >= 0.8, report["mouth"]
            assert report["lipsync"]["best_r"] >= 0.6 and abs(report["lipsync"]["best_lag_frames"]) <= 1
            # 0.8, not 0.9: a head that turns like a real speaker's reads less alike by this 2D measure (test_builtin).
            assert report["identity"] >= 0.8 and report["background_psnr_db"] >= 35


def test_the_old_edge_repeating_framing_fails_the_measure(photos, tmp_path):
    """What framing did before: the preferred square, edge pixels repeated past the photo."""
    face = analyze_face(photos["small"])
    cx, cy, side = face.portrait_box()
    scale = 256 / side
    to_frame = np.array([[scale, 0, 128 - scale * cx], [0, scale, 128 - scale * cy]])
    old = cv2.warpAffine(face.image, to_frame, (256, 256), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    video = tmp_path / "old.mp4"
    with VideoWriter(video, 256, 256, 25, np.zeros(16000, np.float32), 16000) as writer:
        for _ in range(5):
            writer.write(old)
    assert _max_streaks(video, every=1) > 4 * MAX_STREAK_SHARE


def test_a_face_cut_by_the_photos_edge_moves_without_drawing_from_beyond_it():
    """Ed Markey's open-mouthed frame: his chin runs off the photo's bottom edge. Turning and nodding, the face
    drew its chin from beyond the photo, the edge row repeated into a pink triangle over his collar (an unlabelled
    viewer named it). Motion now fades out toward that edge: the frame's bottom rows stay the photo's, within
    the grain (mean difference 1.1-3.8 grey levels over these poses; 4.3-17.6 before)."""
    photo = next(frame for i, (_, frame) in enumerate(iter_frames(FOOTAGE / "WDA_EdMarkey0_000.mp4")) if i == 141)
    face = analyze_face(photo)
    assert face.landmarks[:, 1].max() > photo.shape[0]  # the chin is cut
    engine = BuiltinEngine()
    prepared = engine.prepare(face, TalkOptions(size=512))
    still = prepared.framing.image.astype(np.float64)
    for yaw, pitch in ((8, 0), (-8, 0), (0, -8), (0, 8), (6, -6)):
        params = dict(jaw=0.3, lip_width=0, lip_press=0, lip_tuck=0, blink=0, brow=0, yaw=yaw, pitch=pitch, roll=2)
        drawn = engine.draw(prepared, params).astype(np.float64)
        assert np.abs(drawn[-3:] - still[-3:]).mean() < 6.0, (yaw, pitch)
