"""Files of each job under one results folder, with names the server chooses.

``RESULTS/<job id>/`` holds the uploaded photo and audio (``image``,
``audio``) and the outputs (``talk.mp4``, ``talk.vtt`` or ``talk.srt``); an
avatar job's folder the uploaded clip (``video``, until it is built) and the
avatar (``person.avatar``). With Celery workers this folder is one every
machine mounts, so an avatar reaches a worker the way an uploaded photo does.
The job id is checked against its exact pattern before it becomes part of a
path, and nothing a client sends (file names included) ever does.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError, OutputError
from .records import is_job_id

VIDEO_NAME = "talk.mp4"
AVATAR_NAME = "person.avatar"
INPUT_NAMES = {"image": "image", "audio": "audio", "video": "video"}
CAPTION_TYPES = {".vtt": "text/vtt", ".srt": "application/x-subrip"}
_CHUNK = 1 << 20


class Storage:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def job_dir(self, job_id: str) -> Path:
        if not is_job_id(job_id):
            raise ValueError(f"not a job id: {job_id!r}")
        return self.root / job_id

    def video_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / VIDEO_NAME

    def avatar_path(self, job_id: str) -> Path:
        """The avatar an avatar job built (it exists once the job is done)."""
        return self.job_dir(job_id) / AVATAR_NAME

    def captions_path(self, job_id: str) -> Path | None:
        """The caption file of a finished job, if it made one."""
        for suffix in CAPTION_TYPES:
            path = self.job_dir(job_id) / f"talk{suffix}"
            if path.is_file():
                return path
        return None

    def input_path(self, job_id: str, kind: str) -> Path:
        return self.job_dir(job_id) / INPUT_NAMES[kind]

    def save_upload(self, job_id: str, kind: str, source: BinaryIO, max_bytes: int) -> str:
        """Copy an upload into the job folder under its server-chosen name; 413 past `max_bytes`."""
        folder = self.job_dir(job_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = self.input_path(job_id, kind)
        partial = folder / f".{target.name}.partial"
        written = 0
        try:
            with partial.open("wb") as out:
                while chunk := source.read(_CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise InputError(
                            f"the {kind} file is larger than the limit of {max_bytes / 1e6:g} MB. Send a smaller file.",
                            field=kind,
                            status=413,
                        )
                    out.write(chunk)
            os.replace(partial, target)
        except OSError as exc:
            raise OutputError.writing(partial, exc) from exc
        finally:
            partial.unlink(missing_ok=True)
        return target.name

    def copy_inputs(self, source_id: str, target_id: str) -> None:
        """Give a second job the same inputs (the `/generate` fallback)."""
        target = self.job_dir(target_id)
        target.mkdir(parents=True, exist_ok=True)
        for kind in INPUT_NAMES:
            path = self.input_path(source_id, kind)
            if path.is_file():
                shutil.copyfile(path, self.input_path(target_id, kind))

    def remove_outputs(self, job_id: str) -> None:
        """The job's video and captions, kept inputs (a failed job shows no half a result)."""
        for path in (self.video_path(job_id), self.captions_path(job_id)):
            if path is not None:
                path.unlink(missing_ok=True)

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    def orphans(self, older_than: float) -> list[str]:
        """Job folders last touched before `older_than` (epoch seconds)."""
        found = []
        for entry in os.scandir(self.root):
            if is_job_id(entry.name) and entry.is_dir() and entry.stat().st_mtime < older_than:
                found.append(entry.name)
        return found

    def writable(self) -> bool:
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
            return True
        except OSError:
            return False
