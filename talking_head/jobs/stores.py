"""The job store interface, and opening a store: SQLite on one machine, Redis when Celery workers run
elsewhere.

Every store (`store_sqlite.SqliteJobStore`, `store_redis.RedisJobStore`)
offers the same methods, so the API and the workers never know which one
they talk to.

A running job holds a lease: its worker renews it every few seconds (the
heartbeat), and a job whose lease ran out lost its worker. `recover` hands
such a job back to the queue, or fails it once it has used up its attempts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..errors import ConfigurationError
from ..settings import Settings
from .executors import BROKER_URL_NEEDED
from .records import TALK, Job
from .store_sqlite import SqliteJobStore

if TYPE_CHECKING:
    from .store_redis import RedisJobStore

SQLITE_FILE = "jobs.sqlite3"  # in the data folder


class JobStore(Protocol):
    """What the API and the workers ask of a job store (`SqliteJobStore`, `store_redis.RedisJobStore`).

    Every change is atomic; the methods that change a job return it as it now
    is, or None when it is gone or not in a state that allows the change.
    A store that cannot be reached raises `StoreUnavailable`.
    """

    def add(self, job: Job, queue_limit: int | None = None) -> bool: ...
    def get(self, job_id: str) -> Job | None: ...
    def update(self, job_id: str, **changes) -> Job | None: ...
    def claim(self, job_id: str, worker: str, lease_s: float, max_attempts: int) -> Job | None: ...
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
    def page(
        self, limit: int, after: tuple[float, str] | None = None, owner: str | None = None, kind: str = TALK
    ) -> list[Job]: ...
    def exists(self, job_id: str) -> bool: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...


def open_sqlite(settings: Settings) -> SqliteJobStore:
    """The store of one machine (the in-process pool's)."""
    return SqliteJobStore(settings.data_dir / SQLITE_FILE)


def open_redis(settings: Settings) -> RedisJobStore:
    """The store every API instance and Celery worker shares (needs the optional `redis` package)."""
    from .store_redis import RedisJobStore

    if not settings.broker_url:
        raise ConfigurationError(BROKER_URL_NEEDED)
    return RedisJobStore(settings.broker_url)
