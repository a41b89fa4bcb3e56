"""Who renders jobs: the `Executor` interface, and the settings an executor needs.

Two implementations: `executor_local.LocalExecutor` (a pool of processes on
this machine, the default) and `executor_celery.CeleryExecutor` (Celery
workers on any machine, through Redis); the app picks one (`service.app`).
"""

from __future__ import annotations

import importlib.util
from typing import Protocol

from ..errors import ConfigurationError
from ..settings import Settings
from .records import Job

EXECUTORS = ("local", "celery")
QUEUES = CPU_QUEUE, GPU_QUEUE = ("cpu", "gpu")  # the Celery queues: SadTalker jobs need a GPU worker
BROKER_URL_NEEDED = "TALKING_HEAD_EXECUTOR=celery needs TALKING_HEAD_BROKER_URL, e.g. redis://localhost:6379/0"


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
            raise ConfigurationError(BROKER_URL_NEEDED)
        if importlib.util.find_spec("celery") is None or importlib.util.find_spec("redis") is None:
            raise ConfigurationError('the celery executor needs its extra: pip install "talking-head[celery]"')
