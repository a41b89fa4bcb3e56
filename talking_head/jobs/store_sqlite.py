"""The SQLite job store: jobs in one file on one machine, shared by the API and its pool processes."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreUnavailable
from .records import FAILED, QUEUED, RUNNING, UNFINISHED, Job, LeaseHeld, lost_worker_error


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
