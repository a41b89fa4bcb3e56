"""The MediaPipe model files shipped in `talking_head/face/models/`, run on LiteRT.

Each model gets one interpreter, made on first use and kept; LiteRT
interpreters are not safe to call from two threads at once, so every call
holds that model's lock.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from importlib import resources

import numpy as np

MODELS = resources.files(__package__) / "models"  # package data, beside this module
INFERENCE_THREADS = 2  # these models are small: more threads cost more in hand-off than they save


def model_bytes(name: str) -> bytes:
    """The bytes of a shipped model file."""
    return (MODELS / name).read_bytes()


@contextlib.contextmanager
def native_stderr_silenced():
    """LiteRT's C++ side logs its delegate choice to file descriptor 2; our users need none of it."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class Model:
    """One .tflite model: `model(x)` runs it on one float32 input and returns its outputs in order."""

    def __init__(self, name: str) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with native_stderr_silenced():
            self._interpreter = Interpreter(model_content=model_bytes(name), num_threads=INFERENCE_THREADS)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        self.input_shape = tuple(int(n) for n in self._input["shape"])
        self._lock = threading.Lock()

    def __call__(self, x: np.ndarray) -> list[np.ndarray]:
        x = np.ascontiguousarray(x, np.float32).reshape(self.input_shape)
        with self._lock:
            self._interpreter.set_tensor(self._input["index"], x)
            self._interpreter.invoke()
            return [self._interpreter.get_tensor(i).copy() for i in self._outputs]


@functools.cache
def model(name: str) -> Model:
    """The shared interpreter of a shipped model file."""
    return Model(name)
