"""The job record: one request and everything known about it so far, its statuses, ids and cursors.

A job is written once by the API (``queued``), claimed by whichever worker
runs it (``running``, with progress), and finished once (``done`` or
``failed``).
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from typing import Final, Literal

Status = Literal["queued", "running", "done", "failed"]
QUEUED: Final = "queued"
RUNNING: Final = "running"
DONE: Final = "done"
FAILED: Final = "failed"
UNFINISHED: tuple[Status, ...] = (QUEUED, RUNNING)
JOB_ID = re.compile(r"^[0-9a-f]{32}$")
CURSOR = r"^-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?_[0-9a-f]{32}$"  # encode_cursor's: created_at, then the id


def encode_cursor(job: Job) -> str:
    """Where the next page of a newest-first listing starts: after this job."""
    return f"{job.created_at!r}_{job.id}"


def decode_cursor(cursor: str) -> tuple[float, str] | None:
    """The `(created_at, id)` a cursor points after; None for a string `encode_cursor` cannot have made."""
    if not re.fullmatch(CURSOR, cursor):
        return None
    created, _, job_id = cursor.partition("_")
    return float(created), job_id


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
    status: Status = QUEUED
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
