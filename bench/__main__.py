"""`python -m bench`: make every standard case, measure it, print tables and write JSON.

Each case is made in a fresh process (`bench.worker`), so its peak memory and
its model loading are its own; the finished video is then measured here with
the evaluator (`talking_head.evaluate`), which also draws a contact sheet.
Results go to `bench/results/<time>/` (`results.json`, the videos, the
sheets) and the tables are printed as markdown. `--compare OLD.json` prints
new/old ratios against an earlier run; speed ratios only mean something
between runs on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from .cases import CASES, QUICK, REPO
from .table import ratios, tables

RESULTS = Path(__file__).parent / "results"
CASE_TIMEOUT_S = 1800


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=REPO, capture_output=True, text=True
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def run_case(case, folder: Path, engine: str, timing: str = "voice", label: str | None = None) -> dict:
    """Make the case's video in a fresh process, then measure it here; `label` names its row."""
    from talking_head.evaluate.report import evaluate

    label = label or case.name
    video = folder / f"{label}.mp4"
    done = subprocess.run(
        [sys.executable, "-m", "bench.worker", case.name, str(video), "--engine", engine, "--timing", timing],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=CASE_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(f"case {case.name} failed:\n{done.stderr[-2000:]}")
    record = json.loads(done.stdout.strip().splitlines()[-1])
    result, total = record["result"], record["timings"]["total"]
    record["rtf"] = round(total / result["duration_s"], 4) if result["duration_s"] else None
    record["fps"] = round(result["frames"] / total, 2) if total else None
    record["image"] = str(case.image.relative_to(REPO))
    record["text"] = case.transcript
    record["audio"] = str(case.audio.relative_to(REPO)) if case.audio else None
    record["case"] = label
    record["quality"] = evaluate(video, source=case.image, text=case.transcript, sheet=folder / f"{label}.png")
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only the quick cases: {', '.join(QUICK)}")
    parser.add_argument(
        "--cases", help="comma-separated case names (default: all): " + ", ".join(c.name for c in CASES)
    )
    parser.add_argument(
        "--engine",
        default="auto",
        choices=["auto", "builtin", "sadtalker", "still"],
        help="engine for every case (default: auto, as a user gets)",
    )
    parser.add_argument(
        "--timing",
        default="voice",
        help="how text cases are timed, comma-separated to compare in one run: voice (the "
        "voice's own durations), forced (PocketSphinx alignment of the speech); rows are "
        "named CASE@TIMING when more than one is given (default: voice)",
    )
    parser.add_argument("--compare", metavar="OLD.json", help="print new/old ratios against an earlier results.json")
    parser.add_argument("--out", help="results folder (default: bench/results/<date-time>)")
    args = parser.parse_args(argv)

    wanted = QUICK if args.quick else [c.name for c in CASES]
    if args.cases:
        wanted = [name.strip() for name in args.cases.split(",")]
        unknown = set(wanted) - {c.name for c in CASES}
        if unknown:
            parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    old = None
    if args.compare:
        old = json.loads(Path(args.compare).read_text())["cases"]
    folder = Path(args.out) if args.out else RESULTS / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)

    timings = [t.strip() for t in args.timing.split(",") if t.strip()]
    if not timings or set(timings) - {"voice", "forced"}:
        parser.error("--timing takes voice, forced or both (voice,forced)")
    records = []
    for case in CASES:
        if case.name not in wanted:
            continue
        for timing in timings if case.audio is None else timings[:1]:  # a recording is not synthesized
            label = f"{case.name}@{timing}" if len(timings) > 1 and case.audio is None else case.name
            print(f"{label} ...", file=sys.stderr, flush=True)
            records.append(run_case(case, folder, args.engine, timing, label))
    run = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "commit": _git_commit(),
        "engine": args.engine,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "cases": records,
    }
    report = tables(records)
    if old is not None:
        text, data = ratios(records, old)
        run["compare"] = {"against": args.compare, "ratios": data}
        report += f"\n\nChange against {args.compare} (new / old):\n\n" + text
    (folder / "results.json").write_text(json.dumps(run, indent=2))
    (folder / "tables.md").write_text(report + "\n")
    print(report)
    print(f"\nresults: {folder / 'results.json'}; contact sheets: {folder}/<case>.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
