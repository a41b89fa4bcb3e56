"""The Celery executor with real redis-server and real worker processes: scale, faults, routing."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .support import RedisServer, Stack, Worker, check_mp4, needs, submit_together, wait_done, wait_rendering

pytestmark = needs("redis-server")

SHORT = "Hello there, nice to meet you."
LONG = (
    "This one is long, so that it is still being drawn when its worker is killed. It keeps going for a while, "
    "sentence after sentence, until the other worker has to take it over and finish it from the start."
)
DB = {"pair": 5, "routing": 6, "doomed": 7}
DEFAULT_TIME_LIMIT_S = "1800"  # the shipped default (the other test stacks use a short one)


def _folder_files(stack: Stack, job_id: str) -> list[str]:
    return sorted(p.name for p in (stack.server.results / job_id).iterdir())


@pytest.fixture(scope="module")
def pair(redis_server, tmp_path_factory):
    """An API server and two single-process workers on one Redis database, with the default
    time limit and lease settings."""
    stack = Stack(
        tmp_path_factory.mktemp("pair"),
        "celery",
        redis=redis_server,
        db=DB["pair"],
        workers=2,
        env={"TALKING_HEAD_JOB_TIME_LIMIT_S": DEFAULT_TIME_LIMIT_S, "TALKING_HEAD_QUEUE_SIZE": "40"},
    )
    stack.start()
    yield stack
    stack.stop()


def test_twenty_jobs_through_two_workers(pair):
    with pair.server.client() as client:
        jobs = [
            client.post("/v1/talks", data={"text": f"Video number {i}. {SHORT}", "size": "128"}).json()["id"]
            for i in range(20)
        ]
        records = [wait_done(client, job, timeout_s=180) for job in jobs]
        for record in records:
            assert record["status"] == "done", record
            assert record["attempts"] == 1
            check_mp4(client.get(record["video_url"]).content)
    workers_used = {_node(pair, job) for job in jobs}
    assert workers_used == {w.name + "@127.0.0.1" for w in pair.workers}, workers_used
    for job in jobs:
        assert _folder_files(pair, job) == ["talk.mp4", "talk.vtt"]


def _runner(stack: Stack, job_id: str) -> str:
    """`node/pid` of the worker process that runs (or ran) a job, from the shared job store
    (the API does not publish it)."""
    import json

    import redis

    db = redis.Redis.from_url(stack.env["TALKING_HEAD_BROKER_URL"])
    return json.loads(db.hget(f"talking-head:job:{job_id}", "worker") or "null") or ""


def _node(stack: Stack, job_id: str) -> str:
    return _runner(stack, job_id).split("/")[0]


def test_killed_worker_job_finishes_on_the_other(pair):
    """The worker's whole machine is lost (main process and pool child, kill -9) with default settings."""
    with pair.server.client() as client:
        long_job = client.post("/v1/talks", data={"text": LONG, "size": "384"}).json()["id"]
        record = wait_rendering(client, long_job)
        assert 0 < record["progress"] < 100, "the worker's progress reaches the API"
        victim_node = _node(pair, long_job)
        victim = next(w for w in pair.workers if victim_node.startswith(w.name + "@"))
        survivor = next(w for w in pair.workers if w is not victim)
        others = [
            client.post("/v1/talks", data={"text": f"After the crash {i}. {SHORT}", "size": "128"}).json()["id"]
            for i in range(3)
        ]
        victim.kill9()
        killed_at = time.monotonic()

        record = wait_done(client, long_job, timeout_s=180)
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
    victim.start().wait_ready()  # the pair is whole again for the next test


def test_killed_pool_child_job_runs_again(pair):
    """kill -9 of the worker process running the job (what the out-of-memory killer does), default settings."""
    with pair.server.client() as client:
        job = client.post("/v1/talks", data={"text": LONG, "size": "384"}).json()["id"]
        wait_rendering(client, job)
        first = _runner(pair, job)
        os.kill(int(first.split("/")[1]), signal.SIGKILL)
        killed_at = time.monotonic()
        record = wait_done(client, job, timeout_s=180)
        finished_after = time.monotonic() - killed_at
        assert record["status"] == "done", record
        assert record["attempts"] == 2
        assert _runner(pair, job) != first, "a different process made the video"
        check_mp4(client.get(record["video_url"]).content, min_duration_s=5)
        assert _folder_files(pair, job) == ["talk.mp4", "talk.vtt"]
    print(f"killed pool child's job finished on {_runner(pair, job)} {finished_after:.1f} s after the kill")


@pytest.fixture
def doomed(redis_server, tmp_path):
    """One worker and a short lease, for a job that is lost on every attempt."""
    stack = Stack(
        tmp_path,
        "celery",
        redis=redis_server,
        db=DB["doomed"],
        env={"TALKING_HEAD_LEASE_S": "3", "TALKING_HEAD_HEARTBEAT_S": "1", "TALKING_HEAD_MAX_ATTEMPTS": "2"},
    )
    stack.start()
    yield stack
    stack.stop()


def test_job_that_keeps_killing_its_worker_fails_after_its_attempts(doomed):
    with doomed.server.client() as client:
        job = client.post("/v1/talks", data={"text": LONG, "size": "256"}).json()["id"]
        for attempt in (1, 2):
            wait_rendering(client, job, attempt=attempt)
            os.kill(int(_runner(doomed, job).split("/")[1]), signal.SIGKILL)
        record = wait_done(client, job, timeout_s=60)
        assert record["status"] == "failed" and record["attempts"] == 2
        assert record["error"]["code"] == "worker_lost"
        assert "lost 2 times" in record["error"]["message"]
        assert not (doomed.server.results / job / "talk.mp4").exists()
        # The worker replaced its process and goes on with other jobs.
        after = client.post("/v1/talks", data={"text": SHORT, "size": "128"}).json()["id"]
        assert wait_done(client, after, timeout_s=90)["status"] == "done"


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


def _queue_bound_holds(stack: Stack) -> None:
    """30 submits at the same moment against a queue of 16 with no worker to take any: exactly 16 in."""
    responses = submit_together(stack.server.client, 30, lambda i: {"text": f"Job {i}. {SHORT}"})
    assert sorted(r.status_code for r in responses) == [202] * 16 + [429] * 14, [r.text for r in responses]
    with stack.server.client() as client:
        for response in responses:
            if response.status_code == 202:
                assert client.delete(f"/v1/talks/{response.json()['id']}").status_code == 204


def test_jobs_route_by_engine(redis_server, tmp_path):
    """SadTalker jobs wait for a gpu worker; built-in jobs run on a cpu worker."""
    stack = Stack(
        tmp_path, "celery", redis=redis_server, db=DB["routing"], workers=0, env={"TALKING_HEAD_QUEUE_SIZE": "16"}
    )
    stack.start(ready=False)
    gpu = None
    try:
        with stack.server.client() as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503 and "no Celery worker" in ready.json()["checks"]["workers"]
            _queue_bound_holds(stack)
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
