"""Which job store a service uses: SQLite on one machine, Redis when Celery workers run elsewhere."""

from __future__ import annotations

from ..settings import Settings
from .jobs import JobStore, SqliteJobStore


def open_store(settings: Settings) -> JobStore:
    """The store the configured executor needs."""
    if settings.executor == "celery":
        from .jobs_redis import RedisJobStore  # needs the optional `redis` package

        return RedisJobStore(settings.broker_url)
    return SqliteJobStore(settings.data_dir / "jobs.sqlite3")
