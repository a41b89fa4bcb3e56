"""`/v1/talks`: submit a video, poll it, fetch its files, delete it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, Response
from fastapi.responses import FileResponse

from ...jobs.links import job_links
from ...jobs.records import DONE, FAILED, Job
from ...jobs.storage import CAPTION_TYPES, Storage
from ...jobs.stores import JobStore
from ...jobs.webhooks import CALLBACK_URL_PATTERN, MAX_CALLBACK_URL
from ..auth import require_api_key, require_media_access
from ..dependencies import ExecutorDep, SettingsDep, StorageDep, StoreDep
from ..errors import error_responses
from ..forms import TalkForm, talk_form
from ..models import TalkAccepted, TalkJob, job_view
from ..submission import create_job, find_job

router = APIRouter(prefix="/v1/talks", tags=["talks"])
guarded = [Depends(require_api_key)]
media = [Depends(require_media_access)]
CALLBACK_HELP = "An absolute http:// or https:// URL: POSTed the final job record when the job ends."


@router.post(
    "",
    status_code=202,
    response_model=TalkAccepted,
    dependencies=guarded,
    responses=error_responses(400, 401, 413, 415, 422, 429, 503, 507),
)
def submit_talk(
    request: Request,
    response: Response,
    form: Annotated[TalkForm, Depends(talk_form)],
    settings: SettingsDep,
    store: StoreDep,
    storage: StorageDep,
    executor: ExecutorDep,
    callback_url: Annotated[
        str | None,
        Form(
            max_length=MAX_CALLBACK_URL,
            pattern=CALLBACK_URL_PATTERN,
            description=CALLBACK_HELP,
            examples=["https://example.org/talk-finished"],
        ),
    ] = None,
) -> TalkAccepted:
    """Queue a video. Poll the returned `url` or wait for the `callback_url` webhook."""
    job = create_job(request, form, settings, store, storage, executor, callback_url)
    links = job_links(job, settings.api_key)
    response.headers["Location"] = links["url"]
    return TalkAccepted(
        id=job.id, status=job.status, url=links["url"], video_url=links["video_url"], captions_url=links["captions_url"]
    )


@router.get("/{id}", response_model=TalkJob, dependencies=guarded, responses=error_responses(401, 404, 503))
def get_talk(request: Request, id: str, settings: SettingsDep, store: StoreDep) -> TalkJob:
    """Status, progress (0-100), the result record once done, or the error once failed."""
    job = find_job(request, store, id)
    return job_view(job, settings.api_key)


@router.delete("/{id}", status_code=204, dependencies=guarded, responses=error_responses(401, 404, 503))
def delete_talk(request: Request, id: str, store: StoreDep, storage: StorageDep) -> Response:
    """Remove the job and all its files (a running job is dropped when it ends)."""
    job = find_job(request, store, id)
    store.delete(job.id)
    storage.remove(job.id)
    return Response(status_code=204)


def _finished_file(request: Request, store: JobStore, storage: Storage, id: str, kind: str) -> tuple[Job, Path]:
    job = find_job(request, store, id)
    if job.status != DONE:
        detail = (
            "the job failed; it has no video."
            if job.status == FAILED
            else f"the video is not ready yet (status {job.status}). Poll /v1/talks/{job.id}."
        )
        raise HTTPException(409, detail)
    path = storage.video_path(job.id) if kind == "video" else storage.captions_path(job.id)
    if path is None or not path.is_file():
        made_without = " (it was made with captions=none)." if kind == "captions" else "."
        raise HTTPException(404, f"this job has no {kind}{made_without}")
    return job, path


@router.get(
    "/{id}/video",
    dependencies=media,
    response_class=FileResponse,
    responses={
        200: {"content": {"video/mp4": {}}, "description": "The MP4 (supports Range requests)."},
        206: {"content": {"video/mp4": {}}, "description": "Part of the MP4."},
        **error_responses(401, 404, 409, 416, 503),
    },
)
def get_video(request: Request, id: str, store: StoreDep, storage: StorageDep) -> FileResponse:
    """The MP4, seekable (HTTP Range). Opens with the header API key or the link's `token`."""
    job, path = _finished_file(request, store, storage, id, "video")
    return FileResponse(path, media_type="video/mp4", filename=f"talk-{job.id}.mp4", content_disposition_type="inline")


@router.get(
    "/{id}/captions",
    dependencies=media,
    response_class=FileResponse,
    responses={
        200: {"content": {"text/vtt": {}}, "description": "WebVTT (or SubRip with captions=srt)."},
        **error_responses(401, 404, 409, 503),
    },
)
def get_captions(request: Request, id: str, store: StoreDep, storage: StorageDep) -> FileResponse:
    """The captions: WebVTT, timed word by word."""
    job, path = _finished_file(request, store, storage, id, "captions")
    return FileResponse(
        path,
        media_type=CAPTION_TYPES[path.suffix],
        filename=f"talk-{job.id}{path.suffix}",
        content_disposition_type="inline",
    )
