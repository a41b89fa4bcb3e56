"""The in-process pool: a few worker processes on this machine, models loaded once in each.

Each slot is a thread in the API process that owns one worker process (spawned,
so it shares no locks or sockets with the server) and hands it one job at a time
through a pipe. The slot enforces the time limit (the job fails with
`timeout`). Lost processes are handled as Celery's lost workers are, by the
`leases.LeaseWatch`: a process seen to die, or one whose heartbeat stopped so
that its job's lease lapsed, has its job queued again, or failed with
`worker_lost` after `max_attempts` runs; the slot stops a process whose job
was handed on and starts a fresh one. At a stop the running jobs go back to the queue; jobs
still queued or running when the server stopped are queued again at start.
A pool process dies with the server (`process.die_with_parent`), and one
whose memory passed `worker_max_rss_mb` after a job is replaced by a fresh one.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from ..errors import StoreUnavailable
from .leases import LeaseWatch
from .process import die_with_parent, resident_mb
from .records import QUEUED, RUNNING, Job
from .runner import TIMEOUT_MESSAGE, execute, fail, notify, warm_up
from .storage import Storage
from .store_sqlite import SqliteJobStore

log = logging.getLogger(__name__)

STOP = None
RECYCLE = "recycle"  # a pool process's answer after a job when it has grown too big and ends
WARM_UP_LIMIT_S = 600


def _worker_main(conn, settings, store_path, parent_pid: int) -> None:
    """A pool process: load the models, then run the job ids that arrive on `conn`."""
    die_with_parent(parent_pid)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    store = SqliteJobStore(store_path)
    storage = Storage(settings.results_path)
    warm_up(settings)
    conn.send("ready")
    name = worker_name(os.getpid())
    while True:
        try:
            job_id = conn.recv()
        except EOFError:  # the server is gone
            return
        if job_id is STOP:
            return
        try:
            execute(job_id, store, storage, settings, name)
        except Exception:
            log.exception("job %s could not be run", job_id)
        size_mb = resident_mb()
        if settings.worker_max_rss_mb and size_mb > settings.worker_max_rss_mb:
            log.info("pool worker %s holds %.0f MB after job %s: a fresh one takes over", name, size_mb, job_id)
            conn.send(RECYCLE)
            return
        conn.send(job_id)


def worker_name(pid: int) -> str:
    return f"local-{pid}"


class _Slot:
    def __init__(self, index: int):
        self.index = index
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.ready = False


class LocalExecutor:
    name = "local"

    def __init__(self, settings, store: SqliteJobStore, storage: Storage):
        self.settings = settings
        self.store = store
        self.storage = storage
        self._queue: queue.Queue = queue.Queue()
        self._slots = [_Slot(i) for i in range(max(1, settings.workers))]
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self._watch = LeaseWatch(
            store,
            settings,
            requeued=lambda job: self._queue.put(job.id),
            failed=lambda job: notify(job, store, settings),
        )

    def start(self) -> None:
        for job_id in self.store.unfinished():
            if self.store.requeue(job_id):
                log.info("resuming job %s", job_id)
                self._queue.put(job_id)
        for slot in self._slots:
            thread = threading.Thread(target=self._run_slot, args=(slot,), name=f"pool-slot-{slot.index}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._watch.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job.id)

    def readiness(self) -> dict[str, str]:
        warm = sum(slot.ready for slot in self._slots)
        return {"workers": "ok" if warm == len(self._slots) else f"{warm} of {len(self._slots)} workers loaded"}

    def _spawn(self, slot: _Slot) -> bool:
        parent, child = self._context.Pipe()
        # The child opens its own store: sqlite connections do not cross processes.
        process = self._context.Process(
            target=_worker_main,
            args=(child, self.settings, self.store.path, os.getpid()),
            name=f"talking-head-pool-{slot.index}",
            daemon=True,
        )
        process.start()
        child.close()
        slot.process, slot.conn, slot.ready = process, parent, False
        deadline = time.monotonic() + WARM_UP_LIMIT_S
        while not self._stopping.is_set() and time.monotonic() < deadline:
            if parent.poll(0.2):
                try:
                    slot.ready = parent.recv() == "ready"
                except EOFError:
                    break
                return slot.ready
        self._kill(slot)
        return False

    def _kill(self, slot: _Slot) -> None:
        if slot.process is not None and slot.process.is_alive():
            slot.process.kill()
            slot.process.join(5)
        if slot.conn is not None:
            slot.conn.close()
        slot.process, slot.conn, slot.ready = None, None, False

    def _run_slot(self, slot: _Slot) -> None:
        while not self._stopping.is_set():
            if slot.process is None and not self._spawn(slot):
                if not self._stopping.is_set():
                    log.error("pool worker %d could not start; trying again", slot.index)
                    time.sleep(1)
                continue
            try:
                job_id = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if job_id is STOP:
                break
            self._run_one(slot, job_id)
        self._kill(slot)

    def _run_one(self, slot: _Slot, job_id: str) -> None:
        process, conn = slot.process, slot.conn
        if process is None or process.pid is None or conn is None:  # not started: the job waits for one that is
            self._queue.put(job_id)
            return
        limit = self.settings.job_time_limit_s
        worker = worker_name(process.pid)
        conn.send(job_id)
        deadline = time.monotonic() + limit
        next_lease_check = time.monotonic() + self.settings.heartbeat_s
        while True:
            if self._stopping.is_set():
                # Shutting down: the job goes back to the queue and runs again at the next start.
                self._kill(slot)
                self.store.requeue(job_id)
                return
            if conn.poll(0.2):
                try:
                    answer = conn.recv()
                except EOFError:
                    break
                self._check_ended(job_id, worker)
                if answer == RECYCLE:  # it ends after this job: the slot starts a fresh one
                    process.join(5)
                    self._kill(slot)
                return
            if not process.is_alive():
                break
            if time.monotonic() > deadline:
                self._kill(slot)
                fail(job_id, "timeout", TIMEOUT_MESSAGE.format(limit=limit), self.store, self.settings)
                return
            if time.monotonic() > next_lease_check:
                next_lease_check = time.monotonic() + self.settings.heartbeat_s
                if self._handed_on(job_id, worker):
                    log.warning("pool worker %s stopped renewing the lease of job %s; stopping it", worker, job_id)
                    self._kill(slot)
                    return
        code = process.exitcode
        self._kill(slot)
        try:
            self._hand_on(job_id, worker, code)
        except StoreUnavailable:  # the database's disk is full: the job is queued again at the next start
            log.exception("job %s could not be handed on", job_id)

    def _handed_on(self, job_id: str, worker: str) -> bool:
        """Whether the lease watch took the job from this slot's process (its lease lapsed)."""
        try:
            job = self.store.get(job_id)
        except StoreUnavailable:
            return False
        return job is not None and not job.finished and job.worker != worker

    def _check_ended(self, job_id: str, worker: str) -> None:
        """The process is done with the job; if it could not record the end, the job is still its own."""
        try:
            job = self.store.get(job_id)
            if job is not None and job.status == RUNNING and job.worker == worker:
                log.error("pool worker %s gave up job %s without recording its end", worker, job_id)
                self._hand_on(job_id, worker, None)
        except StoreUnavailable:
            log.exception("job %s could not be handed on", job_id)

    def _hand_on(self, job_id: str, worker: str, exit_code: int | None) -> None:
        """The job's worker process is lost (seen to exit, with `exit_code`): the lease watch hands it on."""
        log.warning("pool worker %s lost job %s (exit code %s)", worker, job_id, exit_code)
        if self._watch.hand_on(job_id, worker=worker) is None:
            current = self.store.get(job_id)
            if current is not None and current.status == QUEUED:
                self._queue.put(job_id)  # the process died before it started the job

    def shutdown(self) -> None:
        self._stopping.set()
        self._watch.stop()
        for _ in self._slots:
            self._queue.put(STOP)
        for thread in self._threads:
            thread.join(10)
        for slot in self._slots:
            self._kill(slot)
