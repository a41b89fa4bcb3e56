"""Every fixture of the SadTalker conformance kit, through the engine's own loaders and code.

The kit's reference ran SadTalker on synthetic weights; `fixtures/index.json`
gives each output's tolerance: max |ours - ref| <= atol + rtol * |ref|, and
for images also a mean |ours - ref| per image. Run with `-s` to see the
table of measured errors.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.torch  # needs PyTorch: where it is not installed, run with -m "not torch"
torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'talking-head[sadtalker]'")

from talking_head.engines.sadtalker import animate, audio_frontend, coefficients, keypoints  # noqa: E402
from talking_head.engines.sadtalker.checkpoints import MAIN_FILES, load_networks  # noqa: E402

MEASURED: list[tuple[str, str, float, float, float | None, bool]] = []


@pytest.fixture(scope="module")
def kit(sadtalker_kit):
    index = json.loads((sadtalker_kit / "fixtures" / "index.json").read_text())
    yield sadtalker_kit / "fixtures", index
    if MEASURED:
        print("\n| fixture | array | max abs error | tolerance (atol) | mean abs error per image | pass |")
        print("|---|---|---|---|---|---|")
        for fixture, array, worst, atol, mean, ok in MEASURED:
            mean_text = "" if mean is None else f"{mean:.2e}"
            print(f"| {fixture} | {array} | {worst:.2e} | {atol:g} | {mean_text} | {'yes' if ok else 'NO'} |")


def load(kit, fixture: str) -> dict[str, np.ndarray]:
    folder, index = kit
    with np.load(folder / index["fixtures"][fixture]["file"]) as data:
        return {name: data[name] for name in data.files}


def compare(kit, fixture: str, array: str, ours, part: tuple = ()) -> None:
    """Assert one output (or the `part` of it that was computed) within the kit's tolerances, and record the
    measured error."""
    _, index = kit
    spec = index["fixtures"][fixture]["arrays"][array]
    ref = load(kit, fixture)[array][part]
    ours = ours.detach().cpu().numpy() if isinstance(ours, torch.Tensor) else np.asarray(ours)
    assert ours.shape == ref.shape, f"{fixture}.{array}: shape {ours.shape}, reference {ref.shape}"
    error = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
    bound = spec["atol"] + index["rtol"] * np.abs(ref.astype(np.float64)) if spec["atol"] else 0.0
    mean = None
    ok = bool(np.all(error <= bound))
    if "mean_abs_max" in spec:  # per image: the trailing (3, H, W)
        mean = float(error.reshape(-1, int(np.prod(ref.shape[-3:]))).mean(axis=1).max())
        ok = ok and mean <= spec["mean_abs_max"]
    MEASURED.append((fixture, array, float(error.max()), spec["atol"], mean, ok))
    assert ok, f"{fixture}.{array}: max abs error {error.max():.3g} (atol {spec['atol']}), mean {mean}"


def t(array: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(array))


def test_audio_frontend(kit):
    data = load(kit, "audio_frontend")
    wave = data["waveform"]
    n = audio_frontend.frame_count(len(wave))
    compare(kit, "audio_frontend", "num_frames", np.int64(n))
    mel = audio_frontend.melspectrogram(audio_frontend.fit_to_frames(wave, n))
    compare(kit, "audio_frontend", "mel_float64", mel)
    compare(kit, "audio_frontend", "mel", mel.astype(np.float32))
    compare(kit, "audio_frontend", "indiv_mels", audio_frontend.audio_windows(wave)[:][None, :, None])
    compare(kit, "audio_frontend", "ref", coefficients.repeated_source(data["source_coeff_3dmm"][0], n)[None])


def test_audio2exp(kit, sadtalker_networks):
    nets, _ = sadtalker_networks
    data = load(kit, "audio2exp")
    with torch.inference_mode():
        ours = nets.audio2exp(t(data["indiv_mels"][0, :, 0]), t(data["ref"][0, :, :64]), t(data["ratio_gt"][0]))
    compare(kit, "audio2exp", "exp_coeff_pred", ours[None])


@pytest.mark.parametrize("fixture", ["audio2pose", "audio2pose_short"])
def test_audio2pose(kit, sadtalker_networks, fixture):
    nets, _ = sadtalker_networks
    data = load(kit, fixture)
    # the long fixture's expression half comes from the same call's audio2exp, with audio2exp.npz's blinks
    ratio = data["ratio_gt"][0] if "ratio_gt" in data else load(kit, "audio2exp")["ratio_gt"][0]
    assert int(data["num_frames"]) == data["indiv_mels"].shape[1]
    out = coefficients.predict(
        nets,
        data["indiv_mels"][0, :, 0],
        data["ref"][0, 0],
        int(data["pose_style"]),
        ratio,
        iter(t(data["z"])),
        torch.device("cpu"),
    )
    compare(kit, fixture, "pose_pred", out["pose"][None])
    compare(kit, fixture, "pose_pred_smoothed", out["pose_smoothed"][None])
    compare(kit, fixture, "savgol_window", np.int64(coefficients.smoothing_window(int(data["num_frames"]))))
    compare(kit, fixture, "coeffs_pred", out["coefficients"])
    if "exp_coeff_pred" in data:
        compare(kit, fixture, "exp_coeff_pred", out["expression"][None])


def test_face_3drecon(kit, sadtalker_networks):
    nets, _ = sadtalker_networks
    data = load(kit, "face_3drecon")
    with torch.inference_mode():
        compare(kit, "face_3drecon", "coeffs", nets.face_recon(t(data["input"])))


def test_mapping(kit, sadtalker_networks):
    _, mappings = sadtalker_networks
    data = load(kit, "mapping")
    for coeff_nc in (70, 73):
        with torch.inference_mode():
            out = mappings[coeff_nc](t(data[f"input_{coeff_nc}"]))
        for name in ("yaw", "pitch", "roll", "t", "exp"):
            compare(kit, "mapping", f"{name}_{coeff_nc}", out[name])


def test_keypoints(kit, sadtalker_networks):
    nets, mappings = sadtalker_networks
    data = load(kit, "keypoints")
    assert np.array_equal(animate.image_to_tensor(data["source_image_uint8"]).numpy(), data["source_image"])
    with torch.inference_mode():
        kp_canonical = nets.kp_detector(t(data["source_image"]))
        poses = {who: mappings[70](t(data[f"{who}_semantics"])) for who in ("source", "driving")}
        lifts = {who: pose["t"].clone() for who, pose in poses.items()}
        compare(kit, "keypoints", "kp_canonical", kp_canonical)
        for who, pose in poses.items():
            for name in ("yaw", "pitch", "roll", "t", "exp"):
                compare(kit, "keypoints", f"he_{who}_{name}", pose[name])
            degrees = [keypoints.bins_to_degrees(pose[name]) for name in ("yaw", "pitch", "roll")]
            for name, value in zip(("yaw", "pitch", "roll"), degrees):
                compare(kit, "keypoints", f"{who}_{name}_deg", value)
            compare(kit, "keypoints", f"{who}_rot_mat", keypoints.rotation_matrix(*degrees))
            compare(kit, "keypoints", f"kp_{who}", keypoints.transform_keypoints(kp_canonical, pose))
        override = t(data["override_degrees"])
        moved = keypoints.transform_keypoints(
            kp_canonical, poses["driving"], override[:, 0], override[:, 1], override[:, 2]
        )
        compare(kit, "keypoints", "kp_driving_override", moved)
        math = {name: t(data[f"math_{name}"]) for name in ("yaw", "pitch", "roll", "t", "exp")}
        degrees = [keypoints.bins_to_degrees(math[name]) for name in ("yaw", "pitch", "roll")]
        for name, value in zip(("yaw", "pitch", "roll"), degrees):
            compare(kit, "keypoints", f"math_{name}_deg", value)
        compare(kit, "keypoints", "math_rot_mat", keypoints.rotation_matrix(*degrees))
        compare(
            kit, "keypoints", "math_kp_transformed", keypoints.transform_keypoints(t(data["math_kp_canonical"]), math)
        )
    # the poses are read, never modified (SadTalker zeroes t_x and t_z in place)
    assert all(torch.equal(poses[who]["t"], lifts[who]) for who in poses)


def test_generator(kit, sadtalker_networks):
    nets, _ = sadtalker_networks
    data = load(kit, "generator")
    with torch.inference_mode():
        out = nets.generator(t(data["source_image"]), t(data["kp_source"]), t(data["kp_driving"]))
    for name in ("prediction", "occlusion_map", "mask"):
        compare(kit, "generator", name, out[name])


def test_generator_512(kit, sadtalker_dir):
    nets = load_networks(sadtalker_dir / MAIN_FILES[512])
    data, poses = load(kit, "generator_512"), load(kit, "keypoints")
    with torch.inference_mode():
        image = animate.image_to_tensor(data["source_image_uint8"])
        kp_canonical = nets.kp_detector(image)
        moved = {
            who: keypoints.transform_keypoints(
                kp_canonical, {name: t(poses[f"he_{who}_{name}"]) for name in ("yaw", "pitch", "roll", "t", "exp")}
            )
            for who in ("source", "driving")
        }
        compare(kit, "generator_512", "kp_canonical", kp_canonical)
        compare(kit, "generator_512", "kp_source", moved["source"])
        compare(kit, "generator_512", "kp_driving", moved["driving"])
        out = nets.generator(image, moved["source"], moved["driving"])
    compare(kit, "generator_512", "prediction", out["prediction"])
    compare(kit, "generator_512", "occlusion_map", out["occlusion_map"])


@pytest.mark.parametrize("coeff_nc", [70, 73])
def test_end_to_end_frames(kit, sadtalker_networks, coeff_nc):
    """Coefficients -> frames as the engine renders them (crop mode: 70 coefficients, full mode: 73)."""
    nets, mappings = sadtalker_networks
    fixture, full = f"e2e_{coeff_nc}", coeff_nc == 73
    data = load(kit, fixture)
    source = data["source_coeff_3dmm"][0]
    compare(kit, fixture, "source_semantics", animate.source_semantics(source, full)[None])
    targets = animate.target_coefficients(data["target_coeff_3dmm"], source, full, still=False, expression_scale=1.0)
    windows = animate.semantic_windows(targets, np.arange(len(targets)))
    compare(kit, fixture, "target_semantics", windows[None])
    animator = animate.Animator(
        nets.kp_detector,
        nets.generator,
        mappings[coeff_nc],
        data["source_image_uint8"],
        source,
        full,
        torch.device("cpu"),
    )
    # The first batch of 2 of the kit's 4 frames: each frame costs seconds on a CPU, and the other two come
    # from the same code with other (already compared) target windows.
    frames = animator.frames(windows[:2])
    compare(kit, fixture, "frames", frames[None], part=(slice(None), slice(0, 2)))


def test_fast_decoder_computes_the_plain_one(sadtalker_networks):
    """The rearranged SPADE decoder against the straightforward one, on a small input (16x16 -> 64x64)."""
    nets, _ = sadtalker_networks
    decoder = nets.generator.decoder
    feature = torch.rand(2, 256, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        fast = decoder(feature)
        decoder.plain = True
        try:
            plain = decoder(feature)
        finally:
            decoder.plain = False
    assert fast.shape == (2, 3, 64, 64)
    # the same function up to float rounding (summed kernel taps, fused convs): far inside the 5e-4 tolerance
    assert torch.allclose(fast, plain, atol=1e-4, rtol=0), (fast - plain).abs().max()


def test_batched_generator_matches_frame_by_frame(kit, sadtalker_networks):
    """A GPU renders a whole batch in one pass (a CPU goes frame by frame): same frames, on a small 128 px input."""
    nets, _ = sadtalker_networks
    data = load(kit, "keypoints")
    image = torch.nn.functional.interpolate(t(data["source_image"]), size=(128, 128), mode="area")
    kp_driving = torch.cat([t(data["kp_driving"]), t(data["kp_driving_override"]), t(data["kp_source"])])
    with torch.inference_mode():
        encoded = nets.generator.encode_source(image, t(data["kp_source"]))
        batched = nets.generator.render(encoded, kp_driving)
        for i in range(len(kp_driving)):
            single = nets.generator.render(encoded, kp_driving[i : i + 1])
            # batched convolutions round differently; the deep decoder turns that into ~3e-5, as the kit
            # measured between thread counts. A batch mixed up with its neighbours would be off by 1e-2 and more.
            for name, atol in (("prediction", 2e-4), ("occlusion_map", 1e-5), ("mask", 1e-5)):
                assert torch.allclose(batched[name][i : i + 1], single[name], atol=atol, rtol=0), name
