"""Load on the HTTP service: N jobs submitted at once, then latency and throughput.

    python -m bench.service_load [--jobs 20] [--workers 2] [--size 256]

Starts `talking-head serve` (local executor) on 127.0.0.1 with a temporary data
folder, submits every job at the same moment from N threads, polls until all
have ended, and prints a markdown table. Latency is submit to done as the
server recorded it (created_at to finished_at). Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

TEXT = "Good morning, and welcome. Today we look at how the weather will change over the week."


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALKING_HEAD_")}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "talking_head.cli", *args],
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def start_server(folder: Path, env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start(["serve", "--port", str(port), "--data-dir", str(folder / "data")], env, folder / "server.log")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.25)
    stop(process)
    raise SystemExit(f"the server did not get ready; see {folder / 'server.log'}")


def _epoch(stamp: str | None) -> float | None:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() if stamp else None


def run_load(url: str, jobs: int, size: int) -> dict:
    """Submit `jobs` at once, wait for all, and return the measurements."""
    barrier = threading.Barrier(jobs)
    submitted: list[tuple[int, str | None]] = [None] * jobs

    def submit(i: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            barrier.wait()
            response = client.post("/v1/talks", data={"text": f"Number {i + 1}. {TEXT}", "size": str(size)})
            submitted[i] = (response.status_code, response.json().get("id"))

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(jobs)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [job_id for status, job_id in submitted if status == 202]
    records = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        deadline = time.monotonic() + 1800
        while len(records) < len(ids) and time.monotonic() < deadline:
            for job_id in ids:
                if job_id not in records:
                    record = client.get(f"/v1/talks/{job_id}").json()
                    if record["status"] in ("done", "failed"):
                        records[job_id] = record
            time.sleep(0.2)
    wall = time.monotonic() - started
    done = [r for r in records.values() if r["status"] == "done"]
    latency = sorted(_epoch(r["finished_at"]) - _epoch(r["created_at"]) for r in done)
    wait = sorted(_epoch(r["started_at"]) - _epoch(r["created_at"]) for r in done)
    video_s = sum(r["result"]["duration_s"] for r in done)
    return {
        "submitted": jobs,
        "accepted": len(ids),
        "refused": jobs - len(ids),
        "done": len(done),
        "failed": sum(r["status"] == "failed" for r in records.values()),
        "lost": len(ids) - len(records),
        "wall_s": wall,
        "latency": latency,
        "wait": wait,
        "video_s": video_s,
        "engines": sorted({r["result"]["engine"] for r in done}),
    }


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[index]


def table(rows: list[tuple[str, dict]]) -> str:
    lines = [
        "| setup | jobs | done | failed | lost | p50 submit→done | p95 submit→done | p50 queue wait | "
        "wall | videos/min | video s made per wall s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for label, m in rows:
        lines.append(
            f"| {label} | {m['submitted']} | {m['done']} | {m['failed']} | {m['lost']} | "
            f"{percentile(m['latency'], 50):.1f} s | {percentile(m['latency'], 95):.1f} s | "
            f"{percentile(m['wait'], 50):.1f} s | {m['wall_s']:.1f} s | {60 * m['done'] / m['wall_s']:.1f} | "
            f"{m['video_s'] / m['wall_s']:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="pool processes (default: cores)")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="talking-head-load-") as folder:
        env = clean_env({"TALKING_HEAD_WORKERS": args.workers, "TALKING_HEAD_QUEUE_SIZE": max(16, args.jobs)})
        server, url = start_server(Path(folder), env)
        try:
            measured = run_load(url, args.jobs, args.size)
        finally:
            stop(server)
    print(
        f"{args.jobs} jobs submitted at once to `talking-head serve` (local pool, {args.workers} processes), "
        f"{args.size}x{args.size}, one sentence each ({measured['video_s'] / max(1, measured['done']):.1f} s of "
        f"video on average), engine {', '.join(measured['engines'])}, {os.cpu_count()} CPU cores.\n"
    )
    print(table([(f"local pool × {args.workers}", measured)]))
    print(
        f"\nLoad average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f} "
        "(other work on the machine slows every number above)."
    )


if __name__ == "__main__":
    main()
