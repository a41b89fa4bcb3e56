"""The Celery executor with real redis-server and real worker processes: scale, faults, routing."""

from __future__ import annotations

import time

import pytest

from .support import RedisServer, Stack, Worker, check_mp4, needs, wait_done

pytestmark = needs("redis-server")

SHORT = "Hello there, nice to meet you."
LONG = ("This one is long, so that it is still being drawn when its worker is killed. It keeps going for a while, "
        "sentence after sentence, until the other worker has to take it over and finish it from the start.")
LIMIT_S = 15
DB = {"pair": 5, "routing": 6}


def _folder_files(stack: Stack, job_id: str) -> list[str]:
    return sorted(p.name for p in (stack.server.results / job_id).iterdir())


@pytest.fixture(scope="module")
def pair(redis_server, tmp_path_factory):
    """An API server and two single-process workers on one Redis database."""
    stack = Stack(tmp_path_factory.mktemp("pair"), "celery", redis=redis_server, db=DB["pair"], workers=2,
                  env={"TALKING_HEAD_JOB_TIME_LIMIT_S": str(LIMIT_S), "TALKING_HEAD_QUEUE_SIZE": "40"})
    stack.start()
    yield stack
    stack.stop()


def test_twenty_jobs_through_two_workers(pair):
    with pair.server.client() as client:
        jobs = [client.post("/v1/talks", data={"text": f"Video number {i}. {SHORT}", "size": "128"}).json()["id"]
                for i in range(20)]
        records = [wait_done(client, job, timeout_s=180) for job in jobs]
        for record in records:
            assert record["status"] == "done", record
            assert record["attempts"] == 1
            check_mp4(client.get(record["video_url"]).content)
    workers_used = {_node(pair, job) for job in jobs}
    assert workers_used == {w.name + "@127.0.0.1" for w in pair.workers}, workers_used
    for job in jobs:
        assert _folder_files(pair, job) == ["talk.mp4", "talk.vtt"]


def _node(stack: Stack, job_id: str) -> str:
    """Which worker node ran a job, from the shared job store (the API does not publish it)."""
    import json

    import redis

    db = redis.Redis.from_url(stack.env["TALKING_HEAD_BROKER_URL"])
    return json.loads(db.hget(f"talking-head:job:{job_id}", "worker")).split("/")[0]


def test_killed_worker_job_finishes_on_the_other(pair):
    with pair.server.client() as client:
        long_job = client.post("/v1/talks", data={"text": LONG, "size": "384"}).json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            record = client.get(f"/v1/talks/{long_job}").json()
            if record["status"] == "running" and record["stage"] == "render":
                break
            time.sleep(0.05)
        assert record["status"] == "running" and record["stage"] == "render", record
        assert 0 < record["progress"] < 100, "the worker's progress reaches the API"
        victim_node = _node(pair, long_job)
        victim = next(w for w in pair.workers if victim_node.startswith(w.name + "@"))
        survivor = next(w for w in pair.workers if w is not victim)
        others = [client.post("/v1/talks", data={"text": f"After the crash {i}. {SHORT}", "size": "128"}).json()["id"]
                  for i in range(3)]
        victim.kill9()
        killed_at = time.monotonic()

        record = wait_done(client, long_job, timeout_s=LIMIT_S + 60)
        redelivered_after = time.monotonic() - killed_at
        assert record["status"] == "done", record
        assert record["attempts"] == 2
        assert _node(pair, long_job) == survivor.name + "@127.0.0.1"
        check_mp4(client.get(record["video_url"]).content, min_duration_s=5)
        for job in others:
            other = wait_done(client, job, timeout_s=60)
            assert other["status"] == "done" and other["attempts"] == 1
        for job in [long_job, *others]:
            # One result per job, renamed into place: no second copy, no partial file.
            assert _folder_files(pair, job) == ["talk.mp4", "talk.vtt"]
    print(f"killed worker's job finished on {survivor.name} {redelivered_after:.1f} s after the kill")


def test_redis_outage_gives_fast_503_and_recovers(tmp_path):
    redis = RedisServer(tmp_path / "redis").start()
    stack = Stack(tmp_path / "stack", "celery", redis=redis, db=0)
    try:
        stack.start()
        with stack.server.client() as client:
            before = client.post("/v1/talks", data={"text": SHORT, "size": "128"}).json()["id"]
            assert wait_done(client, before)["status"] == "done"

            redis.stop()
            started = time.monotonic()
            refused = client.post("/v1/talks", data={"text": SHORT, "size": "128"})
            elapsed = time.monotonic() - started
            assert refused.status_code == 503, refused.text
            assert elapsed < 1.0, f"503 took {elapsed:.2f} s"
            assert refused.json()["error"]["code"] == "unavailable"
            assert "unreachable" in refused.json()["error"]["message"]
            assert int(refused.headers["retry-after"]) > 0
            assert client.get(f"/v1/talks/{before}").status_code == 503
            ready = client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["queue"] != "ok"
            print(f"submit with Redis down: 503 in {elapsed * 1000:.0f} ms")

            redis.start()  # the same port and data folder
            deadline = time.monotonic() + 30
            while (response := client.post("/v1/talks", data={"text": SHORT, "size": "128"})).status_code != 202:
                assert time.monotonic() < deadline, response.text
                time.sleep(0.5)
            recovered_in = time.monotonic() - deadline + 30
            assert client.get(f"/v1/talks/{before}").json()["status"] == "done", "job state survived the outage"
            record = wait_done(client, response.json()["id"], timeout_s=90)
            assert record["status"] == "done", record
            check_mp4(client.get(record["video_url"]).content)
            print(f"after Redis came back: accepted in {recovered_in:.1f} s, done without restarting anything")
    finally:
        stack.stop()
        redis.stop()


def test_jobs_route_by_engine(redis_server, tmp_path):
    """SadTalker jobs wait for a gpu worker; built-in jobs run on a cpu worker."""
    stack = Stack(tmp_path, "celery", redis=redis_server, db=DB["routing"], workers=0)
    stack.start(ready=False)
    gpu = None
    try:
        with stack.server.client() as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "no Celery worker" in ready.json()["checks"]["workers"]
            cpu = Worker(tmp_path / "workers", stack.env, "cpu-only", queues="cpu")
            stack.workers.append(cpu)
            cpu.start().wait_ready()
            gpu_job = client.post("/v1/talks", data={"text": SHORT, "size": "128", "engine": "sadtalker"}).json()["id"]
            cpu_job = client.post("/v1/talks", data={"text": SHORT, "size": "128", "engine": "builtin"}).json()["id"]
            assert wait_done(client, cpu_job)["status"] == "done"
            # Submitted first: had it gone to the cpu queue, the cpu worker would have run it first.
            assert client.get(f"/v1/talks/{gpu_job}").json()["status"] == "queued"

            gpu = Worker(tmp_path / "workers", stack.env, "gpu-box", queues="gpu")
            stack.workers.append(gpu)
            gpu.start().wait_ready()
            record = wait_done(client, gpu_job)
            assert record["status"] == "done"
            # No checkpoints on this test machine: the gpu worker fell back, and says why.
            assert record["result"]["fallback"] and record["result"]["fallback_reason"].startswith("sadtalker")
            assert _node(stack, gpu_job) == "gpu-box@127.0.0.1"
            assert _node(stack, cpu_job) == "cpu-only@127.0.0.1"
    finally:
        stack.stop()
