"""Job records in Redis, so every API instance and every Celery worker sees the same jobs (the layout of
keys and the scripts are in `redis_layout`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import cast

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import transitions
from .records import DONE, FAILED, KINDS, QUEUED, RUNNING, TALK, UNFINISHED, Job
from .redis_layout import (
    ADD_SCRIPT,
    FINISHED_ZSET,
    RENEW_SCRIPT,
    STATUSES,
    TIES_READ,
    created_key,
    encode,
    job_key,
    lease_key,
    lease_ms,
    owner_key,
    status_key,
    text,
    unavailable,
)
from .transitions import LeaseHeld


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

    def _load(self, raw: dict) -> Job | None:
        if not raw:
            return None
        return Job.from_dict({k.decode(): json.loads(v) for k, v in raw.items()})

    @unavailable
    def add(self, job: Job, queue_limit: int | None = None) -> bool:
        """Record a new job; False (and nothing recorded) when `queue_limit` jobs are already queued."""
        pairs = [item for pair in encode(job.to_dict()).items() for item in pair]
        keys = [
            job_key(job.id),
            status_key(job.status),
            created_key(job.kind),
            owner_key(job.owner or "", job.kind),
            status_key(QUEUED),
            FINISHED_ZSET,
        ]
        args = [
            -1 if queue_limit is None else queue_limit,
            job.id,
            repr(job.created_at),
            int(job.owner is not None),
            "" if job.finished_at is None else repr(job.finished_at),
            *pairs,
        ]
        return bool(self._add(keys=keys, args=args))

    @unavailable
    def get(self, job_id: str) -> Job | None:
        return self._load(self._redis.hgetall(job_key(job_id)))

    def _change(
        self,
        job_id: str,
        transition: Callable[[Job], dict | None],
        lease: str | None = None,
        release_lease: bool = False,
    ) -> Job | None:
        """Write the changes `transition(job)` gives in one transaction; None when the job is gone or the
        transition does not apply (`transitions`). The `lease` key, if given, is watched (the transition
        may look at it) and, with `release_lease`, deleted with the change."""
        key = job_key(job_id)
        changed: list[Job] = []

        def transaction(pipe) -> None:
            changed.clear()  # run again when a watched key changed meanwhile
            job = self._load(pipe.hgetall(key))
            changes = transition(job) if job is not None else None
            if job is None or changes is None:
                return
            applied = {**changes, "updated_at": time.time()}
            pipe.multi()
            pipe.hset(key, mapping=encode(applied))
            status = applied.get("status")
            if status is not None and status != job.status:
                pipe.srem(status_key(job.status), job_id)
                pipe.sadd(status_key(status), job_id)
            if status in (DONE, FAILED):
                pipe.zadd(FINISHED_ZSET, {job_id: applied["finished_at"]})
            if release_lease:
                pipe.delete(lease_key(job_id))
            changed.append(transitions.applied(job, changes, applied["updated_at"]))

        self._redis.transaction(transaction, key, *([lease] if lease else []))
        return changed[0] if changed else None

    @unavailable
    def update(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, lambda job: transitions.update(job, changes))

    @unavailable
    def claim(self, job_id: str, worker: str, lease_s: float, max_attempts: int) -> Job | None:
        """Mark the job running on `worker` and hold its lease for `lease_s`.

        None when the job is finished or deleted; `LeaseHeld` when another worker still holds it (a
        redelivery while the first run is alive); the job failed when its last of `max_attempts` runs was lost.
        """
        lease = lease_key(job_id)
        if not self._redis.set(lease, worker, nx=True, px=lease_ms(lease_s)):
            if self._redis.get(lease) != worker.encode():
                raise LeaseHeld(max(0.0, self._redis.pttl(lease) / 1000))
            self._redis.pexpire(lease, lease_ms(lease_s))
        # The lease key settled who may run it: the record's own lease is the key's, for readers.
        claimed = self._change(job_id, lambda job: transitions.claim(job, worker, lease_s, max_attempts, time.time()))
        if claimed is None or claimed.status != RUNNING:
            self._redis.delete(lease)
        return claimed

    @unavailable
    def renew(self, job_id: str, worker: str, lease_s: float) -> bool:
        """The heartbeat: extend `worker`'s lease; False when the job is no longer its to run."""
        keys = [lease_key(job_id), job_key(job_id)]
        return bool(self._renew(keys=keys, args=[worker, lease_ms(lease_s), json.dumps(time.time() + lease_s)]))

    @unavailable
    def lapsed(self) -> list[str]:
        """Running jobs whose lease key is gone: their worker is."""
        running = [text(member) for member in self._redis.smembers(status_key(RUNNING))]
        pipe = self._redis.pipeline(transaction=False)
        for job_id in running:
            pipe.exists(lease_key(job_id))
        return [job_id for job_id, held in zip(running, pipe.execute()) if not held]

    @unavailable
    def recover(self, job_id: str, max_attempts: int, worker: str | None = None) -> Job | None:
        """Take a running job from a lost worker: back to the queue, or failed once it used `max_attempts`.

        Atomic across API instances: the lease key is watched, so a worker
        that renews in time, or another instance that recovers first, wins.
        """
        lease = lease_key(job_id)

        def hand_back(job: Job) -> dict | None:
            # The lease key is watched: a renewal after this read makes the transaction start again.
            lost = job.worker == worker if worker is not None else not self._redis.exists(lease)
            return transitions.hand_back(job, lost, max_attempts, time.time())

        return self._change(job_id, hand_back, lease=lease, release_lease=True)

    @unavailable
    def finish(self, job_id: str, status: str, worker: str | None = None, **changes) -> Job | None:
        """Record the end of an unfinished job; with `worker`, only while that worker still runs it."""
        return self._change(
            job_id, lambda job: transitions.finish(job, status, worker, time.time(), changes), release_lease=True
        )

    @unavailable
    def annotate(self, job_id: str, **changes) -> Job | None:
        return self._change(job_id, lambda job: dict(changes))

    @unavailable
    def requeue(self, job_id: str) -> Job | None:
        return self._change(job_id, transitions.requeue, release_lease=True)

    @unavailable
    def delete(self, job_id: str) -> bool:
        owner, kind = (json.loads(v) if v else None for v in self._redis.hmget(job_key(job_id), "owner", "kind"))
        kind = kind or TALK
        pipe = self._redis.pipeline()
        pipe.delete(job_key(job_id))
        for status in STATUSES:
            pipe.srem(status_key(status), job_id)
        pipe.zrem(FINISHED_ZSET, job_id)
        pipe.zrem(created_key(kind), job_id)
        pipe.delete(lease_key(job_id))  # its worker's next heartbeat finds the job gone and stops the run
        if owner:
            pipe.zrem(owner_key(owner, kind), job_id)
        return pipe.execute()[0] > 0

    @unavailable
    def count(self, status: str) -> int:
        return self._redis.scard(status_key(status))

    @unavailable
    def page(
        self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None, kind: str = TALK
    ) -> list[Job]:
        """Jobs of `kind` newest first, `limit` of them, starting after the `(created_at, id)` of the last one seen."""
        index = created_key(kind) if owner is None else owner_key(owner, kind)
        top = "+inf" if after is None else repr(after[0])
        # Equal creation times sort by id, descending, as in SQLite; the ties at the cursor are stepped over here.
        members = self._redis.zrevrangebyscore(index, top, "-inf", start=0, num=limit + TIES_READ, withscores=True)
        scored = [(text(member), score) for member, score in cast("list[tuple[bytes, float]]", members)]
        ids = [m for m, score in scored if after is None or score < after[0] or m < after[1]][:limit]
        pipe = self._redis.pipeline(transaction=False)
        for job_id in ids:
            pipe.hgetall(job_key(job_id))
        return [job for job in map(self._load, pipe.execute()) if job is not None]

    @unavailable
    def unfinished(self) -> list[str]:
        """Queued and running job ids, oldest first."""
        ids = [text(member) for member in self._redis.sunion([status_key(s) for s in UNFINISHED])]
        pipe = self._redis.pipeline(transaction=False)
        for job_id in ids:
            for kind in KINDS:
                pipe.zscore(created_key(kind), job_id)
        scores = pipe.execute()
        created = [
            max((s for s in scores[i : i + len(KINDS)] if s is not None), default=0)
            for i in range(0, len(scores), len(KINDS))
        ]
        return [job_id for _, job_id in sorted(zip(created, ids))]

    @unavailable
    def finished_before(self, when: float) -> list[str]:
        return [text(m) for m in cast("list[bytes]", self._redis.zrangebyscore(FINISHED_ZSET, 0, when))]

    @unavailable
    def exists(self, job_id: str) -> bool:
        return bool(self._redis.exists(job_key(job_id)))

    @unavailable
    def ping(self) -> None:
        self._redis.ping()

    def close(self) -> None:
        self._redis.close()
