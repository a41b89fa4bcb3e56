"""The job stores themselves, SQLite and a real redis-server: the queue bound under concurrent
submits from several processes, leases, and listing."""

from __future__ import annotations

import multiprocessing
import threading
import time

import pytest

from talking_head.jobs.records import (
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    LeaseHeld,
    new_job_id,
)
from talking_head.jobs.store_sqlite import SqliteJobStore

from .support import needs

QUEUE_SIZE = 16
PROCESSES, THREADS = 3, 10  # 30 submits at the same moment, as from three API processes


def _open(kind: str, where: str):
    if kind == "sqlite":
        from pathlib import Path

        return SqliteJobStore(Path(where))
    from talking_head.jobs.store_redis import RedisJobStore

    return RedisJobStore(where)


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=needs("redis-server"))])
def store_at(request, tmp_path):
    """(kind, address) of an empty store; each test opens its own connections."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "jobs.sqlite3")
    redis_server = request.getfixturevalue("redis_server")
    url = redis_server.url(9)
    import redis

    redis.Redis.from_url(url).flushdb()
    return "redis", url


def _submitter(kind: str, where: str, start_at: float, results) -> None:
    """One API process: THREADS submits released at the same instant."""
    store = _open(kind, where)
    accepted = []

    def submit():
        time.sleep(max(0.0, start_at - time.time()))
        accepted.append(store.add(Job(id=new_job_id(), base_url="http://x/"), queue_limit=QUEUE_SIZE))

    threads = [threading.Thread(target=submit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(sum(accepted))


def test_queue_bound_holds_under_concurrent_submits(store_at):
    kind, where = store_at
    _open(kind, where)  # creates the SQLite schema before the race
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 1.0
    processes = [context.Process(target=_submitter, args=(kind, where, start_at, results)) for _ in range(PROCESSES)]
    for process in processes:
        process.start()
    accepted = sum(results.get(timeout=60) for _ in processes)
    for process in processes:
        process.join(10)
    store = _open(kind, where)
    assert store.count(QUEUED) == QUEUE_SIZE
    assert accepted == QUEUE_SIZE


def test_lease_claim_renew_lapse_recover(store_at):
    kind, where = store_at
    store = _open(kind, where)
    job = Job(id=new_job_id(), base_url="http://x/")
    store.add(job)
    lease_s = 0.5

    first = store.claim(job.id, "w1/1", lease_s)
    assert first.status == RUNNING and first.attempts == 1
    with pytest.raises(LeaseHeld):
        store.claim(job.id, "w2/2", lease_s)  # a redelivery while w1 lives
    assert store.renew(job.id, "w1/1", lease_s)
    assert store.lapsed() == []
    assert store.recover(job.id, max_attempts=3) is None, "a live lease is not taken"

    time.sleep(lease_s + 0.3)  # w1 is gone: no heartbeat
    assert store.lapsed() == [job.id]
    recovered = store.recover(job.id, max_attempts=3)
    assert recovered.status == QUEUED and recovered.attempts == 1
    assert store.recover(job.id, max_attempts=3) is None, "handed on once, not twice"

    second = store.claim(job.id, "w2/2", lease_s)
    assert second.attempts == 2 and second.worker == "w2/2"
    # The first worker, if it comes back, can neither renew nor record an end.
    assert not store.renew(job.id, "w1/1", lease_s)
    assert store.finish(job.id, "done", worker="w1/1") is None
    assert store.get(job.id).status == RUNNING

    time.sleep(lease_s + 0.3)
    failed = store.recover(job.id, max_attempts=2)
    assert failed.status == FAILED and failed.error["code"] == "worker_lost"
    assert "lost 2 times" in failed.error["message"]
    assert store.lapsed() == []


def test_pages_newest_first_per_owner(store_at):
    kind, where = store_at
    store = _open(kind, where)
    made = []
    for i in range(7):
        job = Job(
            id=new_job_id(), base_url="http://x/", owner="alice" if i % 2 == 0 else "bob", created_at=1000.0 + (i // 2)
        )  # pairs share a creation time: ties are ordered by id
        store.add(job)
        made.append(job)
    newest_first = sorted(made, key=lambda j: (j.created_at, j.id), reverse=True)

    seen, after = [], None
    while True:
        page = store.page(3, after)
        seen += page
        if len(page) < 3:
            break
        after = (page[-1].created_at, page[-1].id)
    assert [j.id for j in seen] == [j.id for j in newest_first]
    alice = store.page(10, owner="alice")
    assert [j.id for j in alice] == [j.id for j in newest_first if j.owner == "alice"]
    store.delete(alice[0].id)
    assert [j.id for j in store.page(10, owner="alice")] == [j.id for j in alice[1:]]
