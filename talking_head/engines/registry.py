"""The engines there are, by name, and where each one's class lives (imported only when first used).

Apart from the engines' code, so that `options` can offer the names without importing the engines.
"""

from __future__ import annotations

ENGINES = {
    "sadtalker": "talking_head.engines.sadtalker.engine:SadTalkerEngine",
    "footage": "talking_head.engines.footage.engine:FootageEngine",
    "builtin": "talking_head.engines.builtin.engine:BuiltinEngine",
    "still": "talking_head.engines.still:StillEngine",
}
ENGINE_NAMES = ("auto", *ENGINES)
