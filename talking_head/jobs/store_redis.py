"""Job records in Redis, so every API instance and every Celery worker sees the same jobs.

Each job is a hash of JSON-encoded fields. Sets hold the queued ids (for the
queue bound) and the running ones (for the lease watcher); sorted sets hold
every job by creation time (for listing, one per caller too) and the finished
ones by end time (for retention). A running job's lease is a key with a time
to live that its worker renews; when the key is gone, the worker is.
"""

from __future__ import annotations

import functools
import json
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..errors import StoreUnavailable
from .records import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    UNFINISHED,
    Job,
    LeaseHeld,
    lost_worker_error,
)

PREFIX = "talking-head:"
QUEUED_SET = PREFIX + "queued"
RUNNING_SET = PREFIX + "running"
FINISHED_ZSET = PREFIX + "finished"
CREATED_ZSET = PREFIX + "created"
TIES_READ = 64  # jobs created in the same instant that one page can step over

# Count and insert in one step: concurrent submits from any number of API processes never pass the bound.
# KEYS: job hash, queued set, created zset, owner's zset. ARGV: limit (-1: none), id, created_at, owned (0/1),
# queued (0/1), then field, value, field, value...
ADD_SCRIPT = """
if tonumber(ARGV[1]) >= 0 and ARGV[5] == '1' and redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 6))
if ARGV[5] == '1' then redis.call('SADD', KEYS[2], ARGV[2]) end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if ARGV[4] == '1' then redis.call('ZADD', KEYS[4], ARGV[3], ARGV[2]) end
return 1
"""

# The heartbeat. KEYS: lease, job hash. ARGV: worker, lease ms. A lease that lapsed but was not yet taken
# over is taken back (the watcher re-checks the lease key inside its own transaction).
RENEW_SCRIPT = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
local status = redis.call('HGET', KEYS[2], 'status')
local worker = redis.call('HGET', KEYS[2], 'worker')
if status and worker and cjson.decode(status) == 'running' and cjson.decode(worker) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""


def _unavailable(method):
    """Turn a lost Redis connection into `StoreUnavailable` (the API's fast 503)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
            raise StoreUnavailable(f"Redis at {self.where} is unreachable ({exc}). Try again shortly.") from None

    return wrapper


def _encode(changes: dict) -> dict:
    return {name: json.dumps(value) for name, value in changes.items()}


def _owner_key(owner: str) -> str:
    return f"{PREFIX}owner:{owner}"


def _lease_key(job_id: str) -> str:
    return f"{PREFIX}lease:{job_id}"


class RedisJobStore:
    """The same methods as `store_sqlite.SqliteJobStore`, kept in Redis."""

    def __init__(self, url: str):
        # Short connect timeout and a single retry: an unreachable Redis must give a
        # fast 503, while a restarted one is picked up again on the next call.
        self._redis = redis.Redis.from_url(
            url,
            socket_connect_timeout=0.4,
            socket_timeout=5,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=15,
        )
        self.where = url.split("@")[-1]  # never show a password
        self._add = self._redis.register_script(ADD_SCRIPT)
        self._renew = self._redis.register_script(RENEW_SCRIPT)

    @staticmethod
    def _key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def _load(self, raw: dict) -> Job | None:
        if not raw:
            return None
        return Job.from_dict({k.decode(): json.loads(v) for k, v in raw.items()})

    @_unavailable
    def add(self, job: Job, queue_limit: int | None = None) -> bool:
        """Record a new job; False (and nothing recorded) when `queue_limit` jobs are already queued."""
        pairs = [item for pair in _encode(job.to_dict()).items() for item in pair]
        keys = [self._key(job.id), QUEUED_SET, CREATED_ZSET, _owner_key(job.owner or "")]
        args = [
            -1 if queue_limit is None else queue_limit,
            job.id,
            repr(job.created_at),
            int(job.owner is not None),
            int(job.status == QUEUED),
            *pairs,
        ]
        return bool(self._add(keys=keys, args=args))

    @_unavailable
    def get(self, job_id: str) -> Job | None:
        return self._load(self._redis.hgetall(self._key(job_id)))

    def _change(
        self,
        job_id: str,
        allowed: tuple[str, ...] | None,
        changes: dict,
        edit=None,
        guard=None,
        watch: tuple[str, ...] = (),
        delete_lease: bool = False,
    ) -> Job | None:
        """Apply `changes` (and those `edit(job)` returns) in one transaction if the job exists, is in an
        `allowed` status and passes `guard(pipe, job)`; the keys in `watch` must not change meanwhile."""
        key = self._key(job_id)

        def transaction(pipe):
            job = self._load(pipe.hgetall(key))
            if job is None or (allowed is not None and job.status not in allowed):
                return None
            if guard is not None and not guard(pipe, job):
                return None
            applied = {**changes, **(edit(job) if edit else {}), "updated_at": time.time()}
            pipe.multi()
            pipe.hset(key, mapping=_encode(applied))
            status = applied.get("status")
            if status is not None:
                (pipe.sadd if status == QUEUED else pipe.srem)(QUEUED_SET, job_id)
                (pipe.sadd if status == RUNNING else pipe.srem)(RUNNING_SET, job_id)
            if status in (DONE, FAILED):
                pipe.zadd(FINISHED_ZSET, {job_id: applied["finished_at"]})
            if delete_lease:
                pipe.delete(_lease_key(job_id))
            for name, value in applied.items():
                setattr(job, name, value)
            return job

        return self._redis.transaction(transaction, key, *watch, value_from_callable=True)

    @_unavailable
    def update(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, UNFINISHED, changes)

    @_unavailable
    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        """Mark the job running on `worker` and hold its lease for `lease_s`.

        None when the job is finished or deleted; `LeaseHeld` when another
        worker still holds it (a redelivery while the first run is alive).
        """
        lease, lease_ms = _lease_key(job_id), max(1, int(lease_s * 1000))
        if not self._redis.set(lease, worker, nx=True, px=lease_ms):
            if self._redis.get(lease) != worker.encode():
                raise LeaseHeld(max(0.0, self._redis.pttl(lease) / 1000))
            self._redis.pexpire(lease, lease_ms)

        def start(job: Job) -> dict:
            return {
                "status": RUNNING,
                "worker": worker,
                "attempts": job.attempts + 1,
                "started_at": time.time(),
                "progress": 0,
                "stage": None,
            }

        claimed = self._change(job_id, UNFINISHED, {}, edit=start)
        if claimed is None:
            self._redis.delete(lease)
        return claimed

    @_unavailable
    def renew(self, job_id: str, worker: str, lease_s: float) -> bool:
        """The heartbeat: extend `worker`'s lease; False when the job is no longer its to run."""
        return bool(
            self._renew(keys=[_lease_key(job_id), self._key(job_id)], args=[worker, max(1, int(lease_s * 1000))])
        )

    @_unavailable
    def lapsed(self) -> list[str]:
        """Running jobs whose lease key is gone: their worker is."""
        running = [member.decode() for member in self._redis.smembers(RUNNING_SET)]
        pipe = self._redis.pipeline(transaction=False)
        for job_id in running:
            pipe.exists(_lease_key(job_id))
        return [job_id for job_id, held in zip(running, pipe.execute()) if not held]

    @_unavailable
    def recover(self, job_id: str, max_attempts: int, worker: str | None = None) -> Job | None:
        """Take a running job from a lost worker: back to the queue, or failed once it used `max_attempts`.

        Atomic across API instances: the lease key is watched, so a worker
        that renews in time, or another instance that recovers first, wins.
        """
        lease = _lease_key(job_id)

        def lost(pipe, job: Job) -> bool:
            return job.worker == worker if worker is not None else not pipe.exists(lease)

        def hand_back(job: Job) -> dict:
            if job.attempts >= max_attempts:
                return {
                    "status": FAILED,
                    "finished_at": time.time(),
                    "error": lost_worker_error(job.attempts),
                    "worker": None,
                }
            return {"status": QUEUED, "progress": 0, "stage": None, "worker": None}

        return self._change(job_id, (RUNNING,), {}, edit=hand_back, guard=lost, watch=(lease,), delete_lease=True)

    @_unavailable
    def finish(self, job_id: str, status: str, worker: str | None = None, **changes) -> Job | None:
        """Record the end of an unfinished job; with `worker`, only while that worker still runs it."""
        guard = (lambda pipe, job: job.status == RUNNING and job.worker == worker) if worker else None
        return self._change(
            job_id,
            UNFINISHED,
            {"status": status, "finished_at": time.time(), **changes},
            guard=guard,
            delete_lease=True,
        )

    @_unavailable
    def annotate(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, None, changes)

    @_unavailable
    def requeue(self, job_id: str) -> Job | None:
        return self._change(
            job_id, UNFINISHED, {"status": QUEUED, "progress": 0, "stage": None, "worker": None}, delete_lease=True
        )

    @_unavailable
    def delete(self, job_id: str) -> bool:
        owner = self._redis.hget(self._key(job_id), "owner")
        pipe = self._redis.pipeline()
        pipe.delete(self._key(job_id))
        pipe.srem(QUEUED_SET, job_id)
        pipe.srem(RUNNING_SET, job_id)
        pipe.zrem(FINISHED_ZSET, job_id)
        pipe.zrem(CREATED_ZSET, job_id)
        if owner and json.loads(owner):
            pipe.zrem(_owner_key(json.loads(owner)), job_id)
        return pipe.execute()[0] > 0

    @_unavailable
    def count(self, status: str) -> int:
        if status != QUEUED:
            raise ValueError("only queued jobs are counted")
        return self._redis.scard(QUEUED_SET)

    @_unavailable
    def page(self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None) -> list[Job]:
        """Jobs newest first, `limit` of them, starting after the `(created_at, id)` of the last one seen."""
        index = CREATED_ZSET if owner is None else _owner_key(owner)
        top = "+inf" if after is None else repr(after[0])
        # Equal creation times sort by id, descending, as in SQLite; the ties at the cursor are stepped over here.
        members = self._redis.zrevrangebyscore(index, top, "-inf", start=0, num=limit + TIES_READ, withscores=True)
        ids = [m.decode() for m, score in members if after is None or score < after[0] or m.decode() < after[1]][:limit]
        pipe = self._redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(self._key(job_id))
        return [job for job in map(self._load, pipe.execute()) if job is not None]

    @_unavailable
    def unfinished(self) -> list[str]:
        # The broker holds the queue in this mode; nothing to resume by hand.
        return []

    @_unavailable
    def finished_before(self, when: float) -> list[str]:
        return [m.decode() for m in self._redis.zrangebyscore(FINISHED_ZSET, 0, when)]

    @_unavailable
    def exists(self, job_id: str) -> bool:
        return bool(self._redis.exists(self._key(job_id)))

    @_unavailable
    def ping(self) -> None:
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()
