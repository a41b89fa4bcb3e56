"""The two kinds of failure a caller must tell apart.

`InputError` is the caller's mistake (no face in the photo, empty text, an
unreadable file): it is never fallen back over, the CLI exits 2 and the
service answers 4xx. `EngineError` is ours or the machine's (missing
checkpoints, a crash inside a renderer): the pipeline falls back to the next
engine unless `strict` is set.
"""


import errno
from pathlib import Path


class TalkingHeadError(Exception):
    """Base class of every error this package raises on purpose."""


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


class EngineError(TalkingHeadError):
    """An engine cannot run or failed while running; the next one may."""


class ConfigurationError(EngineError):
    """An engine is set up wrongly by the user (missing or damaged checkpoints).

    With `engine=auto` it is a fallback reason like any engine error; with
    `strict` it is the user's to fix, so the CLI exits 2 and the service answers 422.
    """


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

    @classmethod
    def writing(cls, path: str | Path, exc: OSError) -> "OutputError":
        """The error for `exc`, raised while writing `path`."""
        path = Path(path)
        folder, name = path.parent, path.name.removeprefix(".").removesuffix(".partial")
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return cls(f"no space left on the disk of {folder} to write {name}. Free some space or choose "
                       "another folder, and try again.", reason="no_space")
        if exc.errno == errno.EROFS:
            return cls(f"cannot write {name}: {folder} is on a read-only file system. Choose an output folder "
                       "you can write to.", reason="read_only")
        if exc.errno in (errno.EACCES, errno.EPERM):
            return cls(f"cannot write {name}: no permission to write in {folder}. Choose an output folder "
                       "you can write to.", reason="not_permitted")
        return cls(f"cannot write {name} in {folder}: {exc.strerror or exc}.")
