"""Jobs on Celery with Redis: API instances submit, workers on any machine render.

Only this module imports Celery (the optional extra ``talking-head[celery]``).
The API and the workers share the Redis job store (`store_redis`) and the
results folder, which must be the same shared volume on every machine.

Reliability: a running job holds a lease its worker renews (`leases`). When a
worker is lost, the lease lapses within `lease_s` and the lease watch in the
API sends the job again, to whichever worker is free; the broker's own
redelivery (late acknowledgement, visibility timeout past the time limit) is
only a backstop. A delivery of a job whose lease another worker holds is
dropped, one of a job that already finished is skipped, and a rerun writes
the same single result file (renamed into place when complete).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

from celery import Celery, Task
from celery.exceptions import TimeLimitExceeded
from celery.signals import worker_process_init
from kombu.exceptions import OperationalError

from ..errors import ConfigurationError, StoreUnavailable
from .executors import BROKER_URL_NEEDED, CPU_QUEUE, GPU_QUEUE
from .leases import LeaseWatch
from .records import Job
from .runner import TIMEOUT_MESSAGE, execute, fail, notify, warm_up
from .storage import Storage
from .store_redis import RedisJobStore
from .stores import open_redis

log = logging.getLogger(__name__)

TASK_NAME = "talking_head.render"
WORKER_PING_CACHE_S = 5
PROCESS_START_LIMIT_S = 300  # a pool process loads the models before it reports up (Celery's default is 4 s)


def queue_for(options: dict, settings) -> str:
    """SadTalker jobs need a GPU worker; the built-in and still engines run anywhere."""
    engine = options.get("engine", "auto")
    if engine == "sadtalker" or (engine == "auto" and settings.sadtalker_dir):
        return GPU_QUEUE
    return CPU_QUEUE


def visibility_timeout_s(settings) -> int:
    # Longer than the time limit, after which a live run has ended: the broker hands out again only
    # what a dead worker held, long after the lease watch did. (It counts from delivery: prefetch stays at 1.)
    return int(settings.job_time_limit_s + settings.lease_s) + 10


@dataclass
class _WorkerState:
    """What each worker process opens once: its store connection and the results folder."""

    store: RedisJobStore
    storage: Storage


_opened: dict[int, _WorkerState] = {}  # by process id: a forked pool process must not reuse its parent's sockets


def _worker_state(settings) -> _WorkerState:
    if os.getpid() not in _opened:
        _opened.clear()
        _opened[os.getpid()] = _WorkerState(open_redis(settings), Storage(settings.results_path))
    return _opened[os.getpid()]


def make_celery(settings) -> Celery:
    if not settings.broker_url:
        raise ConfigurationError(BROKER_URL_NEEDED)
    app = Celery("talking_head", broker=settings.broker_url, backend=settings.broker_url)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=CPU_QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        # Celery's own recycling, in KB (None: never): the same limit as the local pool's.
        worker_max_memory_per_child=settings.worker_max_rss_mb * 1024 or None,
        # A replacement pool process (after a crash) warms up before it takes work; killed at
        # Celery's 4 s default, it was replaced again and again while its worker held a job.
        worker_proc_alive_timeout=PROCESS_START_LIMIT_S,
        # A hard limit only: a soft one raises inside the pipeline, which would take it for an engine
        # failure and fall back, while the in-process pool stops the job outright. Both now do the same.
        task_time_limit=settings.job_time_limit_s,
        result_expires=settings.retention_s,
        broker_connection_timeout=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility_timeout_s(settings),
            # Look for a dead worker's messages every 2 s rather than every 100 s.
            "unacked_restore_interval": 2,
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
    )

    class RenderTask(Task):
        def on_failure(self, exc, task_id, args, kwargs, einfo):
            # Runs in the worker's main process after the time limit killed the pool process.
            if isinstance(exc, TimeLimitExceeded):
                state = _worker_state(settings)
                fail(args[0], "timeout", TIMEOUT_MESSAGE.format(limit=settings.job_time_limit_s), state.store, settings)

    @app.task(name=TASK_NAME, bind=True, base=RenderTask, max_retries=None)
    def render(self, job_id: str) -> dict | None:
        state = _worker_state(settings)
        # The node name first: it tells an operator which worker machine ran (or lost) the job.
        worker = f"{self.request.hostname}/{os.getpid()}"
        try:
            job = execute(job_id, state.store, state.storage, settings, worker)
        except StoreUnavailable as exc:
            raise self.retry(countdown=5) from exc
        return {"id": job.id, "status": job.status} if job else None

    @worker_process_init.connect(weak=False)
    def load_models(**_):
        _worker_state(settings)
        warm_up(settings)

    return app


class CeleryExecutor:
    name = "celery"

    def __init__(self, settings, store: RedisJobStore, storage: Storage):
        self.settings = settings
        self.store = store
        self.storage = storage
        self.app = make_celery(settings)
        self._workers_seen: tuple[float, int] = (0.0, 0)
        self._lock = threading.Lock()
        self._watch = LeaseWatch(
            store, settings, requeued=self._resend, failed=lambda job: notify(job, store, settings)
        )

    def start(self) -> None:
        # The broker keeps the queue; the watch sends again what a lost worker held.
        self._watch.start()

    def _resend(self, job: Job) -> None:
        try:
            self.submit(job)
        except StoreUnavailable:
            log.error("job %s could not be queued again; the broker's redelivery will", job.id)

    def submit(self, job: Job) -> None:
        try:
            self.app.send_task(
                TASK_NAME,
                args=[job.id],
                task_id=job.id,
                queue=queue_for(job.options, self.settings),
                retry=True,
                retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.3},
            )
        except (OperationalError, ConnectionError, OSError) as exc:
            raise StoreUnavailable(
                f"the job queue at {self.store.where} is unreachable ({exc}). Try again shortly."
            ) from None

    def readiness(self) -> dict[str, str]:
        with self._lock:
            checked, count = self._workers_seen
            if time.monotonic() - checked > WORKER_PING_CACHE_S:
                try:
                    count = len(self.app.control.ping(timeout=0.5) or [])
                except Exception as exc:  # control.ping raises whatever the transport raises
                    log.warning("worker ping failed: %s", exc)
                    count = 0
                self._workers_seen = (time.monotonic(), count)
        return {"workers": "ok" if count else "no Celery worker answered; start one with: talking-head worker"}

    def shutdown(self) -> None:
        self._watch.stop()
        self.app.close()


def run_worker(settings, queues: list[str], concurrency: int, hostname: str | None, loglevel: str) -> int:
    """Start a Celery worker in this process (blocks until it stops)."""
    app = make_celery(settings)
    name = hostname or f"talking-head-{os.getpid()}@{socket.gethostname()}"
    argv = [
        "worker",
        f"--queues={','.join(queues)}",
        f"--concurrency={concurrency}",
        f"--hostname={name}",
        f"--loglevel={loglevel}",
        "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
    ]
    app.worker_main(argv)
    return 0
