"""talking-head: one portrait photo plus text or speech becomes a lip-synced talking-head video."""

from .errors import EngineError, InputError, TalkingHeadError
from .pipeline import TalkOptions, TalkResult, talk

__all__ = ["EngineError", "InputError", "TalkOptions", "TalkResult", "TalkingHeadError", "talk"]
__version__ = "0.1.0"
