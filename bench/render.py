"""`python -m bench.render`: how fast the built-in renderer draws, on one core and end to end.

Two tables. The renderer alone (frames of motion drawn to RGB arrays, one
thread for OpenCV and NumPy) against a baseline drawn in the same process:
the classic piecewise-affine warp, one `cv2.warpAffine` per triangle over the
same mesh. Then text to finished MP4 for a ~20-second text on all cores,
first call (models loading) and warm, as a real-time factor (wall time over
video seconds). Also writes a 12-frame contact sheet of the rendered frames.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import cv2
import numpy as np

from .cases import DEFAULT_FACE

TEXT_20S = (
    "Good morning, and welcome to the course. Today we will build a small web page, step by step. "
    "First we open the editor and make a new folder. Then we write the page, and we test it in the browser. "
    "Maybe it breaks the first time; that is fine, because mistakes show us what to fix. "
    "By the end of the hour you will have a page of your own, and a plan for the next one."
)
RESULTS = Path(__file__).parent / "results"


def per_triangle_warp(image: np.ndarray, triangles: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The textbook warp: for each triangle, warpAffine its bounding box and paste it through a mask."""
    out = image.copy()
    for tri in triangles:
        s, d = src[tri].astype(np.float32), dst[tri].astype(np.float32)
        x, y, w, h = cv2.boundingRect(d)
        if w <= 0 or h <= 0:
            continue
        matrix = cv2.getAffineTransform(s, (d - (x, y)).astype(np.float32))
        patch = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, np.round(d - (x, y)).astype(np.int32), 1)
        y1, x1 = min(y + h, out.shape[0]), min(x + w, out.shape[1])
        if y >= 0 and x >= 0 and y1 > y and x1 > x:
            region, m = out[y:y1, x:x1], mask[: y1 - y, : x1 - x].astype(bool)
            region[m] = patch[: y1 - y, : x1 - x][m]
    return out


def renderer_table(size: int, seconds: float) -> tuple[str, list[np.ndarray]]:
    from talking_head.engines.builtin.engine import BuiltinEngine
    from talking_head.face import analyze_face
    from talking_head.motion import build_motion
    from talking_head.pipeline import TalkOptions
    from talking_head.speech import speech_from_text

    cv2.setNumThreads(1)  # the renderer's only threaded calls are OpenCV's; NumPy's BLAS is not on its path
    options = TalkOptions(size=size)
    face = analyze_face(DEFAULT_FACE)
    engine = BuiltinEngine()
    prepared = engine.prepare(face, options)
    motion = build_motion(speech_from_text(TEXT_20S), options)
    frames = [motion.frame(i) for i in range(motion.n_frames)]

    def measure(draw) -> tuple[float, int]:
        start, n = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            draw(frames[n % len(frames)])
            n += 1
        return n / (time.perf_counter() - start), n

    ours, n_ours = measure(lambda p: engine.draw(prepared, p))
    triangles = prepared.mesh.triangles
    rest = prepared.mesh.points[:, :2]
    image = prepared.framing.image
    baseline, n_base = measure(lambda p: per_triangle_warp(image, triangles, rest, prepared.deformer.positions(p)))
    sheet = [engine.draw(prepared, frames[i]) for i in np.linspace(0, len(frames) - 1, 12).astype(int)]
    rows = [
        "| renderer (1 thread) | size | frames | frames/s | ratio |",
        "|---|---|---|---|---|",
        f"| per-triangle warpAffine (baseline) | {size} | {n_base} | {baseline:.1f} | 1.00 |",
        f"| builtin (raster + remap) | {size} | {n_ours} | {ours:.1f} | {ours / baseline:.2f} |",
    ]
    return "\n".join(rows), sheet


def _seconds(value: float | None) -> str:
    """A stage's time; the voice's own timing leaves no separate alignment stage."""
    return "n/a" if value is None else f"{value:.2f}"


def end_to_end_table(output: Path) -> str:
    from talking_head.pipeline import TalkOptions, talk

    rows = [
        "| text to MP4 (all cores) | video s | wall s | RTF | render s | encode s | tts s | align s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in ("first call (models load)", "warm"):
        start = time.perf_counter()
        result = talk(text=TEXT_20S, output=output, options=TalkOptions())
        wall = time.perf_counter() - start
        t = result.timings
        rows.append(
            f"| {label} | {result.duration_s:.1f} | {wall:.2f} | {wall / result.duration_s:.3f} | "
            f"{t['render']:.2f} | {t['encode']:.2f} | {t['tts']:.2f} | {_seconds(t.get('align'))} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=5.0, help="time spent measuring each renderer")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    # End to end first, with every core, before the renderer table pins this process to one thread.
    print(end_to_end_table(RESULTS / "render_e2e.mp4"))
    print()
    table, sheet = renderer_table(args.size, args.seconds)
    print(table)
    tiles = [cv2.resize(f, (256, 256)) for f in sheet]
    grid = np.concatenate([np.concatenate(tiles[r * 4 : r * 4 + 4], axis=1) for r in range(3)], axis=0)
    sheet_path = RESULTS / "render_sheet.png"
    cv2.imwrite(str(sheet_path), cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    print(f"\ncontact sheet: {sheet_path}  (cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
