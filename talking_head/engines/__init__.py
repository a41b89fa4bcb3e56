"""Engines turn a `Face`, `Speech` and `MotionTrack` into RGB frames.

An engine is an object with a `name`, `unavailable(options, settings) -> reason | None`,
`prepare(face, options, settings) -> prepared` (where `prepared.width`/`.height`
give the frame size and `prepared.framed` how the photo was framed) and
`render(prepared, speech, motion) -> Iterator[frame]`; `options` are the video's
(`TalkOptions`), `settings` the machine's (`Settings`). An engine that can also
`draw(prepared, params) -> frame`, one frame from its motion parameters alone, is a
`DrawingEngine`: the live stream needs one. An engine with `takes_avatar = True`
(`footage`) is prepared with an `avatar.Avatar` instead of a `Face`.
Adding an engine is adding a module and a line to `registry.ENGINES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import EngineError
from .registry import ENGINES

if TYPE_CHECKING:  # annotations only
    import numpy as np

    from ..face import Face
    from ..motion.track import MotionTrack
    from ..options import TalkOptions
    from ..settings import Settings
    from ..speech import Speech


class Prepared(Protocol):
    """What `prepare` made of one photo; the engine's own, but always with the frame size and framing."""

    @property
    def width(self) -> int: ...

    @property
    def height(self) -> int: ...

    @property
    def framed(self) -> str:
        """How the photo was framed (`framing.Framing.how`), for the result record."""
        ...


class Engine(Protocol):
    """Turns one photo, one speech and its motion into frames of one size, streamed.

    `unavailable` says (cheaply, before any work) why the engine cannot run
    here, or None; `prepare` does the per-photo work once; `render` yields
    exactly `motion.n_frames` RGB uint8 frames of `prepared.height` x
    `prepared.width`, one at a time, so memory does not grow with the length.
    A bad photo or option raises `InputError`; anything else the pipeline
    takes as a reason to fall back to the next engine.
    """

    name: str

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None: ...

    def prepare(self, face: Face, options: TalkOptions, settings: Settings) -> Prepared: ...

    def render(self, prepared: Prepared, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]: ...


@runtime_checkable
class DrawingEngine(Engine, Protocol):
    """An engine that draws any one frame from its motion parameters alone, in any order (a live stream's)."""

    def draw(self, prepared: Prepared, params: dict[str, float]) -> np.ndarray: ...


_loaded: dict[str, Engine] = {}


def get_engine(name: str) -> Engine:
    """The engine called `name`, created once per process (engines keep their models warm)."""
    if name not in _loaded:
        module_name, class_name = ENGINES[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise EngineError(f"the {name} engine cannot be loaded ({exc})") from exc
        _loaded[name] = getattr(module, class_name)()
    return _loaded[name]


def get_drawing_engine(name: str) -> DrawingEngine:
    """The engine called `name`, which must draw single frames (`DrawingEngine`)."""
    engine = get_engine(name)
    if not isinstance(engine, DrawingEngine):
        raise EngineError(f"the {name} engine cannot draw single frames; a live stream needs one that can")
    return engine


def engine_chain(requested: str, sadtalker_configured: bool, footage: bool = False) -> list[str]:
    """The engines to try, best first: footage (given a clip or an avatar), else sadtalker (if configured),
    then builtin -> still. The footage engine is only ever tried with footage to draw from."""
    if requested == "auto":
        first = ["footage"] if footage else ["sadtalker"] if sadtalker_configured else []
        return first + ["builtin", "still"]
    order = [name for name in ENGINES if name != "footage" or footage]
    return order[order.index(requested) :] if requested != "footage" else ["footage", "builtin", "still"]
