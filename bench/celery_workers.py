"""Videos per minute through the Celery executor with 1 and 2 workers.

    python -m bench.celery_workers [--jobs 20] [--workers 1,2] [--size 256]

For each worker count: a fresh redis-server on 127.0.0.1, `talking-head serve`
with TALKING_HEAD_EXECUTOR=celery, and that many `talking-head worker`
processes (one pool process each). All jobs are submitted at once; the table
gives videos per minute and submit-to-done latency (p50/p95). Needs
redis-server on the PATH. Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.service_load import clean_env, free_port, run_load, start, start_server, stop, table


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=open(folder / "redis.log", "ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(0.5)
    return process, f"redis://127.0.0.1:{port}/0"


def wait_workers(logs: list[Path], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if all(log.exists() and "models loaded" in log.read_text(errors="replace") for log in logs):
            return
        time.sleep(0.25)
    raise SystemExit(f"workers did not get ready; see {logs}")


def measure(workers: int, jobs: int, size: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="talking-head-celery-bench-") as name:
        folder = Path(name)
        redis, broker = start_redis(folder)
        env = clean_env(
            {
                "TALKING_HEAD_EXECUTOR": "celery",
                "TALKING_HEAD_BROKER_URL": broker,
                "TALKING_HEAD_RESULTS_DIR": folder / "shared",
                "TALKING_HEAD_QUEUE_SIZE": max(16, jobs),
            }
        )
        processes = [redis]
        try:
            logs = []
            for i in range(workers):
                log = folder / f"worker{i + 1}.log"
                processes.append(
                    start(["worker", "--concurrency", "1", "--hostname", f"bench{i + 1}@127.0.0.1"], env, log)
                )
                logs.append(log)
            server, url = start_server(folder, env)
            processes.append(server)
            wait_workers(logs)
            return run_load(url, jobs, size)
        finally:
            for process in reversed(processes):
                stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare (default: %(default)s)")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
    load_before = os.getloadavg()[0]
    rows = []
    for count in [int(n) for n in args.workers.split(",")]:
        rows.append((f"celery, {count} worker{'s' if count > 1 else ''}", measure(count, args.jobs, args.size)))
    print(
        f"{args.jobs} jobs submitted at once through Redis + Celery, {args.size}x{args.size}, one sentence each, "
        f"workers with one pool process each, all on this machine ({os.cpu_count()} CPU cores).\n"
    )
    print(table(rows))
    print(
        f"\nLoad average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f} "
        "(other work on the machine slows every number above)."
    )


if __name__ == "__main__":
    main()
