"""Job records and the SQLite store that keeps them on one machine.

A job is written once by the API (``queued``), claimed by whichever worker
runs it (``running``, with progress), and finished once (``done`` or
``failed``). Every store (this one, and `jobs_redis.RedisJobStore` for
several machines) offers the same methods, so the API and the workers never
know which one they talk to; `stores.open_store` picks one.

A running job holds a lease: its worker renews it every few seconds (the
heartbeat), and a job whose lease ran out lost its worker. `recover` hands
such a job back to the queue, or fails it once it has used up its attempts.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Protocol

from ..errors import StoreUnavailable

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING)
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


class LeaseHeld(Exception):
    """Another live worker holds the job: this delivery must not run it."""

    def __init__(self, ttl_s: float):
        super().__init__(f"job is held by another worker for {ttl_s:.0f} s more")
        self.ttl_s = ttl_s


def lost_worker_error(attempts: int) -> dict:
    """The error of a job whose workers were lost on every attempt (killed, out of memory, machine gone)."""
    return {
        "code": "worker_lost",
        "field": None,
        "message": (
            f"the worker making this video was lost {attempts} times (killed, out of memory, or its machine "
            "went away), so it is not tried again. Try shorter text or audio, or a smaller size."
        ),
    }


def encode_cursor(job: Job) -> str:
    """Where the next page of a newest-first listing starts: after this job."""
    return f"{job.created_at!r}_{job.id}"


def decode_cursor(cursor: str) -> tuple[float, str] | None:
    created, _, job_id = cursor.partition("_")
    try:
        return float(created), job_id
    except ValueError:
        return None


def new_job_id() -> str:
    return uuid.uuid4().hex


def is_job_id(value: str) -> bool:
    return bool(JOB_ID.match(value))


@dataclass
class Job:
    """One request and everything known about it so far."""

    id: str
    base_url: str
    """The public address the request came in on; links in records and webhooks start with it."""
    options: dict = field(default_factory=dict)
    """`TalkOptions` fields the caller set (engine, fps, size, ...)."""
    text: str | None = None
    image: str | None = None
    """Server-chosen file name of the uploaded photo inside the job folder; None is the default face."""
    audio: str | None = None
    callback_url: str | None = None
    status: str = QUEUED
    progress: int = 0
    stage: str | None = None
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    attempts: int = 0
    worker: str | None = None
    """Who runs (or last ran) the job: node name and process id."""
    lease_until: float | None = None
    """Epoch seconds the running job's lease lasts until, unless its worker renews it (SQLite store)."""
    owner: str | None = None
    """The caller that made the job (a fingerprint of its API key); None without API keys."""
    result: dict | None = None
    error: dict | None = None
    webhook: dict | None = None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Job:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


class JobStore(Protocol):
    """What the API and the workers ask of a job store (`SqliteJobStore`, `jobs_redis.RedisJobStore`).

    Every change is atomic; the methods that change a job return it as it now
    is, or None when it is gone or not in a state that allows the change.
    A store that cannot be reached raises `StoreUnavailable`.
    """

    def add(self, job: Job, queue_limit: int | None = None) -> bool: ...
    def get(self, job_id: str) -> Job | None: ...
    def update(self, job_id: str, **changes) -> Job | None: ...
    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None: ...
    def renew(self, job_id: str, worker: str, lease_s: float) -> bool: ...
    def lapsed(self) -> list[str]: ...
    def recover(self, job_id: str, max_attempts: int, worker: str | None = None) -> Job | None: ...
    def finish(self, job_id: str, status: str, worker: str | None = None, **changes) -> Job | None: ...
    def annotate(self, job_id: str, **changes) -> Job | None: ...
    def requeue(self, job_id: str) -> Job | None: ...
    def delete(self, job_id: str) -> bool: ...
    def count(self, status: str) -> int: ...
    def unfinished(self) -> list[str]: ...
    def finished_before(self, when: float) -> list[str]: ...
    def page(self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None) -> list[Job]: ...
    def exists(self, job_id: str) -> bool: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


class SqliteJobStore:
    """Jobs in one SQLite file: survives restarts, shared by the API and its worker processes."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, status TEXT NOT NULL, "
                "created_at REAL NOT NULL, finished_at REAL, data TEXT NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status, created_at)")

    def _connect(self) -> sqlite3.Connection:
        # One connection per thread: sqlite3 connections must not cross threads.
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self):
        """One write transaction (taking the write lock first); rolled back on any error. A write that
        fails for the disk (full, read-only) is `StoreUnavailable`, as an unreachable Redis is."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            if db.in_transaction:
                db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if db.in_transaction:  # a failed COMMIT can leave the transaction open
                db.execute("ROLLBACK")
            raise StoreUnavailable(f"the job database cannot be written ({exc}). Try again shortly.") from exc

    def _write(self, job: Job, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT OR REPLACE INTO jobs (id, status, created_at, finished_at, data) VALUES (?, ?, ?, ?, ?)",
            (job.id, job.status, job.created_at, job.finished_at, json.dumps(job.to_dict())),
        )

    def _read(self, job_id: str, db: sqlite3.Connection) -> Job | None:
        row = db.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_dict(json.loads(row[0])) if row else None

    def add(self, job: Job, queue_limit: int | None = None) -> bool:
        """Record a new job; False (and nothing recorded) when `queue_limit` jobs are already queued.

        The count and the insert are one write transaction, so concurrent
        submits (threads or API processes) never pass the limit together.
        """
        with self._transaction() as db:
            if queue_limit is not None and job.status == QUEUED:
                (queued,) = db.execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (QUEUED,)).fetchone()
                if queued >= queue_limit:
                    return False
            self._write(job, db)
            return True

    def get(self, job_id: str) -> Job | None:
        return self._read(job_id, self._connect())

    def _change(self, job_id: str, allowed: tuple[str, ...] | None, edit=None, guard=None, **changes) -> Job | None:
        """Apply `changes` (and `edit(job)`, for changes that depend on the job) in one
        transaction if the job exists, is in an `allowed` status and passes `guard(job)`."""
        with self._transaction() as db:
            job = self._read(job_id, db)
            if job is None or (allowed is not None and job.status not in allowed) or (guard and not guard(job)):
                return None
            for name, value in changes.items():
                setattr(job, name, value)
            if edit is not None:
                edit(job)
            job.updated_at = time.time()
            self._write(job, db)
            return job

    def update(self, job_id: str, **changes) -> Job | None:
        """Change fields of an unfinished job; None if it is gone or already finished."""
        return self._change(job_id, UNFINISHED, **changes)

    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        """Mark the job running on `worker`, holding its lease for `lease_s`.

        None when it is finished or deleted; `LeaseHeld` while another worker's lease lasts.
        """
        held = []

        def free(job: Job) -> bool:
            if job.status == RUNNING and job.worker != worker and (job.lease_until or 0) > time.time():
                held.append(job.lease_until - time.time())
                return False
            return True

        def start(job: Job) -> None:
            job.status, job.worker, job.attempts = RUNNING, worker, job.attempts + 1
            job.started_at = time.time()
            job.lease_until = job.started_at + lease_s
            job.progress, job.stage = 0, None

        claimed = self._change(job_id, UNFINISHED, edit=start, guard=free)
        if held:
            raise LeaseHeld(held[0])
        return claimed

    def renew(self, job_id: str, worker: str, lease_s: float) -> bool:
        """The heartbeat: extend `worker`'s lease; False when the job is no longer its to run."""
        return (
            self._change(job_id, (RUNNING,), guard=lambda job: job.worker == worker, lease_until=time.time() + lease_s)
            is not None
        )

    def lapsed(self) -> list[str]:
        """Running jobs whose lease ran out: their worker is gone."""
        now = time.time()
        rows = self._connect().execute("SELECT data FROM jobs WHERE status = ?", (RUNNING,)).fetchall()
        jobs = [Job.from_dict(json.loads(row[0])) for row in rows]
        return [job.id for job in jobs if (job.lease_until or 0) < now]

    def recover(self, job_id: str, max_attempts: int, worker: str | None = None) -> Job | None:
        """Take a running job from a lost worker: back to the queue, or failed once it used `max_attempts`.

        Only a lapsed lease counts as lost, unless `worker` is given: the
        caller saw that worker die. None when the job is not (or no longer) lost.
        """

        def lost(job: Job) -> bool:
            return job.worker == worker if worker is not None else (job.lease_until or 0) < time.time()

        def hand_back(job: Job) -> None:
            job.worker = job.lease_until = None
            if job.attempts >= max_attempts:
                job.status, job.finished_at, job.error = FAILED, time.time(), lost_worker_error(job.attempts)
            else:
                job.status, job.progress, job.stage = QUEUED, 0, None

        return self._change(job_id, (RUNNING,), edit=hand_back, guard=lost)

    def finish(self, job_id: str, status: str, worker: str | None = None, **changes) -> Job | None:
        """Record the end of an unfinished job; None if it was deleted or had already ended.

        With `worker`, only while that worker still runs it (a run whose lease
        lapsed and was handed on must not overwrite the next run's record).
        """
        now = time.time()
        guard = (lambda job: job.status == RUNNING and job.worker == worker) if worker else None
        return self._change(
            job_id, UNFINISHED, guard=guard, status=status, finished_at=now, lease_until=None, **changes
        )

    def annotate(self, job_id: str, **changes) -> Job | None:
        """Change fields whatever the status (the webhook outcome after the end)."""
        return self._change(job_id, None, **changes)

    def requeue(self, job_id: str) -> Job | None:
        """Put an interrupted job back in the queue (at a stop or after a restart)."""
        return self._change(job_id, UNFINISHED, status=QUEUED, progress=0, stage=None, worker=None, lease_until=None)

    def delete(self, job_id: str) -> bool:
        db = self._connect()
        with db:
            return db.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount > 0

    def count(self, status: str) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]

    def unfinished(self) -> list[str]:
        """Queued and running job ids, oldest first."""
        rows = (
            self._connect()
            .execute("SELECT id FROM jobs WHERE status IN (?, ?) ORDER BY created_at", UNFINISHED)
            .fetchall()
        )
        return [r[0] for r in rows]

    def finished_before(self, when: float) -> list[str]:
        rows = (
            self._connect()
            .execute("SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?", (when,))
            .fetchall()
        )
        return [r[0] for r in rows]

    def page(self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None) -> list[Job]:
        """Jobs newest first, `limit` of them, starting after the `(created_at, id)` of the last one seen;
        only `owner`'s when given."""
        query, params = "SELECT data FROM jobs WHERE 1 = 1", []
        if after is not None:
            query += " AND (created_at < ? OR (created_at = ? AND id < ?))"
            params += [after[0], after[0], after[1]]
        if owner is not None:
            query += " AND json_extract(data, '$.owner') = ?"
            params.append(owner)
        query += " ORDER BY created_at DESC, id DESC LIMIT ?"
        rows = self._connect().execute(query, [*params, limit]).fetchall()
        return [Job.from_dict(json.loads(row[0])) for row in rows]

    def exists(self, job_id: str) -> bool:
        return self._connect().execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None

    def ping(self) -> None:
        self._connect().execute("SELECT 1").fetchone()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
