"""Engines turn a `Face`, `Speech` and `MotionTrack` into RGB frames.

An engine is an object with a `name`, `unavailable(options, settings) -> reason | None`,
`prepare(face, options, settings) -> prepared` (where `prepared.width`/`.height`
give the frame size) and `render(prepared, speech, motion) -> Iterator[frame]`;
`options` are the video's (`TalkOptions`), `settings` the machine's (`Settings`).
Adding an engine is adding a module and a line to `_ENGINES`.
"""

from __future__ import annotations

import importlib

from ..errors import EngineError

_ENGINES = {
    "sadtalker": "talking_head.engines.sadtalker.engine:SadTalkerEngine",
    "builtin": "talking_head.engines.builtin.engine:BuiltinEngine",
    "still": "talking_head.engines.still:StillEngine",
}
ENGINE_NAMES = ("auto", *_ENGINES)
_loaded: dict[str, object] = {}


def get_engine(name: str):
    """The engine called `name`, created once per process (engines keep their models warm)."""
    if name not in _loaded:
        module_name, class_name = _ENGINES[name].split(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise EngineError(f"the {name} engine cannot be loaded ({exc})") from exc
        _loaded[name] = getattr(module, class_name)()
    return _loaded[name]


def engine_chain(requested: str, sadtalker_configured: bool) -> list[str]:
    """The engines to try, best first: sadtalker (if configured) -> builtin -> still."""
    if requested == "auto":
        return (["sadtalker"] if sadtalker_configured else []) + ["builtin", "still"]
    order = list(_ENGINES)
    return order[order.index(requested):]
