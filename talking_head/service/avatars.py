"""Avatars as a request names them: one of the caller's, found by id, and ready to speak.

An avatar is the job that built it (`jobs.records.AVATAR`): its id, owner,
status and progress are the job's, its file is in the job's folder
(`Storage.avatar_path`). A talk that names an avatar records its id; the
worker opens the file.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.requests import HTTPConnection

from ..errors import InputError
from ..jobs.records import AVATAR, DONE, FAILED, Job
from ..jobs.stores import JobStore
from .auth import owned_job

NO_AVATAR = "no avatar {id!r}: it never existed, was deleted, or passed its retention time. See GET /v1/avatars."


def find_avatar(connection: HTTPConnection, store: JobStore, id: str) -> Job:
    """The caller's avatar (in any state), else 404."""
    job = owned_job(connection, store, id, AVATAR)
    if job is None:
        raise HTTPException(404, NO_AVATAR.format(id=id))
    return job


def ready_avatar(connection: HTTPConnection, store: JobStore, id: str) -> str:
    """The id of the caller's avatar, built and ready to speak; else a 4xx naming what to do."""
    job = owned_job(connection, store, id, AVATAR)
    if job is None:
        raise InputError(NO_AVATAR.format(id=id), field="avatar", status=404)
    if job.status == FAILED:
        why = (job.error or {}).get("message", "it failed")
        raise InputError(f"the avatar {id} could not be built: {why}", field="avatar", status=422)
    if job.status != DONE:
        raise InputError(
            f"the avatar {id} is still being built ({job.progress}% done). Wait until GET /v1/avatars/{id} "
            "says done, then send this again.",
            field="avatar",
            status=409,
        )
    return job.id


def usable_avatar(connection: HTTPConnection, store: JobStore, form, inputs_from: Job | None = None) -> str | None:
    """The avatar a talk request names (checked), or None for a photo."""
    if inputs_from is not None:
        return inputs_from.avatar
    if form.avatar is None:
        return None
    if form.image is not None:
        raise InputError(
            "give a photo (image) or an avatar, not both: drop the photo to use the avatar.", field="image"
        )
    return ready_avatar(connection, store, form.avatar)
