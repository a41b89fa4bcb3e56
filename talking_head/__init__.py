"""talking-head: one portrait photo plus text or speech becomes a lip-synced talking-head video."""

import os

# ONNX Runtime (the 1.32 wheels, at least) appends a telemetry event (a device id, the OS, the CPU, the Python
# path) to ~/.cache/Microsoft/DeveloperTools/.onnxruntime/ on every run, and
# onnxruntime.disable_telemetry_events() does not stop it; this variable, read when onnxruntime is
# first imported, does. A value the user set themselves is kept.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from .errors import EngineError, InputError, TalkingHeadError
from .pipeline import TalkOptions, TalkResult, talk
from .version import __version__

__all__ = ["EngineError", "InputError", "TalkOptions", "TalkResult", "TalkingHeadError", "__version__", "talk"]
