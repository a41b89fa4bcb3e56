"""Job records and the SQLite store that keeps them on one machine.

A job is written once by the API (``queued``), claimed by whichever worker
runs it (``running``, with progress), and finished once (``done`` or
``failed``). Every store (this one, and `jobs_redis.RedisJobStore` for
several machines) offers the same methods, so the API and the workers never
know which one they talk to.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Protocol

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
UNFINISHED = (QUEUED, RUNNING)
JOB_ID = re.compile(r"^[0-9a-f]{32}$")


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

    def add(self, job: Job) -> None: ...
    def get(self, job_id: str) -> Job | None: ...
    def update(self, job_id: str, **changes) -> Job | None: ...
    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None: ...
    def finish(self, job_id: str, status: str, **changes) -> Job | None: ...
    def annotate(self, job_id: str, **changes) -> Job | None: ...
    def requeue(self, job_id: str) -> Job | None: ...
    def delete(self, job_id: str) -> bool: ...
    def count(self, status: str) -> int: ...
    def unfinished(self) -> list[str]: ...
    def finished_before(self, when: float) -> list[str]: ...
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

    def _write(self, job: Job, db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT OR REPLACE INTO jobs (id, status, created_at, finished_at, data) VALUES (?, ?, ?, ?, ?)",
            (job.id, job.status, job.created_at, job.finished_at, json.dumps(job.to_dict())),
        )

    def _read(self, job_id: str, db: sqlite3.Connection) -> Job | None:
        row = db.execute("SELECT data FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_dict(json.loads(row[0])) if row else None

    def add(self, job: Job) -> None:
        db = self._connect()
        with db:
            self._write(job, db)

    def get(self, job_id: str) -> Job | None:
        return self._read(job_id, self._connect())

    def _change(self, job_id: str, allowed: tuple[str, ...] | None, edit=None, **changes) -> Job | None:
        """Apply `changes` (and `edit(job)`, for changes that depend on the job) in one
        transaction if the job exists and is in an `allowed` status."""
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            job = self._read(job_id, db)
            if job is None or (allowed is not None and job.status not in allowed):
                db.execute("ROLLBACK")
                return None
            for name, value in changes.items():
                setattr(job, name, value)
            if edit is not None:
                edit(job)
            job.updated_at = time.time()
            self._write(job, db)
            db.execute("COMMIT")
            return job
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def update(self, job_id: str, **changes) -> Job | None:
        """Change fields of an unfinished job; None if it is gone or already finished."""
        return self._change(job_id, UNFINISHED, **changes)

    def claim(self, job_id: str, worker: str, lease_s: float) -> Job | None:
        """Mark the job running on `worker`; None when it is finished, deleted, or held elsewhere.

        One machine has one supervisor handing out jobs, so no lease is kept here.
        """

        def start(job: Job) -> None:
            job.status, job.worker, job.attempts = RUNNING, worker, job.attempts + 1
            job.started_at = time.time()
            job.progress, job.stage = 0, None

        return self._change(job_id, UNFINISHED, edit=start)

    def finish(self, job_id: str, status: str, **changes) -> Job | None:
        """Record the end of an unfinished job; None if it was deleted or had already ended."""
        now = time.time()
        return self._change(job_id, UNFINISHED, status=status, finished_at=now, **changes)

    def annotate(self, job_id: str, **changes) -> Job | None:
        """Change fields whatever the status (the webhook outcome after the end)."""
        return self._change(job_id, None, **changes)

    def requeue(self, job_id: str) -> Job | None:
        """Put an interrupted job back in the queue (after a restart)."""
        return self._change(job_id, UNFINISHED, status=QUEUED, progress=0, stage=None)

    def delete(self, job_id: str) -> bool:
        db = self._connect()
        with db:
            return db.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount > 0

    def count(self, status: str) -> int:
        return self._connect().execute("SELECT COUNT(*) FROM jobs WHERE status = ?", (status,)).fetchone()[0]

    def unfinished(self) -> list[str]:
        """Queued and running job ids, oldest first."""
        rows = self._connect().execute(
            "SELECT id FROM jobs WHERE status IN (?, ?) ORDER BY created_at", UNFINISHED
        ).fetchall()
        return [r[0] for r in rows]

    def finished_before(self, when: float) -> list[str]:
        rows = self._connect().execute(
            "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?", (when,)
        ).fetchall()
        return [r[0] for r in rows]

    def exists(self, job_id: str) -> bool:
        return self._connect().execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is not None

    def ping(self) -> None:
        self._connect().execute("SELECT 1").fetchone()

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def open_store(settings) -> JobStore:
    """The store the configured executor needs: SQLite on one machine, Redis for Celery."""
    if settings.executor == "celery":
        from .jobs_redis import RedisJobStore

        return RedisJobStore(settings.broker_url)
    return SqliteJobStore(settings.data_dir / "jobs.sqlite3")
