"""The two kinds of failure a caller must tell apart.

`InputError` is the caller's mistake (no face in the photo, empty text, an
unreadable file): it is never fallen back over, the CLI exits 2 and the
service answers 4xx. `EngineError` is ours or the machine's (missing
checkpoints, a crash inside a renderer): the pipeline falls back to the next
engine unless `strict` is set.
"""


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
