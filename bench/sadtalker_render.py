"""`python -m bench.sadtalker_render`: frames per second of the SadTalker renderer, ours against a baseline.

The renderer is everything per frame after the coefficients: MappingNet, the
keypoint transformation and the generator. The baseline, measured in the
same process on the same weights, is the reference's way of computing it:
the plain (unfused, NCHW) SPADE decoder and the source image re-encoded for
every frame, one frame at a time. Ours: the prepared decoder, the source
encoded once, frames in batches. Both on one thread and on all cores; the
speed-up is against the baseline on as many threads. Wall time can be
disturbed by other work on the machine; CPU seconds per frame (all threads,
including OpenMP's spinning) are shown beside it, and the one-thread rows
are the least disturbed.

Without --sadtalker-dir the conformance kit's synthetic weights are written
to a temporary folder (the speed of random weights is the speed of real ones).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")  # as the engine does, before torch allocates

import numpy as np  # noqa: E402
import torch  # noqa: E402

from talking_head.engines.sadtalker import animate, checkpoints, preprocess  # noqa: E402
from talking_head.engines.sadtalker.landmarks68 import ibug68  # noqa: E402
from talking_head.face import analyze_face  # noqa: E402
from talking_head.pipeline import DEFAULT_FACE  # noqa: E402

KIT = Path(__file__).resolve().parents[1].parent / "shared" / "sadtalker"


def synthetic_checkpoints(folder: Path, sizes: list[int]) -> Path:
    script = KIT / "synth_weights.py"
    if not script.is_file():
        sys.exit(f"no --sadtalker-dir given and no conformance kit at {KIT} to write synthetic weights")
    for size in sizes:
        extra = [] if size == 256 else ["--size", str(size), "--only", checkpoints.MAIN_FILES[size]]
        subprocess.run([sys.executable, str(script), str(folder), *extra], check=True, capture_output=True)
    return folder


def source_for(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The bundled face, cropped as the engine crops it, and made-up source coefficients."""
    face = analyze_face(DEFAULT_FACE)
    box = preprocess.face_box(ibug68(face.landmarks))
    coefficients = np.random.default_rng(0).normal(0, 0.3, 73).astype(np.float32)
    coefficients[70:] = (1.0, 0.1, -0.1)
    return preprocess.crop_square(face.image, box, size)[0], coefficients


def windows_for(n: int, source: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    coeffs = source[None, :70] + rng.normal(0, 0.2, (n, 70)).astype(np.float32)
    return animate.semantic_windows(coeffs, np.arange(n))


def timed(run, frames: int, repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) per frame: the best of `repeat` runs after one warm-up."""
    run()
    best_wall, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        best_wall = min(best_wall, (time.perf_counter() - wall) / frames)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / frames)
    return best_wall, best_cpu


def bench_size(folder: Path, size: int, batches: list[int], repeat: int, threads: int) -> list[tuple]:
    nets = checkpoints.load_networks(folder / checkpoints.MAIN_FILES[size])
    state, problems = checkpoints.read_mapping(folder / checkpoints.MAPPING_FILES[70], 70)
    assert not problems, problems
    mapping = checkpoints.build_mapping(state, 70)
    image, source = source_for(size)
    device = torch.device("cpu")
    animator = animate.Animator(nets.kp_detector, nets.generator, mapping, image, source, False, device)
    generator, decoder = nets.generator, nets.generator.decoder
    image_t = animate.image_to_tensor(image)
    rows = []

    def baseline():
        """One frame as the reference renders it: encode the source, plain decoder."""
        decoder.plain = True
        try:
            with torch.inference_mode():
                kp_driving = animator.driving_keypoints(torch.from_numpy(windows_for(1, source)))
                generator(image_t, animator.encoded.motion.kp_source, kp_driving)
        finally:
            decoder.plain = False

    for thread_count in sorted({1, threads}):
        torch.set_num_threads(thread_count)
        base_wall, base_cpu = timed(baseline, 1, repeat)
        rows.append((size, "baseline: the reference's computation", 1, thread_count, base_wall, base_cpu, 1.0))
        for batch in batches:
            windows = windows_for(batch, source)
            wall, cpu = timed(lambda windows=windows: animator.frames(windows), batch, repeat)
            rows.append((size, "ours", batch, thread_count, wall, cpu, base_wall / wall))
    torch.set_num_threads(threads)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sadtalker-dir", type=Path, help="checkpoint folder (default: synthetic weights)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[256], choices=[256, 512])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeat", type=int, default=2, help="timed runs per row, best kept (default: 2)")
    args = parser.parse_args(argv)
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory(prefix="sadtalker_bench_") as scratch:
        folder = args.sadtalker_dir or synthetic_checkpoints(Path(scratch), sorted(set([256, *args.sizes])))
        rows = [row for size in args.sizes for row in bench_size(folder, size, args.batches, args.repeat, threads)]
    print(f"SadTalker renderer, CPU ({os.cpu_count()} cores, torch {torch.__version__}, float32)\n")
    print("| size | renderer | batch | threads | s/frame | frames/s | CPU s/frame | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for size, name, batch, thread_count, wall, cpu, ratio in rows:
        print(
            f"| {size} | {name} | {batch} | {thread_count} | {wall:.2f} | {1 / wall:.3f} | {cpu:.2f} | {ratio:.2f}x |"
        )


if __name__ == "__main__":
    main()
