"""How long a job whose worker is killed waits before another worker finishes it, with default settings.

    python -m bench.lost_worker [--rounds 3] [--kill machine|process] [--size 256]

A fresh redis-server, `talking-head serve` with the celery executor and two
`talking-head worker` processes (one pool process each), all with the default
time limit (1800 s) and lease settings. Each round submits one job, waits until
it is drawing frames, and `kill -9`s either the whole worker (`machine`: main
process and pool child, as when a machine is lost) or only the pool process
running it (`process`: as the out-of-memory killer does). The table gives the
seconds from the kill until the job ran again and until it was done. Needs
redis-server on the PATH. Nothing is asserted: it measures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.celery_workers import start_redis, wait_workers
from bench.service_load import clean_env, start, start_server, stop

TEXT = (
    "This one is long, so that it is still being drawn when its worker is killed. It keeps going for a while, "
    "sentence after sentence, until the other worker has to take it over and finish it from the start."
)


def _worker(index: int, env: dict, folder: Path):
    log = folder / f"worker{index}.log"
    log.unlink(missing_ok=True)
    process = start(["worker", "--concurrency", "1", "--hostname", f"lost{index}@127.0.0.1"], env, log)
    return process, log


def _poll(client: httpx.Client, job: str, until, timeout_s: float = 600) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = client.get(f"/v1/talks/{job}").json()
        if until(record):
            return record
        time.sleep(0.05)
    raise SystemExit(f"job {job} stuck: {record}")


def measure(rounds: int, kill: str, size: int) -> list[tuple[float, float, int]]:
    import redis

    with tempfile.TemporaryDirectory(prefix="talking-head-lost-bench-") as name:
        folder = Path(name)
        redis_process, broker = start_redis(folder)
        env = clean_env(
            {
                "TALKING_HEAD_EXECUTOR": "celery",
                "TALKING_HEAD_BROKER_URL": broker,
                "TALKING_HEAD_RESULTS_DIR": folder / "shared",
            }
        )
        workers = [_worker(i, env, folder) for i in (1, 2)]
        server, url = start_server(folder, env)
        store = redis.Redis.from_url(broker)
        results = []
        try:
            wait_workers([log for _, log in workers])
            with httpx.Client(base_url=url, timeout=60) as client:
                for _ in range(rounds):
                    job = client.post("/v1/talks", data={"text": TEXT, "size": str(size)}).json()["id"]
                    _poll(client, job, lambda r: r["status"] == "running" and r["stage"] == "render")
                    runner = json.loads(store.hget(f"talking-head:job:{job}", "worker"))
                    node, pid = runner.split("/")
                    index = int(node.split("@")[0].removeprefix("lost"))
                    killed_at = time.monotonic()
                    if kill == "machine":
                        os.killpg(workers[index - 1][0].pid, signal.SIGKILL)
                    else:
                        os.kill(int(pid), signal.SIGKILL)
                    _poll(client, job, lambda r: r["attempts"] >= 2 and r["status"] in ("running", "done", "failed"))
                    picked_up = time.monotonic() - killed_at
                    record = _poll(client, job, lambda r: r["status"] in ("done", "failed"))
                    results.append((picked_up, time.monotonic() - killed_at, record["attempts"]))
                    print(
                        f"  kill -> running again {picked_up:.1f} s, -> {record['status']} "
                        f"{results[-1][1]:.1f} s (attempts {record['attempts']})",
                        flush=True,
                    )
                    if kill == "machine":
                        workers[index - 1][0].wait(10)
                        workers[index - 1] = _worker(index, env, folder)
                        wait_workers([workers[index - 1][1]])
        finally:
            for process in [server, *(p for p, _ in workers), redis_process]:
                stop(process)
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--kill", choices=["machine", "process"], default="machine")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (apt-get install -y redis-server)")
    results = measure(args.rounds, args.kill, args.size)
    picked = [r[0] for r in results]
    done = [r[1] for r in results]
    print(
        f"\nkill -9 of the {'whole worker' if args.kill == 'machine' else 'pool process'} running a job, "
        f"default settings (lease 30 s, heartbeat 5 s, time limit 1800 s), {args.size}x{args.size}:\n"
    )
    print("| | min | median | max |\n|---|---|---|---|")
    print(
        f"| kill -> running again, in another process | {min(picked):.1f} s | {statistics.median(picked):.1f} s | "
        f"{max(picked):.1f} s |"
    )
    print(f"| kill -> done | {min(done):.1f} s | {statistics.median(done):.1f} s | {max(done):.1f} s |")


if __name__ == "__main__":
    main()
