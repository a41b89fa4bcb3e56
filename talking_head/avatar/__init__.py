"""Avatars from footage: a clip of one person speaking, tracked, with a mouth bank and a loop plan.

`make_avatar(clip)` builds one (`for_bundle=True` to keep its footage for
`save_avatar`); `load_avatar(path)` reads a `.avatar` bundle back. The
`footage` engine (`engines/footage/`) makes it speak.
"""

from .bundle import FORMAT_VERSION
from .make import Avatar, load_avatar, make_avatar, save_avatar

__all__ = ["FORMAT_VERSION", "Avatar", "load_avatar", "make_avatar", "save_avatar"]
