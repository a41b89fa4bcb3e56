"""Job records in Redis, so every API instance and every Celery worker sees the same jobs.

Each job is a hash of JSON-encoded fields; a set holds the queued ids (for
the queue-full check) and a sorted set the finished ones by end time (for
retention). A short lease key per running job keeps a redelivered job from
running twice at once.
"""

from __future__ import annotations

import functools
import json
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..errors import StoreUnavailable
from .jobs import DONE, FAILED, QUEUED, RUNNING, UNFINISHED, Job

PREFIX = "talking-head:"
QUEUED_SET = PREFIX + "queued"
FINISHED_ZSET = PREFIX + "finished"


class LeaseHeld(Exception):
    """Another live worker holds the job; try again once its lease has run out."""

    def __init__(self, ttl_s: float):
        super().__init__(f"job is held by another worker for {ttl_s:.0f} s more")
        self.ttl_s = ttl_s


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


class RedisJobStore:
    """The same methods as `SqliteJobStore`, kept in Redis."""

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

    @staticmethod
    def _key(job_id: str) -> str:
        return f"{PREFIX}job:{job_id}"

    def _load(self, raw: dict) -> Job | None:
        if not raw:
            return None
        return Job.from_dict({k.decode(): json.loads(v) for k, v in raw.items()})

    @_unavailable
    def add(self, job: Job) -> None:
        pipe = self._redis.pipeline()
        pipe.hset(self._key(job.id), mapping=_encode(job.to_dict()))
        if job.status == QUEUED:
            pipe.sadd(QUEUED_SET, job.id)
        pipe.execute()

    @_unavailable
    def get(self, job_id: str) -> Job | None:
        return self._load(self._redis.hgetall(self._key(job_id)))

    def _change(self, job_id: str, allowed: tuple[str, ...] | None, changes: dict) -> Job | None:
        key = self._key(job_id)
        changes = {**changes, "updated_at": time.time()}

        def transaction(pipe):
            job = self._load(pipe.hgetall(key))
            if job is None or (allowed is not None and job.status not in allowed):
                return None
            pipe.multi()
            pipe.hset(key, mapping=_encode(changes))
            status = changes.get("status")
            if status is not None and status != QUEUED:
                pipe.srem(QUEUED_SET, job_id)
            if status == QUEUED:
                pipe.sadd(QUEUED_SET, job_id)
            if status in (DONE, FAILED):
                pipe.zadd(FINISHED_ZSET, {job_id: changes["finished_at"]})
            for name, value in changes.items():
                setattr(job, name, value)
            return job

        return self._redis.transaction(transaction, key, value_from_callable=True)

    @_unavailable
    def update(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, UNFINISHED, changes)

    @_unavailable
    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        """Mark the job running on `worker` and hold its lease for `lease_s`.

        None when the job is finished or deleted; `LeaseHeld` when another
        worker still holds it (a redelivery while the first run is alive).
        """
        lease = f"{PREFIX}lease:{job_id}"
        if not self._redis.set(lease, worker, nx=True, ex=max(1, int(lease_s))):
            if self._redis.get(lease) != worker.encode():
                raise LeaseHeld(max(1, self._redis.ttl(lease)))
        job = self.get(job_id)
        if job is None:
            self._redis.delete(lease)
            return None
        now = time.time()
        claimed = self._change(job_id, UNFINISHED, {
            "status": RUNNING, "worker": worker, "attempts": job.attempts + 1,
            "started_at": now, "progress": 0, "stage": None,
        })
        if claimed is None:
            self._redis.delete(lease)
        return claimed

    @_unavailable
    def finish(self, job_id: str, status: str, **changes) -> Job | None:
        job = self._change(job_id, UNFINISHED, {"status": status, "finished_at": time.time(), **changes})
        self._redis.delete(f"{PREFIX}lease:{job_id}")
        return job

    @_unavailable
    def annotate(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, None, changes)

    @_unavailable
    def requeue(self, job_id: str) -> Job | None:
        return self._change(job_id, UNFINISHED, {"status": QUEUED, "progress": 0, "stage": None})

    @_unavailable
    def delete(self, job_id: str) -> bool:
        pipe = self._redis.pipeline()
        pipe.delete(self._key(job_id))
        pipe.srem(QUEUED_SET, job_id)
        pipe.zrem(FINISHED_ZSET, job_id)
        return pipe.execute()[0] > 0

    @_unavailable
    def count(self, status: str) -> int:
        if status != QUEUED:
            raise ValueError("only queued jobs are counted")
        return self._redis.scard(QUEUED_SET)

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
