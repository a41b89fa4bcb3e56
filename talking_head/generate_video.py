"""The original call, kept working: `generate_talking_video(text_content, source_image_path=None)`."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

from .pipeline import TalkOptions, talk
from .settings import Settings


def generate_talking_video(
    text_content: str,
    source_image_path: str | Path | None = None,
    output_path: str | Path | None = None,
    **options,
) -> dict:
    """Make a talking-head video of `source_image_path` (None: the bundled face) saying `text_content`.

    Returns the result record: `video_url` (``file://``), `video_path`, `engine`,
    `fallback`, `fallback_reason`, `duration_s`, `timings`, `captions_path`, and more.
    Bad input raises `talking_head.errors.InputError`; engine trouble falls back
    to a simpler engine (recorded in the result) unless `strict=True`.
    """
    if output_path is None:
        folder = Path(tempfile.gettempdir()) / "talking-head"
        folder.mkdir(exist_ok=True)
        output_path = folder / f"talk-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.mp4"
    talk_options = TalkOptions.from_settings(Settings.from_env(), **options)
    result = talk(text=text_content, image=source_image_path, output=output_path, options=talk_options)
    return result.to_dict()
