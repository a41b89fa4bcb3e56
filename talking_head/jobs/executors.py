"""Who renders jobs: the `Executor` interface, and choosing one from the settings.

Two implementations: `executor_local.LocalExecutor` (a pool of processes on
this machine, the default) and `executor_celery.CeleryExecutor` (Celery
workers on any machine, through Redis).
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

from ..errors import ConfigurationError
from ..settings import Settings
from .records import Job
from .storage import Storage
from .stores import JobStore

EXECUTORS = ("local", "celery")


class Executor(Protocol):
    """Runs submitted jobs somewhere, and says whether it can."""

    name: str

    def start(self) -> None:
        """Begin taking jobs (and resume those left unfinished by a previous run)."""

    def submit(self, job: Job) -> None:
        """Queue a stored job; raises `StoreUnavailable` when the queue cannot be reached."""

    def readiness(self) -> dict[str, str]:
        """``ok`` or what is wrong, per part (e.g. ``{"workers": "ok"}``), for `/readyz`."""

    def shutdown(self) -> None:
        """Stop taking jobs; unfinished ones stay in the store for the next start."""


def check_settings(settings: Settings) -> None:
    """Refuse to start with a set-up that cannot work, saying how to fix it."""
    if settings.executor not in EXECUTORS:
        raise ConfigurationError(f"TALKING_HEAD_EXECUTOR must be local or celery, got {settings.executor!r}")
    if settings.executor == "celery":
        if not settings.broker_url:
            raise ConfigurationError(
                "TALKING_HEAD_EXECUTOR=celery needs TALKING_HEAD_BROKER_URL, e.g. redis://localhost:6379/0"
            )
        if importlib.util.find_spec("celery") is None or importlib.util.find_spec("redis") is None:
            raise ConfigurationError('the celery executor needs its extra: pip install "talking-head[celery]"')


def make_executor(settings: Settings, store: JobStore, storage: Storage) -> Executor:
    if settings.executor == "celery":
        from .executor_celery import CeleryExecutor

        return CeleryExecutor(settings, store, storage)
    from .executor_local import LocalExecutor

    return LocalExecutor(settings, store, storage)
