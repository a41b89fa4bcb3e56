"""Leases on running jobs: the worker's heartbeat, and the watch that hands on a lost worker's job.

A worker that claims a job holds its lease for `Settings.lease_s` and renews
it every `Settings.heartbeat_s`. A worker that is killed, runs out of memory
or loses its machine stops renewing; once the lease has lapsed, the watch
(running in every API process) puts the job back in the queue, or fails it
with `worker_lost` once it has had `Settings.max_attempts` runs. Whatever the
job time limit, a lost job is noticed within `lease_s + heartbeat_s`.

A worker that is alive but lost its lease (cut off from the store for longer
than the lease) stops its run at the next progress report, so one job never
runs on two workers at the same time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..errors import StoreUnavailable
from .records import FAILED, QUEUED, Job

log = logging.getLogger(__name__)


class LeaseLost(BaseException):
    """Raised inside a run whose lease went to another worker.

    A BaseException, like KeyboardInterrupt: the pipeline's engine fallback
    catches Exception, and this must stop the run, not try the next engine.
    """


class Heartbeat:
    """Renews one job's lease in a background thread while the job runs (a context manager)."""

    def __init__(self, store, job_id: str, worker: str, settings):
        self.store, self.job_id, self.worker = store, job_id, worker
        self.lease_s, self.every_s = settings.lease_s, settings.heartbeat_s
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{job_id[:8]}", daemon=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                held = self.store.renew(self.job_id, self.worker, self.lease_s)
            except StoreUnavailable:
                log.warning("lease of job %s not renewed: store unreachable", self.job_id)
                continue
            if not held:
                log.warning("job %s lost its lease; another worker runs it now", self.job_id)
                self.lost = True
                return

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(self.job_id)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)


class LeaseWatch:
    """Hands on the jobs of lost workers: a thread that looks for lapsed leases every heartbeat, and
    `hand_on` for a worker seen to die (the in-process pool sees its processes exit)."""

    def __init__(self, store, settings, requeued: Callable[[Job], None], failed: Callable[[Job], None]):
        self.store, self.settings = store, settings
        self.requeued, self.failed = requeued, failed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="lease-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _watch(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_s):
            try:
                self.sweep()
            except StoreUnavailable:
                continue
            except Exception:
                log.exception("lease watch failed; trying again")

    def sweep(self) -> None:
        for job_id in self.store.lapsed():
            self.hand_on(job_id)

    def hand_on(self, job_id: str, worker: str | None = None) -> Job | None:
        """Queue the job of a lost worker again, or fail it after its last attempt. Lost means its lease
        lapsed or, with `worker`, that this worker was seen to die. None when the job was not lost (renewed
        in time, already finished, or handed on by another API process first)."""
        job = self.store.recover(job_id, self.settings.max_attempts, worker=worker)
        if job is None:
            return None
        if job.status == QUEUED:
            log.warning("job %s lost its worker (attempt %d); queued again", job_id, job.attempts)
            self.requeued(job)
        elif job.status == FAILED:
            log.error("job %s lost its worker %d times; failed", job_id, job.attempts)
            self.failed(job)
        return job
