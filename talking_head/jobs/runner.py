"""Running one job, the same way in an in-process pool worker and in a Celery worker.

`execute` claims the job, runs the pipeline into the job's folder (the MP4
is written under a temporary name and renamed when complete, so a job that
runs twice after a lost worker still leaves exactly one result file), keeps
the job's lease alive with a heartbeat (`leases`), writes progress into the
store as it goes, records the end, and sends the webhook.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

from ..errors import INTERNAL_ERROR, ConfigurationError, InputError, OutputError, StoreUnavailable
from ..pipeline import TalkOptions, TalkResult, talk
from ..settings import Settings
from .avatar_builds import avatar_for_talk, build
from .leases import Heartbeat, LeaseLost
from .links import public_record
from .records import AVATAR, DONE, FAILED, Job
from .storage import Storage
from .stores import JobStore
from .transitions import LeaseHeld
from .webhooks import deliver_in_background

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5
RECORD_RETRIES_S = (1, 2, 4)
TIMEOUT_MESSAGE = (
    "the job ran past the time limit of {limit} s and was stopped. Try shorter text or audio, or a smaller size."
)
RESULT_FIELDS = TalkResult.shared_fields()


def stored_result(result: TalkResult) -> dict:
    """The part of the result a job keeps (and shows): no paths on the worker's machine."""
    record = result.to_dict()
    return {name: record[name] for name in RESULT_FIELDS}


def warm_up(settings) -> None:
    """Load the voice, the face models and the engines once, by making a tiny video."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="talking-head-warm-") as folder:
        options = TalkOptions(size=64, fps=5, captions="none")
        try:
            talk(text="Hello.", output=Path(folder) / "warm.mp4", options=options, settings=settings)
        except Exception:  # a broken engine shows in the first real job's fallback reason
            log.warning("warm-up failed", exc_info=True)
    log.info("models loaded in %.1f s", time.perf_counter() - started)


class _Progress:
    """Writes progress to the store at most every PROGRESS_EVERY_S (the store may be remote),
    and stops the run if its lease went to another worker."""

    def __init__(self, store, job_id: str, heartbeat: Heartbeat):
        self.store, self.job_id, self.heartbeat, self.last = store, job_id, heartbeat, 0.0

    def __call__(self, fraction: float, stage: str) -> None:
        self.heartbeat.check()
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY_S and fraction < 1.0:
            return
        self.last = now
        try:
            self.store.update(self.job_id, progress=min(99, int(fraction * 100)), stage=stage)
        except StoreUnavailable:
            log.warning("progress of %s not recorded: store unreachable", self.job_id)


def execute(job_id: str, store: JobStore, storage: Storage, settings: Settings, worker: str) -> Job | None:
    """Run the job if it still needs running; the finished job, or None when there was nothing to do."""
    try:
        job = store.claim(job_id, worker, settings.lease_s, settings.max_attempts)
    except LeaseHeld as exc:
        # A redelivery while the first run is alive, or before its dead worker's lease lapsed:
        # the lease watch hands the job on if that worker is really gone.
        log.info("job %s not started here: %s", job_id, exc)
        return None
    if job is None:
        return None
    if job.status == FAILED:  # its last run was lost; the claim ended it
        log.warning("job %s failed: %s", job_id, job.error["message"] if job.error else "")
        notify(job, store, settings)
        return job
    log.info("job %s started on %s (attempt %d)", job_id, worker, job.attempts)
    try:
        with Heartbeat(store, job_id, worker, settings) as heartbeat:
            outcome = _run(job, storage, settings, _Progress(store, job_id, heartbeat))
    except LeaseLost:
        return None  # the worker that holds the lease now records the end
    finished = _record_end(store, job_id, worker, outcome)
    if finished is None:
        if not store.exists(job_id):
            storage.remove(job_id)  # deleted while it ran: leave nothing behind
        return None
    notify(finished, store, settings)
    return finished


def _record_end(store, job_id: str, worker: str, outcome: dict) -> Job | None:
    """`store.finish`, tried again for a few seconds while the store cannot be written (a full disk
    that the failed video just gave some space back on, Redis restarting)."""
    status = outcome.pop("status")
    for wait_s in RECORD_RETRIES_S:
        try:
            return store.finish(job_id, status, worker=worker, **outcome)
        except StoreUnavailable:
            log.warning("the end of job %s not recorded yet; trying again in %.0f s", job_id, wait_s)
            time.sleep(wait_s)
    return store.finish(job_id, status, worker=worker, **outcome)


def _run(job: Job, storage: Storage, settings, progress: _Progress) -> dict:
    """Make the video (or the avatar); the end to record: status and result or error."""
    image_path = storage.input_path(job.id, "image") if job.image else None
    audio_path = storage.input_path(job.id, "audio") if job.audio else None
    try:
        storage.job_dir(job.id).mkdir(parents=True, exist_ok=True)
        if job.kind == AVATAR:
            return {"status": DONE, "progress": 100, "stage": "done", "result": build(job, storage, settings, progress)}
        options = TalkOptions(**job.options)
        # Bytes, not the path: error messages then speak of "the image", not a server file name.
        image = image_path.read_bytes() if image_path else None
        result = talk(
            text=job.text,
            image=image,
            audio=audio_path,
            avatar=avatar_for_talk(job, storage),
            output=storage.video_path(job.id),
            options=options,
            progress=progress,
            settings=settings,
        )
    except (InputError, ConfigurationError) as exc:  # the caller's to fix: the record says how
        if job.kind == AVATAR:
            storage.remove(job.id)  # a clip that makes no avatar is not kept: only the record says why
        return {"status": FAILED, "error": exc.record()}
    except OutputError as exc:
        log.error("job %s could not write its files: %s", job.id, exc)
        storage.remove_outputs(job.id)  # the video may be whole when the captions failed: no half a result
        return {"status": FAILED, "error": exc.record()}
    except Exception as exc:
        log.exception("job %s failed", job.id)
        return {
            "status": FAILED,
            "error": {"code": INTERNAL_ERROR, "message": f"{exc.__class__.__name__}: {exc}", "field": None},
        }
    return {"status": DONE, "progress": 100, "stage": "done", "result": stored_result(result)}


def fail(job_id: str, code: str, message: str, store: JobStore, settings: Settings) -> Job | None:
    """End a job that cannot end by itself (its worker died or ran out of time)."""
    finished = store.finish(job_id, FAILED, error={"code": code, "message": message, "field": None})
    if finished is not None:
        notify(finished, store, settings)
    return finished


def notify(job: Job, store: JobStore, settings: Settings) -> None:
    """Send the final record to the job's callback, if it has one, and note how that went."""
    if not job.callback_url:
        return
    payload = public_record(job, settings.api_key)
    deliver_in_background(
        job.callback_url, payload, settings, on_done=lambda outcome: store.annotate(job.id, webhook=outcome)
    )
