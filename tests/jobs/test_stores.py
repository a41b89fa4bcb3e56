"""One contract for every job store, run against SQLite and a real redis-server: every method, every
transition, leases, and the queue bound and claims under concurrency (threads in several processes)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from service.support import needs

from talking_head.errors import StoreUnavailable
from talking_head.jobs.records import AVATAR, DONE, FAILED, QUEUED, RUNNING, Job, new_job_id
from talking_head.jobs.store_sqlite import SqliteJobStore
from talking_head.jobs.transitions import WORKER_LOST, LeaseHeld

QUEUE_SIZE = 16
PROCESSES, THREADS = 3, 10  # 30 callers at the same moment, as from three API processes or workers
LEASE_S = 0.4
LAPSE_S = LEASE_S + 0.3  # long enough for a lease to run out, on any clock
ATTEMPTS = 2


def _open(kind: str, where: str):
    if kind == "sqlite":
        return SqliteJobStore(Path(where))
    from talking_head.jobs.store_redis import RedisJobStore

    return RedisJobStore(where)


def _job(**fields) -> Job:
    return Job(id=new_job_id(), base_url="http://x/", **fields)


def _race(kind: str, where: str, start_at: float, act, results) -> None:
    """One process: THREADS calls of `act(store, index)` released at the same instant; their results."""
    store = _open(kind, where)
    outcomes = []

    def call(index: int) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        try:
            outcomes.append(act(store, index))
        except LeaseHeld:
            outcomes.append("held")

    threads = [threading.Thread(target=call, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(outcomes)


def _submit(store, index):
    return store.add(_job(), queue_limit=QUEUE_SIZE)


class _Claim:
    def __init__(self, job_id: str):
        self.job_id = job_id

    def __call__(self, store, index):
        job = store.claim(self.job_id, f"w{multiprocessing.current_process().pid}/{index}", 30, ATTEMPTS)
        return job.worker if job else None


class _Recover:
    def __init__(self, job_id: str):
        self.job_id = job_id

    def __call__(self, store, index):
        job = store.recover(self.job_id, max_attempts=3)
        return job.status if job else None


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=needs("redis-server"))])
def where(request, tmp_path) -> tuple[str, str]:
    """(kind, address) of an empty store."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "jobs.sqlite3")
    import redis

    url = request.getfixturevalue("redis_server").url(9)
    redis.Redis.from_url(url).flushdb()
    return "redis", url


@pytest.fixture
def store(where):
    opened = _open(*where)
    yield opened
    opened.close()


class TestStoreContract:
    def test_add_get_exists_delete(self, store):
        job = _job(text="hello", options={"fps": 25}, owner="alice", callback_url="https://cb.example/x")
        assert store.add(job)
        assert store.get(job.id).to_dict() == job.to_dict()
        assert store.exists(job.id)
        assert store.delete(job.id)
        assert store.get(job.id) is None and not store.exists(job.id)
        assert not store.delete(job.id)
        assert store.page(10) == [] and store.count(QUEUED) == 0

    def test_count_every_status_and_unfinished_oldest_first(self, store):
        jobs = [_job(created_at=1000.0 + i) for i in range(6)]
        for job in reversed(jobs):
            store.add(job)
        store.claim(jobs[1].id, "w/1", 30, ATTEMPTS)
        store.claim(jobs[2].id, "w/2", 30, ATTEMPTS)
        store.finish(jobs[3].id, DONE)
        store.finish(jobs[4].id, FAILED, error={"code": "x", "message": "y", "field": None})
        counts = {status: store.count(status) for status in (QUEUED, RUNNING, DONE, FAILED)}
        assert counts == {QUEUED: 2, RUNNING: 2, DONE: 1, FAILED: 1}
        assert store.unfinished() == [jobs[0].id, jobs[1].id, jobs[2].id, jobs[5].id]

    def test_queue_bound_counts_queued_jobs_only(self, store):
        for _ in range(2):
            assert store.add(_job(), queue_limit=2)
        assert not store.add(_job(), queue_limit=2)
        assert store.add(_job(status=DONE, finished_at=5.0), queue_limit=2), "a finished job takes no place"
        assert store.count(QUEUED) == 2 and store.count(DONE) == 1
        running = store.unfinished()[0]
        store.claim(running, "w/1", 30, ATTEMPTS)
        assert store.add(_job(), queue_limit=2), "a claimed job left the queue"

    def test_update_only_while_unfinished(self, store):
        job = _job()
        store.add(job)
        updated = store.update(job.id, progress=40, stage="render")
        assert (updated.progress, updated.stage) == (40, "render")
        assert updated.updated_at >= job.updated_at
        store.finish(job.id, DONE)
        assert store.update(job.id, progress=50) is None
        assert store.get(job.id).progress == 40
        assert store.update(new_job_id(), progress=1) is None

    def test_claim_starts_a_run_with_a_lease(self, store):
        job = _job()
        store.add(job)
        store.update(job.id, progress=30, stage="speech")
        before = time.time()
        claimed = store.claim(job.id, "w/1", 30, ATTEMPTS)
        assert (claimed.status, claimed.worker, claimed.attempts, claimed.progress, claimed.stage) == (
            RUNNING,
            "w/1",
            1,
            0,
            None,
        )
        assert before <= claimed.started_at <= time.time()
        assert claimed.lease_until == pytest.approx(claimed.started_at + 30, abs=0.5)
        assert store.get(job.id).to_dict() == claimed.to_dict()
        again = store.claim(job.id, "w/1", 30, ATTEMPTS)  # the same worker's redelivery: a new attempt
        assert again.attempts == 2
        with pytest.raises(LeaseHeld) as held:
            store.claim(job.id, "w/2", 30, ATTEMPTS)
        assert 25 < held.value.ttl_s <= 30
        assert store.get(job.id).worker == "w/1"

    def test_claim_of_a_finished_or_missing_job_is_none(self, store):
        job = _job()
        store.add(job)
        store.finish(job.id, FAILED, error={"code": "x", "message": "y", "field": None})
        assert store.claim(job.id, "w/1", 30, ATTEMPTS) is None
        assert store.get(job.id).status == FAILED
        assert store.claim(new_job_id(), "w/1", 30, ATTEMPTS) is None
        assert store.claim(job.id, "w/2", 30, ATTEMPTS) is None, "a refused claim holds no lease"

    def test_renew_extends_only_the_holders_lease(self, store):
        job = _job()
        store.add(job)
        first = store.claim(job.id, "w/1", LEASE_S, ATTEMPTS)
        time.sleep(0.05)
        assert store.renew(job.id, "w/1", 30)
        assert store.get(job.id).lease_until > first.lease_until + 20
        assert not store.renew(job.id, "w/2", 30)
        time.sleep(LAPSE_S)
        assert store.lapsed() == [], "renewed for 30 s"
        store.finish(job.id, DONE, worker="w/1")
        assert not store.renew(job.id, "w/1", 30), "a finished job has no lease to renew"
        assert not store.renew(new_job_id(), "w/1", 30)

    def test_lapsed_lease_is_handed_back_once_then_fails_after_its_attempts(self, store):
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", LEASE_S, ATTEMPTS)
        assert store.lapsed() == []
        assert store.recover(job.id, max_attempts=2) is None, "a live lease is not taken"
        time.sleep(LAPSE_S)
        assert store.lapsed() == [job.id]
        back = store.recover(job.id, max_attempts=2)
        assert (back.status, back.worker, back.lease_until, back.progress, back.stage, back.attempts) == (
            QUEUED,
            None,
            None,
            0,
            None,
            1,
        )
        assert store.recover(job.id, max_attempts=2) is None, "handed on once, not twice"
        assert store.lapsed() == [] and store.count(QUEUED) == 1

        second = store.claim(job.id, "w/2", LEASE_S, ATTEMPTS)
        assert second.attempts == 2
        # The first worker, if it comes back, can neither renew nor record an end.
        assert not store.renew(job.id, "w/1", LEASE_S)
        assert store.finish(job.id, DONE, worker="w/1") is None
        time.sleep(LAPSE_S)
        failed = store.recover(job.id, max_attempts=2)
        assert (failed.status, failed.error["code"], failed.worker) == (FAILED, WORKER_LOST, None)
        assert "lost 2 times" in failed.error["message"]
        assert failed.finished_at is not None and store.lapsed() == []
        assert store.finished_before(time.time() + 1) == [job.id]

    def test_a_worker_seen_to_die_is_recovered_at_once(self, store):
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", 30, ATTEMPTS)
        assert store.recover(job.id, max_attempts=3, worker="w/2") is None, "not that worker's job"
        back = store.recover(job.id, max_attempts=3, worker="w/1")
        assert back.status == QUEUED
        assert store.claim(job.id, "w/2", 30, ATTEMPTS).worker == "w/2", "its lease went with it"

    def test_finish_records_the_end_once(self, store):
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", 30, ATTEMPTS)
        done = store.finish(job.id, DONE, worker="w/1", progress=100, result={"engine": "builtin"})
        assert (done.status, done.progress, done.result, done.lease_until) == (DONE, 100, {"engine": "builtin"}, None)
        assert done.finished and done.finished_at >= done.started_at
        assert store.get(job.id).to_dict() == done.to_dict()
        assert store.finish(job.id, FAILED) is None, "ended once"
        assert store.claim(job.id, "w/2", 30, ATTEMPTS) is None
        assert store.finish(new_job_id(), DONE) is None

    def test_finish_without_a_worker_ends_a_queued_job(self, store):
        job = _job()
        store.add(job)
        assert store.finish(job.id, DONE, worker="w/1") is None, "w/1 never ran it"
        error = {"code": "timeout", "message": "too long", "field": None}
        assert store.finish(job.id, FAILED, error=error).error == error

    def test_annotate_changes_a_finished_job(self, store):
        job = _job()
        store.add(job)
        store.finish(job.id, DONE)
        outcome = {"delivered": True, "attempts": 1, "status_code": 200, "error": None}
        assert store.annotate(job.id, webhook=outcome).webhook == outcome
        assert store.get(job.id).webhook == outcome and store.get(job.id).status == DONE
        assert store.annotate(new_job_id(), webhook=outcome) is None

    def test_redelivery_after_the_last_lost_run_fails_the_job(self, store):
        """The broker may redeliver a lost run's job before the lease watch hands it back: the lost run
        counts, so after its last attempt the claim ends the job instead of starting another run."""
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", LEASE_S, ATTEMPTS)
        time.sleep(LAPSE_S)
        second = store.claim(job.id, "w/2", LEASE_S, ATTEMPTS)  # run 1 lost, a redelivery: run 2
        assert (second.status, second.attempts, second.worker) == (RUNNING, 2, "w/2")
        time.sleep(LAPSE_S)
        ended = store.claim(job.id, "w/3", LEASE_S, ATTEMPTS)  # run 2 lost too
        assert (ended.status, ended.attempts, ended.worker, ended.error["code"]) == (FAILED, 2, None, WORKER_LOST)
        assert store.get(job.id).to_dict() == ended.to_dict()
        assert store.count(RUNNING) == 0 and store.lapsed() == []
        assert store.claim(job.id, "w/3", LEASE_S, ATTEMPTS) is None and store.get(job.id).status == FAILED

    def test_requeue_releases_the_lease(self, store):
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", 30, ATTEMPTS)
        store.update(job.id, progress=60, stage="render")
        back = store.requeue(job.id)
        assert (back.status, back.worker, back.lease_until, back.progress, back.stage) == (QUEUED, None, None, 0, None)
        assert store.count(RUNNING) == 0 and store.count(QUEUED) == 1
        assert store.claim(job.id, "w/2", 30, ATTEMPTS).attempts == 2
        store.finish(job.id, DONE)
        assert store.requeue(job.id) is None and store.get(job.id).status == DONE

    def test_deleting_a_running_job_ends_its_lease(self, store):
        job = _job()
        store.add(job)
        store.claim(job.id, "w/1", 30, ATTEMPTS)
        store.delete(job.id)
        assert not store.renew(job.id, "w/1", 30), "the worker learns at its next heartbeat"
        assert store.finish(job.id, DONE, worker="w/1") is None
        assert store.unfinished() == [] and store.count(RUNNING) == 0

    def test_finished_before(self, store):
        old, new, running = _job(), _job(), _job()
        for job in (old, new, running):
            store.add(job)
        store.finish(old.id, DONE)
        cutoff = time.time()
        time.sleep(0.01)
        store.finish(new.id, DONE)
        store.claim(running.id, "w/1", 30, ATTEMPTS)
        assert store.finished_before(cutoff) == [old.id]
        assert sorted(store.finished_before(time.time() + 1)) == sorted([old.id, new.id])

    def test_pages_newest_first_per_owner(self, store):
        made = []
        for i in range(7):
            # Pairs share a creation time: ties are ordered by id.
            job = _job(owner="alice" if i % 2 == 0 else "bob", created_at=1000.0 + (i // 2))
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

    def test_avatars_are_listed_apart_from_talks(self, store):
        talk = _job(owner="alice", created_at=1000.0)
        avatars = [_job(owner=owner, kind=AVATAR, created_at=1001.0 + i) for i, owner in enumerate(["alice", None])]
        for job in (talk, *avatars):
            store.add(job)
        assert [j.id for j in store.page(10)] == [talk.id]
        assert [j.id for j in store.page(10, owner="alice")] == [talk.id]
        assert [j.id for j in store.page(10, kind=AVATAR)] == [avatars[1].id, avatars[0].id]
        assert [j.id for j in store.page(10, owner="alice", kind=AVATAR)] == [avatars[0].id]
        assert store.get(avatars[0].id).kind == AVATAR and set(store.unfinished()) == {j.id for j in (talk, *avatars)}
        store.delete(avatars[0].id)
        assert store.page(10, owner="alice", kind=AVATAR) == [] and [j.id for j in store.page(10)] == [talk.id]

    def test_ping(self, store):
        store.ping()

    def test_queue_bound_holds_under_concurrent_submits(self, where):
        outcomes = self._race(where, _submit)
        assert sum(outcomes) == QUEUE_SIZE
        assert _open(*where).count(QUEUED) == QUEUE_SIZE

    def test_one_claim_wins_a_race(self, where):
        job = _job()
        _open(*where).add(job)
        outcomes = self._race(where, _Claim(job.id))
        winners = [o for o in outcomes if o not in ("held", None)]
        assert len(winners) == 1 and outcomes.count("held") == len(outcomes) - 1, outcomes
        stored = _open(*where).get(job.id)
        assert (stored.worker, stored.attempts) == (winners[0], 1)

    def test_one_recovery_wins_a_race(self, where):
        job = _job()
        store = _open(*where)
        store.add(job)
        store.claim(job.id, "w/1", LEASE_S, ATTEMPTS)
        time.sleep(LAPSE_S)
        outcomes = self._race(where, _Recover(job.id))
        assert outcomes.count(QUEUED) == 1 and outcomes.count(None) == len(outcomes) - 1, outcomes
        assert store.get(job.id).status == QUEUED

    @staticmethod
    def _race(where, act) -> list:
        _open(*where)  # creates the SQLite schema before the race
        context = multiprocessing.get_context("fork")
        results = context.Queue()
        start_at = time.time() + 0.5
        processes = [context.Process(target=_race, args=(*where, start_at, act, results)) for _ in range(PROCESSES)]
        for process in processes:
            process.start()
        outcomes = [o for _ in processes for o in results.get(timeout=60)]
        for process in processes:
            process.join(10)
        assert len(outcomes) == PROCESSES * THREADS
        return outcomes


def test_an_unreachable_redis_is_store_unavailable():
    pytest.importorskip("redis")
    from talking_head.jobs.store_redis import RedisJobStore

    store = RedisJobStore("redis://127.0.0.1:9/0")  # the discard port: nothing answers
    with pytest.raises(StoreUnavailable, match="unreachable"):
        store.get(new_job_id())
