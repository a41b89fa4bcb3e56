"""Avatar jobs: an uploaded clip built into an avatar, once, in the job's folder.

`build` runs `avatar.make_avatar` on the clip (`Storage.input_path(id, "video")`)
and writes the bundle beside it (`Storage.avatar_path`), under a temporary
name until it is whole; the clip is removed once the avatar is built. Talks
that name the avatar load that one file (`avatar_for_talk`): the tracking,
the mouth bank and the loop plan are never made again per talk.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..avatar import make_avatar, save_avatar
from ..errors import InputError
from ..settings import Settings
from .records import Job
from .storage import Storage

GONE = (
    "the avatar {id} is gone: it was deleted or passed its retention time after this job was queued. "
    "Upload the clip again (POST /v1/avatars) and use the new avatar's id."
)


def build(job: Job, storage: Storage, settings: Settings, progress) -> dict:
    """Make the avatar of `job`'s clip; what was built, for the job's result record."""
    clip = storage.input_path(job.id, "video")
    target = storage.avatar_path(job.id)
    started = time.perf_counter()
    try:
        avatar = make_avatar(clip, settings, for_bundle=True, progress=progress)
        save_avatar(avatar, target)
    except BaseException:
        target.unlink(missing_ok=True)  # no half an avatar, whatever stopped it
        raise
    clip.unlink(missing_ok=True)  # the bundle holds the footage it needs
    made = avatar.header()
    return {
        "name": job.options.get("name") or "avatar",
        "fps": made["fps"],
        "width": made["width"],
        "height": made["height"],
        "frames": made["frames"],
        "usable_frames": made["usable_frames"],
        "mouth_samples": made["mouth_samples"],
        "loop_jumps": made["loop_jumps"],
        "faces_found": made["faces_found"],
        "warnings": made["warnings"],
        "bytes": target.stat().st_size,
        "build_s": round(time.perf_counter() - started, 2),
    }


def avatar_for_talk(job: Job, storage: Storage) -> Path | None:
    """The avatar file a talk speaks with, None for a photo; `InputError` (404) when it is gone."""
    if job.avatar is None:
        return None
    path = storage.avatar_path(job.avatar)
    if not path.is_file():
        raise InputError(GONE.format(id=job.avatar), field="avatar", status=404)
    return path
