"""`/v1/avatars`: upload a clip of yourself speaking, and an avatar is built from it (a job, like a talk);
list, look at and delete your avatars. A talk speaks with one by naming its id (`avatar`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from ...errors import InputError
from ...jobs.records import AVATAR, FAILED, Job, new_job_id
from ...jobs.storage import Storage
from ...jobs.stores import JobStore
from ...settings import Settings
from .. import limits
from ..auth import require_api_key
from ..avatars import find_avatar
from ..dependencies import ExecutorDep, SettingsDep, StorageDep, StoreDep
from ..errors import error_responses
from ..models import AvatarJob, AvatarList, avatar_view
from ..submission import check_queue_room, queue_job
from .listing import DEFAULT_PAGE, PageCursor, PageLimit, read_page

router = APIRouter(prefix="/v1/avatars", tags=["avatars"], dependencies=[Depends(require_api_key)])
MAX_NAME_CHARS = 100
VIDEO_HELP = (
    "A clip of one person speaking to the camera: 4 s to the server's limit (10 min by default), any common "
    "format (MP4, MOV, WebM, MKV). A minute is plenty; 8 s works."
)
NAME_HELP = "A name to know the avatar by; omitted: the clip's file name."
AVATARS_READ = 500  # the most avatar records read to count a caller's


def _kept(store: JobStore, caller: str | None, settings: Settings) -> int:
    """The caller's avatars that count against the limit: built or being built (failed ones do not)."""
    jobs = store.page(AVATARS_READ, None, caller, AVATAR)
    return sum(job.status != FAILED for job in jobs)


def create_avatar_job(
    request: Request,
    video: UploadFile,
    name: str | None,
    settings: Settings,
    store: JobStore,
    storage: Storage,
    executor,
) -> Job:
    """Check the clip, keep it under a server-chosen name, record the avatar job and queue it."""
    caller = request.state.caller
    if _kept(store, caller, settings) >= settings.max_avatars:
        raise InputError(
            f"you have {settings.max_avatars} avatars, the most this server keeps for one caller. Delete one "
            "(DELETE /v1/avatars/{id}) and send this again.",
            field="video",
            status=429,
        )
    check_queue_room(settings, store)
    job_id = new_job_id()
    name = (name or "").strip() or Path(video.filename or "").stem or "avatar"
    try:
        saved = storage.save_upload(job_id, "video", video.file, settings.max_clip_bytes)
        limits.check_clip(storage.input_path(job_id, "video"), settings)
        job = Job(
            id=job_id,
            base_url=settings.public_url or str(request.base_url),
            kind=AVATAR,
            video=saved,
            options={"name": name[:MAX_NAME_CHARS]},
            owner=caller,
        )
        queue_job(job, settings, store, executor)
    except BaseException:
        storage.remove(job_id)  # a clip refused leaves nothing on disk
        raise
    return job


@router.post(
    "",
    status_code=202,
    response_model=AvatarJob,
    responses=error_responses(400, 401, 413, 415, 422, 429, 503, 507),
)
def make_avatar(
    request: Request,
    response: Response,
    settings: SettingsDep,
    store: StoreDep,
    storage: StorageDep,
    executor: ExecutorDep,
    video: Annotated[UploadFile, File(description=VIDEO_HELP)],
    name: Annotated[str | None, Form(max_length=MAX_NAME_CHARS, description=NAME_HELP)] = None,
) -> AvatarJob:
    """Build an avatar from a clip. Poll the returned `url` until `status` is `done`, then give its `id` as
    `avatar` to `/v1/talks`, `/generate` or `/v1/live`. A clip with no usable face fails with an `error`
    that says what to change."""
    job = create_avatar_job(request, video, name, settings, store, storage, executor)
    view = avatar_view(job)
    response.headers["Location"] = view.url
    return view


@router.get("", response_model=AvatarList, responses=error_responses(401, 422, 503))
async def list_avatars(
    request: Request, store: StoreDep, limit: PageLimit = DEFAULT_PAGE, cursor: PageCursor = None
) -> AvatarList:
    """Your avatars, newest first (with API keys on, only those made with your key)."""
    jobs, next_cursor = await read_page(store, request.state.caller, limit, cursor, AVATAR)
    return AvatarList(items=[avatar_view(job) for job in jobs], next_cursor=next_cursor)


@router.get("/{id}", response_model=AvatarJob, responses=error_responses(401, 404, 503))
def get_avatar(request: Request, id: str, store: StoreDep) -> AvatarJob:
    """Status and progress (0-100) of the build, what was built once done, or what to change once failed."""
    return avatar_view(find_avatar(request, store, id))


@router.delete("/{id}", status_code=204, responses=error_responses(401, 404, 503))
def delete_avatar(request: Request, id: str, store: StoreDep, storage: StorageDep) -> Response:
    """Remove the avatar and its files (a build under way is dropped; talks queued with it fail, saying so)."""
    job = find_avatar(request, store, id)
    store.delete(job.id)
    storage.remove(job.id)
    return Response(status_code=204)
