"""A checked request becomes a stored, queued job; and waiting for a job to end.

Shared by `/v1/talks` (which answers at once) and `/generate` (which waits).
"""

from __future__ import annotations

import asyncio
import time

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ..errors import QueueFull, StoreUnavailable
from ..jobs.executors import Executor
from ..jobs.records import QUEUED, TALK, Job, new_job_id
from ..jobs.storage import Storage
from ..jobs.stores import JobStore
from ..settings import Settings
from . import limits
from .auth import owned_job
from .avatars import usable_avatar
from .forms import TalkForm

POLL_S = 0.2


def create_job(
    request: Request,
    form: TalkForm,
    settings: Settings,
    store: JobStore,
    storage: Storage,
    executor: Executor,
    callback_url: str | None = None,
    override: dict | None = None,
    inputs_from: Job | None = None,
) -> Job:
    """Check a request, store its files under server-chosen names, record the job and queue it.

    `override` replaces options the request chose; `inputs_from` reuses an earlier job's uploads.
    """
    options = limits.talk_options(settings, form.options)
    options.update(override or {})
    has_audio = form.audio is not None or bool(inputs_from and inputs_from.audio)
    text = limits.check_speech_input(settings, form.text, has_audio)
    callback_url = limits.check_callback_url(callback_url)
    avatar = usable_avatar(request, store, form, inputs_from)
    check_queue_room(settings, store)
    job_id = new_job_id()
    base_url = settings.public_url or str(request.base_url)
    try:
        image = audio = None
        if inputs_from is not None:
            storage.copy_inputs(inputs_from.id, job_id)
            image, audio = inputs_from.image, inputs_from.audio
        if form.image is not None:
            image = storage.save_upload(job_id, "image", form.image.file, settings.max_upload_bytes)
            limits.check_image(storage.input_path(job_id, "image"), settings)
        if form.audio is not None:
            audio = storage.save_upload(job_id, "audio", form.audio.file, settings.max_upload_bytes)
            limits.check_audio(storage.input_path(job_id, "audio"), settings)
        job = Job(
            id=job_id,
            base_url=base_url,
            options=options,
            text=text,
            image=image,
            audio=audio,
            avatar=avatar,
            callback_url=callback_url,
            owner=request.state.caller,
        )
        queue_job(job, settings, store, executor)
    except BaseException:
        storage.remove(job_id)  # nothing half-made stays on disk
        raise
    return job


def _queue_full(settings: Settings) -> QueueFull:
    return QueueFull(f"the queue is full ({settings.queue_size} jobs waiting). Try again in a few seconds.")


def check_queue_room(settings: Settings, store: JobStore) -> None:
    """A quick look before uploads are stored; `queue_job` holds the bound exactly."""
    if store.count(QUEUED) >= settings.queue_size:
        raise _queue_full(settings)


def queue_job(job: Job, settings: Settings, store: JobStore, executor: Executor) -> None:
    """Record the job and hand it to the executor; nothing recorded when either refuses."""
    if not store.add(job, queue_limit=settings.queue_size):
        raise _queue_full(settings)
    try:
        executor.submit(job)
    except StoreUnavailable:
        store.delete(job.id)
        raise


def find_job(request: Request, store: JobStore, id: str) -> Job:
    """The job, if it exists and is the caller's (`auth` notes who calls)."""
    job = owned_job(request, store, id, TALK)
    if job is None:
        raise HTTPException(404, f"no job {id!r}: it never existed, was deleted, or passed its retention time.")
    return job


async def wait_for(store: JobStore, job_id: str, seconds: float) -> Job:
    """Wait for a job to end without holding a thread (many /generate calls may wait at once)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = await run_in_threadpool(store.get, job_id)
        if job is None:
            raise HTTPException(404, f"job {job_id} was deleted while it ran.")
        if job.finished:
            return job
        await asyncio.sleep(POLL_S)
    raise HTTPException(504, f"the video is not ready after {seconds:.0f} s; poll /v1/talks/{job_id} for it.")
