"""The SQLite job store: jobs in one file on one machine, shared by the API and its pool processes."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from ..errors import StoreUnavailable
from . import transitions
from .records import QUEUED, RUNNING, TALK, UNFINISHED, Job
from .transitions import LeaseHeld, lease_lapsed


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

    def _change(self, job_id: str, transition: Callable[[Job], dict | None]) -> Job | None:
        """Write the changes `transition(job)` gives, in one transaction; None when the job is gone or
        the transition does not apply (`transitions`)."""
        with self._transaction() as db:
            job = self._read(job_id, db)
            changes = transition(job) if job is not None else None
            if job is None or changes is None:
                return None
            job = transitions.applied(job, changes, time.time())
            self._write(job, db)
            return job

    def update(self, job_id: str, **changes) -> Job | None:
        """Change fields of an unfinished job; None if it is gone or already finished."""
        return self._change(job_id, lambda job: transitions.update(job, changes))

    def claim(self, job_id: str, worker: str, lease_s: float, max_attempts: int) -> Job | None:
        """Mark the job running on `worker`, holding its lease for `lease_s`.

        None when it is finished or deleted; `LeaseHeld` while another worker's lease lasts; the job
        failed (`transitions.claim`) when its last of `max_attempts` runs was lost.
        """

        def start(job: Job) -> dict | None:
            now = time.time()
            if transitions.held_by_other(job, worker, lease_lapsed(job, now)):
                raise LeaseHeld((job.lease_until or now) - now)  # rolls the transaction back
            return transitions.claim(job, worker, lease_s, max_attempts, now)

        return self._change(job_id, start)

    def renew(self, job_id: str, worker: str, lease_s: float) -> bool:
        """The heartbeat: extend `worker`'s lease; False when the job is no longer its to run."""
        return self._change(job_id, lambda job: transitions.renew(job, worker, lease_s, time.time())) is not None

    def lapsed(self) -> list[str]:
        """Running jobs whose lease ran out: their worker is gone."""
        now = time.time()
        rows = self._connect().execute("SELECT data FROM jobs WHERE status = ?", (RUNNING,)).fetchall()
        jobs = [Job.from_dict(json.loads(row[0])) for row in rows]
        return [job.id for job in jobs if lease_lapsed(job, now)]

    def recover(self, job_id: str, max_attempts: int, worker: str | None = None) -> Job | None:
        """Take a running job from a lost worker: back to the queue, or failed once it used `max_attempts`.

        Only a lapsed lease counts as lost, unless `worker` is given: the
        caller saw that worker die. None when the job is not (or no longer) lost.
        """

        def hand_back(job: Job) -> dict | None:
            now = time.time()
            lost = job.worker == worker if worker is not None else lease_lapsed(job, now)
            return transitions.hand_back(job, lost, max_attempts, now)

        return self._change(job_id, hand_back)

    def finish(self, job_id: str, status: str, worker: str | None = None, **changes) -> Job | None:
        """Record the end of an unfinished job; None if it was deleted or had already ended (with
        `worker`: or that worker no longer runs it)."""
        return self._change(job_id, lambda job: transitions.finish(job, status, worker, time.time(), changes))

    def annotate(self, job_id: str, **changes) -> Job | None:
        """Change fields whatever the status (the webhook outcome after the end)."""
        return self._change(job_id, lambda job: dict(changes))

    def requeue(self, job_id: str) -> Job | None:
        """Put an interrupted job back in the queue (at a stop or after a restart)."""
        return self._change(job_id, transitions.requeue)

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

    def page(
        self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None, kind: str = TALK
    ) -> list[Job]:
        """Jobs of `kind` newest first, `limit` of them, starting after the `(created_at, id)` of the last one
        seen; only `owner`'s when given."""
        # Records written before jobs had a kind are talks.
        query = "SELECT data FROM jobs WHERE COALESCE(json_extract(data, '$.kind'), ?) = ?"
        params: list[str | float] = [TALK, kind]
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
