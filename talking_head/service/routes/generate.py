"""`/generate`: the original synchronous contract, kept working: answers when the video is made."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ... import engines
from ...errors import STORAGE_STATUSES, InputError
from ...jobs.links import job_links
from ...jobs.records import FAILED
from ..auth import require_api_key
from ..dependencies import ExecutorDep, SettingsDep, StorageDep, StoreDep
from ..errors import error_responses
from ..forms import TalkForm, talk_form
from ..models import GenerateResponse
from ..submission import create_job, wait_for

log = logging.getLogger(__name__)

router = APIRouter(tags=["original"])
WAIT_PAST_LIMIT_S = 300


@router.post(
    "/generate",
    response_model=GenerateResponse,
    dependencies=[Depends(require_api_key)],
    responses=error_responses(400, 401, 413, 415, 422, 429, 500, 503, 504, 507),
)
async def generate(
    request: Request,
    form: Annotated[TalkForm, Depends(talk_form)],
    settings: SettingsDep,
    store: StoreDep,
    storage: StorageDep,
    executor: ExecutorDep,
) -> GenerateResponse:
    """The original contract, synchronous: answers when the video is made.

    Valid input always gets a 200 with a video: when the requested engine
    fails, a simpler one draws it, down to the still photo, and
    `fallback_reason` says why. Invalid input gets a 4xx naming the field.
    """
    wait_s = settings.job_time_limit_s + WAIT_PAST_LIMIT_S
    job = await run_in_threadpool(create_job, request, form, settings, store, storage, executor)
    job = await wait_for(store, job.id, wait_s)
    failures = []
    if job.status == FAILED:
        error = job.error or {}
        if error.get("status"):
            # Refused: the caller never learns this job's id, so nothing of it is kept (its upload least of all).
            await run_in_threadpool(_forget, store, storage, job.id)
            raise InputError(error["message"], field=error.get("field"), status=error["status"])
        if error.get("code") in STORAGE_STATUSES:  # the still video would not fit either
            raise HTTPException(STORAGE_STATUSES[error["code"]], error["message"])
        requested = job.options.get("engine", "auto")
        failures.append(f"{requested}: {error.get('message', 'failed')}")
        # The whole job died (its worker was lost, or it ran out of time), so the pipeline could not fall
        # back by itself: the next engines of its chain get their own jobs, down to the last resort.
        chain = engines.engine_chain(requested, bool(settings.sadtalker_dir))
        for engine in chain[1:] or chain[-1:]:
            log.warning("job %s failed (%s); trying %s", job.id, failures[-1], engine)
            retry = await run_in_threadpool(
                create_job,
                request,
                form.without_uploads(),
                settings,
                store,
                storage,
                executor,
                override={"engine": engine},
                inputs_from=job,
            )
            job = await wait_for(store, retry.id, wait_s)
            if job.status != FAILED:
                break
            failures.append(f"{engine}: {(job.error or {}).get('message', 'failed')}")
        else:
            last = (job.error or {}).get("message")
            raise HTTPException(500, f"could not make a video, not even the still one: {last}")
    links = job_links(job, settings.api_key)
    result = job.result or {}  # a done job has its result
    reasons = "; ".join([*failures, *([result["fallback_reason"]] if result["fallback_reason"] else [])]) or None
    return GenerateResponse(
        id=job.id,
        video_url=links["video_url"],
        captions_url=links["captions_url"],
        engine=result["engine"],
        fallback=result["fallback"] or bool(failures),
        fallback_reason=reasons,
        duration_s=result["duration_s"],
        timings=result["timings"],
    )


def _forget(store, storage, job_id: str) -> None:
    store.delete(job_id)
    storage.remove(job_id)
