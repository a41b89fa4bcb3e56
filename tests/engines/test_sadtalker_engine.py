"""The SadTalker engine with synthetic checkpoints: framing modes, frame counts, streaming, options.

With random weights the pictures are noise, so these tests check geometry,
counts, determinism and that every option reaches the networks, not looks.
"""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.torch  # needs PyTorch: where it is not installed, run with -m "not torch"
torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'talking-head[sadtalker]'")

from talking_head import engines  # noqa: E402
from talking_head.engines.sadtalker import animate, coefficients, landmarks68, preprocess  # noqa: E402
from talking_head.engines.sadtalker.engine import pick_device  # noqa: E402
from talking_head.errors import ConfigurationError  # noqa: E402
from talking_head.face import analyze_face  # noqa: E402
from talking_head.motion.track import MotionTrack  # noqa: E402
from talking_head.pipeline import DEFAULT_FACE, TalkOptions  # noqa: E402
from talking_head.settings import Settings  # noqa: E402
from talking_head.speech import Speech  # noqa: E402

RATE = 16_000


def speech(seconds: float) -> Speech:
    t = np.arange(int(seconds * RATE)) / RATE
    wave = (0.3 * np.sin(2 * np.pi * 180 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
    return Speech(audio=wave, sample_rate=RATE, audio_16k=wave)


@pytest.fixture(scope="module")
def face():
    return analyze_face(DEFAULT_FACE)


@pytest.fixture(scope="module")
def engine(sadtalker_dir):
    return engines.get_engine("sadtalker")  # the process-wide instance: networks stay loaded across tests


def options(**overrides) -> TalkOptions:
    base = dict(engine="sadtalker", strict=True, size=256, fps=5)
    return TalkOptions(**{**base, **overrides})


def settings(sadtalker_dir, batch_size=2) -> Settings:
    return Settings(sadtalker_dir=sadtalker_dir, sadtalker_batch_size=batch_size)


def test_streams_exactly_the_frames_asked_for_in_batches(engine, sadtalker_dir, face):
    """0.4 s at 5 fps: 2 frames (SadTalker works at 25 fps), drawn batch by batch as they are taken."""
    opts = options()
    prepared = engine.prepare(face, opts, settings(sadtalker_dir, batch_size=1))
    assert (prepared.width, prepared.height) == (256, 256)
    talk_speech = speech(0.4)
    motion = MotionTrack.at_rest(talk_speech.frame_count(opts.fps), opts.fps)
    calls = []
    frames_of = prepared.animator.frames
    prepared.animator.frames = lambda windows, **kw: calls.append(len(windows)) or frames_of(windows, **kw)
    stream = engine.render(prepared, talk_speech, motion)
    first = next(stream)
    assert calls == [1]  # only the first batch is drawn before the first frame is handed out
    rest = list(stream)
    assert calls == [1, 1] and len(rest) + 1 == motion.n_frames == 2
    assert first.shape == (256, 256, 3) and first.dtype == np.uint8
    assert prepared.coefficients.shape == (10, 70)  # 0.4 s at SadTalker's 25 fps
    assert first.std() > 5  # something was drawn


def test_full_mode_pastes_the_face_back_without_a_seam(engine, sadtalker_dir, face):
    opts = options(sadtalker_preprocess="full", size=0)
    prepared = engine.prepare(face, opts, settings(sadtalker_dir))
    photo = face.image
    assert (prepared.width, prepared.height) == (photo.shape[1], photo.shape[0])
    frame = next(engine.render(prepared, speech(0.2), MotionTrack.at_rest(1, opts.fps)))
    x0, y0, x1, y1 = prepared.box
    inside = np.zeros(photo.shape[:2], bool)
    inside[max(y0, 0) : y1, max(x0, 0) : x1] = True
    assert np.array_equal(frame[~inside], photo[~inside])  # untouched outside the face square
    change = np.abs(frame.astype(np.int16) - photo.astype(np.int16)).mean(axis=2)
    side = x1 - x0

    def ring(depth: float) -> float:
        """Mean change over the pixels `depth` (fraction of the side) inside the square's edge, on the photo."""
        d = int(depth * side)
        mask = np.zeros_like(inside)
        mask[max(y0 + d, 0) : y1 - d, max(x0 + d, 0) : x1 - d] = True
        mask[max(y0 + d + 1, 0) : y1 - d - 1, max(x0 + d + 1, 0) : x1 - d - 1] = False
        return float(change[mask].mean())

    assert ring(0.0) < 1.0  # the edge of the pasted square is the photo: no seam
    assert ring(0.0) < ring(0.04) < ring(0.08) < ring(0.2)  # and the face fades in
    assert change[y0 + side // 3 : y1 - side // 3, x0 + side // 3 : x1 - side // 3].mean() > 10  # the face is drawn


def test_resize_mode_keeps_the_photo_shape(engine, sadtalker_dir, face):
    wide = np.ascontiguousarray(np.pad(face.image, ((0, 0), (96, 96), (0, 0)), mode="edge"))  # 704 x 512
    wide_face = analyze_face(wide)
    opts = options(sadtalker_preprocess="resize", size=352)
    prepared = engine.prepare(wide_face, opts, settings(sadtalker_dir))
    assert (prepared.width, prepared.height) == (352, 256)
    frame = next(engine.render(prepared, speech(0.2), MotionTrack.at_rest(1, opts.fps)))
    assert frame.shape == (256, 352, 3)


def test_options_reach_the_networks(engine, sadtalker_dir, face):
    """still, expression_scale, pose keyframes and pose_style change what is rendered; seed is repeatable."""
    prepared = engine.prepare(face, options(), settings(sadtalker_dir))
    source, nets = prepared.source, prepared.networks
    windows = np.zeros((30, 80, 16), np.float32) + np.linspace(-4, 2, 16, dtype=np.float32)
    base = coefficients.audio_to_coefficients(nets, windows, source, 0, seed=1, device=torch.device("cpu"))
    assert np.array_equal(base, coefficients.audio_to_coefficients(nets, windows, source, 0, 1, torch.device("cpu")))
    other_style = coefficients.audio_to_coefficients(nets, windows, source, 7, 1, torch.device("cpu"))
    assert np.abs(other_style[1:, 64:] - base[1:, 64:]).max() > 1e-3 and np.array_equal(
        other_style[:, :64], base[:, :64]
    )
    unsmoothed = coefficients.predict(
        nets,
        windows,
        source,
        0,
        np.zeros((30, 1), np.float32),
        coefficients.seeded_latents(1, torch.device("cpu")),
        torch.device("cpu"),
    )
    assert np.array_equal(unsmoothed["pose"][0], source[64:70])  # frame 0 is the photo's pose before smoothing

    still = animate.target_coefficients(base, source, full=False, still=True, expression_scale=1.0)
    assert np.all(still[:, 64:] == source[64:70])
    half = animate.target_coefficients(base, source, full=False, still=False, expression_scale=0.5)
    assert np.allclose(half[:, :64], base[:, :64] * 0.5) and np.array_equal(half[:, 64:], base[:, 64:])
    full = animate.target_coefficients(base, source, full=True, still=False, expression_scale=1.0)
    assert full.shape == (30, 73) and np.all(full[:, 70:] == source[70:73])

    windows_3 = torch.from_numpy(animate.semantic_windows(still, np.arange(3)))
    with torch.inference_mode():
        plain = prepared.animator.driving_keypoints(windows_3)
        turned = prepared.animator.driving_keypoints(windows_3, yaw=torch.tensor([20.0, 20.0, 20.0]))
    assert (turned - plain).abs().max() > 1e-2


def test_keyframes_move_at_a_steady_speed():
    # 60 degrees of travel over 8 steps: 7.5 degrees a step, turning back at 20 between steps 2 and 3
    track = coefficients.keyframe_track((0, 20, -20), 9)
    assert np.allclose(track, [0, 7.5, 15, 17.5, 10, 2.5, -5, -12.5, -20])
    assert np.all(coefficients.keyframe_track((12.5,), 4) == 12.5)
    assert np.all(coefficients.keyframe_track((5, 5), 3) == 5)


def test_blinks_and_smoothing_windows():
    assert not coefficients.blink_ratio(20, np.random.default_rng(0)).any()  # short clips do not blink
    ratio = coefficients.blink_ratio(200, np.random.default_rng(0))[:, 0]
    starts = np.flatnonzero(np.diff(np.concatenate([[0], (ratio > 0).astype(int)])) == 1)
    assert len(starts) >= 2
    for start in starts:
        assert np.allclose(ratio[start : start + 5], coefficients.BLINK)
    assert np.array_equal(ratio, coefficients.blink_ratio(200, np.random.default_rng(0))[:, 0])
    assert [coefficients.smoothing_window(n) for n in (1, 2, 8, 12, 13, 50)] == [1, 1, 7, 11, 13, 13]
    assert coefficients.smooth_pose(np.ones((2, 6), np.float32)).shape == (2, 6)  # too short to fit: unchanged


def test_windows_between_frames_blend_their_neighbours():
    targets = np.arange(10, dtype=np.float32)[:, None].repeat(3, axis=1)
    whole = animate.semantic_windows(targets, np.array([4.0]))
    assert np.array_equal(whole[0, 0], np.clip(np.arange(-9, 18), 0, 9))
    between = animate.semantic_windows(targets, np.array([4.4]))
    assert np.allclose(between[0, 0, 13], 4.4)


def test_landmarks_and_framing_on_a_real_face(face):
    lm68 = landmarks68.ibug68(face.landmarks)
    right_eye, left_eye, nose, mouth_right, mouth_left = landmarks68.five_points(lm68)
    assert right_eye[0] < nose[0] < left_eye[0]  # subject's right eye on the image's left
    assert mouth_right[0] < mouth_left[0] and max(right_eye[1], left_eye[1]) < nose[1] < mouth_right[1]
    x0, y0, x1, y1 = preprocess.face_box(lm68)
    assert abs((x1 - x0) - (y1 - y0)) <= 2  # a square
    assert x0 < lm68[:, 0].min() + 20 and x1 > lm68[:, 0].max() - 20 and y0 < right_eye[1] < y1
    image, framed = preprocess.crop_square(face.image, (x0, y0, x1, y1), 256)
    assert framed == "inside"  # the bundled face has room around it
    aligned, crop_params = preprocess.align_for_recon(image, preprocess.to_box(lm68, (x0, y0, x1, y1), 256, 256))
    assert aligned.shape == (224, 224, 3) and 0.5 < crop_params[0] < 2 and np.all(np.abs(crop_params[1:] - 128) < 40)
    mask = preprocess.feather_mask(100, 80)
    assert mask[50, 40] == 1 and mask[0, 40] < 0.05 and np.all(np.diff(mask[:50, 40]) >= 0)


def test_devices(monkeypatch):
    assert pick_device(None).type in ("cuda", "mps", "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigurationError, match="CUDA is not available"):
            pick_device("cuda")


def test_long_speech_spectrogram_is_worked_in_blocks(monkeypatch):
    """Blocks of STFT frames give the same spectrogram as one pass over the whole wave."""
    from talking_head.engines.sadtalker import audio_frontend

    wave = np.random.default_rng(0).normal(0, 0.1, 16_000 * 3 + 123).astype(np.float32)
    monkeypatch.setattr(audio_frontend, "STFT_BLOCK", 37)
    blocked = audio_frontend.melspectrogram(wave)
    monkeypatch.setattr(audio_frontend, "STFT_BLOCK", 10**9)
    whole = audio_frontend.melspectrogram(wave)
    assert blocked.shape == whole.shape == (1 + len(wave) // 200, 80)
    assert np.allclose(blocked, whole, atol=1e-9, rtol=0)
    windows = audio_frontend.MelWindows(whole, 75)
    assert np.array_equal(windows[10:20], windows[:][10:20]) and len(windows) == 75
