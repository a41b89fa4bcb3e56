"""What a live stream draws with: a photo, by the builtin engine; or an avatar, by the footage engine
frame by frame (its own footage, idling through its loop plan between units)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..engines import DrawingEngine
from ..errors import InputError
from ..face import Face, analyze_face
from ..options import TalkOptions
from ..pipeline import DEFAULT_FACE
from ..settings import Settings

if TYPE_CHECKING:
    from ..engines.footage.live import LiveFootageEngine

PHOTO_ENGINES = ("auto", "builtin")
AVATAR_ENGINES = ("auto", "footage")
LIVE_ENGINES = ("auto", "builtin", "footage")


def check_engine(options: TalkOptions, avatar: bool) -> None:
    """Raise `InputError` for an engine a live stream cannot draw with."""
    if avatar and options.engine not in AVATAR_ENGINES:
        raise InputError(
            "a live stream with an avatar is drawn by the footage engine; leave engine unset or use footage.",
            field="engine",
        )
    if not avatar and options.engine not in PHOTO_ENGINES:
        raise InputError(
            "live streams of a photo are drawn by the builtin engine (SadTalker is not real time on a CPU); "
            "leave engine unset or use builtin.",
            field="engine",
        )


def prepare_drawing(
    image, avatar, options: TalkOptions, settings: Settings, engine=None
) -> tuple[DrawingEngine | LiveFootageEngine, Any]:
    """The engine and its prepared face: `avatar` (a `.avatar` path or an `Avatar`) if given, else `image`
    (None: the default face). `engine` replaces the builtin one for a photo (a test's, or a custom drawer)."""
    if avatar is not None:
        if image is not None:
            raise InputError("give a photo or an avatar, not both.", field="avatar")
        from ..avatar import Avatar, load_avatar
        from ..engines.footage.live import LiveFootageEngine

        check_engine(options, avatar=True)
        person = avatar if isinstance(avatar, Avatar) else load_avatar(avatar)
        footage = LiveFootageEngine()
        return footage, footage.prepare(person, options, settings)
    from ..engines import get_drawing_engine

    drawer = get_drawing_engine("builtin") if engine is None or engine == "builtin" else engine
    if not isinstance(drawer, DrawingEngine):
        raise InputError(
            f"the {getattr(drawer, 'name', 'given')} engine cannot draw frame by frame; use builtin.", field="engine"
        )
    return drawer, drawer.prepare(photo_face(image, settings), options, settings)


def photo_face(image, settings: Settings) -> Face:
    """The analysed face of a stream's photo (None: the default face); cached by content (`analyze_face`)."""
    return analyze_face(DEFAULT_FACE if image is None else image, settings.max_image_pixels)
