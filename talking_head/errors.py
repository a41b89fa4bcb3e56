"""Every failure this package raises on purpose, and the code each is known by.

`InputError` is the caller's mistake (no face in the photo, empty text, an
unreadable file): it is never fallen back over, the CLI exits 2 and the
service answers 4xx. `EngineError` is ours or the machine's (missing
checkpoints, a crash inside a renderer): the pipeline falls back to the next
engine unless `strict` is set. `OutputError`: the result cannot be written
(a full disk, a read-only folder). The service's own (`QueueFull`,
`StoreUnavailable`) are here too, so one handler answers them all.

Each class carries the HTTP `status` the service answers with and the stable
`code` of its error record (``{"code", "message", "field"}``), the same in
an HTTP error body and in a failed job.
"""

from __future__ import annotations

import errno
from pathlib import Path

# The one code map: HTTP status -> the code of an error answered with it.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "not_ready",
    413: "too_large",
    415: "unsupported_type",
    429: "queue_full",
    503: "unavailable",
    504: "timeout",
    507: "no_space",
}
INTERNAL_ERROR = "internal_error"
STORAGE_STATUSES = {"no_space": 507, "storage_error": 503}  # codes about the server's disk, and their HTTP status


def status_code(status: int, default: str = "error") -> str:
    """The code of an error answered with HTTP `status`."""
    return STATUS_CODES.get(status, default)


class TalkingHeadError(Exception):
    """Base class of every error this package raises on purpose."""

    status = 500
    field: str | None = None

    @property
    def code(self) -> str:
        """The stable code of its error record; a subclass gives its own (a class attribute or a property)."""
        return INTERNAL_ERROR

    def record(self) -> dict:
        """The error record a failed job keeps and an HTTP error body holds."""
        return {"code": self.code, "message": str(self), "field": self.field}


class InputError(TalkingHeadError):
    """Bad input: the message names the problem and what to do about it.

    `field` names the request field at fault (``text``, ``image``, ``audio``,
    ``voice``, ...) so the service can point at it; `status` is the HTTP
    status the service answers with.
    """

    def __init__(self, message: str, *, field: str | None = None, status: int = 422):
        super().__init__(message)
        self.field = field
        self.status = status

    @property
    def code(self) -> str:
        return status_code(self.status, "invalid_input")

    def record(self) -> dict:
        # The status travels with a failed job, so `/generate` can answer it as the caller's mistake.
        return {**super().record(), "status": self.status}


class EngineError(TalkingHeadError):
    """An engine cannot run or failed while running; the next one may."""


class ConfigurationError(EngineError):
    """An engine or the service is set up wrongly by the user (missing or damaged checkpoints, a bad setting).

    With `engine=auto` it is a fallback reason like any engine error; with
    `strict` it is the user's to fix, so the CLI exits 2 and the service answers 422.
    """

    status = 422
    code = "configuration"


class OutputError(TalkingHeadError):
    """The result cannot be written: no space left, a read-only or unwritable folder.

    Neither the caller's input nor an engine's fault, so it is never fallen
    back over. `reason` is ``no_space``, ``read_only``, ``not_permitted`` or
    ``failed``. The CLI exits 2 (the fix is on the user's side: free space,
    another folder); the service fails the job and says the server is out of space.
    """

    def __init__(self, message: str, *, reason: str = "failed"):
        super().__init__(message)
        self.reason = reason
        self.status = STORAGE_STATUSES[self.code]

    @property
    def code(self) -> str:
        return "no_space" if self.reason == "no_space" else "storage_error"

    def record(self) -> dict:
        """A job's (and an HTTP) error for the server's disk: no server paths in the message."""
        if self.code == "no_space":
            message = (
                "the server has no space left on its disk to store the video (no space left on device). "
                "Try again later; the server's operator must free space."
            )
        else:
            message = (
                f"the server cannot write the video to its results folder ({self.reason.replace('_', ' ')}). "
                "Try again later; the server's operator must fix the folder."
            )
        return {"code": self.code, "message": message, "field": None}

    @classmethod
    def writing(cls, path: str | Path, exc: OSError) -> OutputError:
        """The error for `exc`, raised while writing `path`."""
        path = Path(path)
        folder, name = path.parent, path.name.removeprefix(".").removesuffix(".partial")
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(
                f"no space left on the disk of {folder} to write {name}. Free some space or choose "
                "another folder, and try again.",
                reason="no_space",
            )
        if exc.errno == errno.EROFS:
            return cls(
                f"cannot write {name}: {folder} is on a read-only file system. Choose an output folder "
                "you can write to.",
                reason="read_only",
            )
        if exc.errno in (errno.EACCES, errno.EPERM):
            return cls(
                f"cannot write {name}: no permission to write in {folder}. Choose an output folder you can write to.",
                reason="not_permitted",
            )
        return cls(f"cannot write {name} in {folder}: {exc.strerror or exc}.")


class QueueFull(TalkingHeadError):
    """Too many jobs are waiting: the service answers 429 with Retry-After."""

    status = 429
    code = "queue_full"


class StoreUnavailable(TalkingHeadError):
    """The job store (or the queue behind it) cannot be reached: the service answers 503 with Retry-After."""

    status = 503
    code = "unavailable"
