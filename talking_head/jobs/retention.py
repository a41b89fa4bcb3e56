"""Removing old results: finished jobs past the retention time, and folders no job owns."""

from __future__ import annotations

import logging
import threading
import time

from ..errors import StoreUnavailable

log = logging.getLogger(__name__)


class Sweeper:
    """A background thread that sweeps every few minutes (sooner for short retention times)."""

    def __init__(self, settings, store, storage):
        self.settings, self.store, self.storage = settings, store, storage
        self.interval_s = min(300.0, max(1.0, settings.retention_s / 4))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.sweep()
            except StoreUnavailable as exc:
                log.warning("retention sweep skipped: %s", exc)
            except Exception:
                log.exception("retention sweep failed")

    def sweep(self) -> int:
        cutoff = time.time() - self.settings.retention_s
        removed = 0
        for job_id in self.store.finished_before(cutoff):
            self.storage.remove(job_id)
            self.store.delete(job_id)
            removed += 1
        # Folders of requests that never became jobs (a crash mid-upload) or whose record is gone.
        for job_id in self.storage.orphans(cutoff):
            if not self.store.exists(job_id):
                self.storage.remove(job_id)
                removed += 1
        if removed:
            log.info("removed %d expired jobs", removed)
        return removed
