"""The original call, kept working: `generate_talking_video(text_content, source_image_path=None)`."""

from __future__ import annotations

import tempfile
import time
import uuid
from dataclasses import fields
from pathlib import Path

from .pipeline import TalkOptions, talk
from .settings import Settings

# The names this call took for machine settings before they left the per-video options.
SETTING_NAMES = {"device": "sadtalker_device", "batch_size": "sadtalker_batch_size", "half": "sadtalker_half"}


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
    `options` are `TalkOptions` fields, or `Settings` fields (``sadtalker_dir``,
    ``max_text_chars``, ...) that override the environment for this call.
    """
    if output_path is None:
        folder = Path(tempfile.gettempdir()) / "talking-head"
        folder.mkdir(exist_ok=True)
        output_path = folder / f"talk-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.mp4"
    setting_names = {spec.name for spec in fields(Settings)}
    named = {SETTING_NAMES.get(name, name): value for name, value in options.items()}
    settings = Settings.from_env().override(**{k: v for k, v in named.items() if k in setting_names})
    talk_options = TalkOptions(**{k: v for k, v in named.items() if k not in setting_names and v is not None})
    result = talk(
        text=text_content, image=source_image_path, output=output_path, options=talk_options, settings=settings
    )
    return result.to_dict()
