"""The request fields, built from the options declared in options.py: the multipart form of `/v1/talks`
and `/generate`, and the options of a JSON model (`/v1/live`'s start message).

Its fields are the photo, the recording, the text, and every option a request
may set (`OptionSpec.request`), each with the option's default, bounds or
choices and help, so the OpenAPI schema shows what `TalkOptions.validate`
accepts and a new option needs no edit here.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, Literal

from fastapi import File, Form, UploadFile
from pydantic import Field

from ..options import kind_of, request_fields, spec_of

IMAGE_HELP = "Portrait photo (JPEG, PNG, WebP). Omit for the default face."
AUDIO_HELP = "Speech to lip-sync (wav, mp3, m4a, ogg, flac, webm) instead of text to speech."
TEXT_HELP = "Words to speak; with `audio`, its transcript (optional)."
TEXT_EXAMPLE = "Hello! I am a talking head."


@dataclass
class TalkForm:
    """What one request asked for: its uploads, its text, and the options it set."""

    image: UploadFile | None
    audio: UploadFile | None
    text: str | None
    options: dict = field(default_factory=dict)

    def without_uploads(self) -> TalkForm:
        return replace(self, image=None, audio=None)


def _present(upload: UploadFile | None) -> UploadFile | None:
    # A browser form with no file chosen still sends an empty, nameless part.
    if upload is None or (not upload.filename and (upload.size or 0) == 0):
        return None
    return upload


def _typed(spec, narrower: dict | None = None) -> tuple[Any, dict]:
    """The request field's type and its constraints (`narrower` replaces some: a route's own tighter limits)."""
    about, kind = spec_of(spec), kind_of(spec)
    annotation: Any = kind
    limits = {
        "ge": about.minimum,
        "le": about.maximum,
        "max_length": about.max_length,
        "choices": about.choices,
        **(narrower or {}),
    }
    choices = limits.pop("choices")
    if choices:
        annotation = Literal[tuple(choices)]
    elif spec.default is None:
        annotation = kind | None
    described: dict[str, Any] = {"description": about.request_help or about.help[:1].upper() + about.help[1:] + "."}
    if about.json_schema:
        described["json_schema_extra"] = about.json_schema
    return annotation, {**described, **{k: v for k, v in limits.items() if v is not None}}


def _option_parameter(spec) -> inspect.Parameter:
    kind, constraints = _typed(spec)
    return inspect.Parameter(
        spec.name, inspect.Parameter.KEYWORD_ONLY, default=spec.default, annotation=Annotated[kind, Form(**constraints)]
    )


def json_option_fields(exclude: Collection[str] = (), narrower: dict[str, dict] | None = None) -> dict:
    """The request options as pydantic field definitions, for a JSON model (`create_model`)."""
    out = {}
    for spec in request_fields():
        if spec.name not in exclude:
            kind, constraints = _typed(spec, (narrower or {}).get(spec.name))
            out[spec.name] = (kind, Field(spec.default, **constraints))
    return out


def _build_talk_form():
    inputs = [
        inspect.Parameter(
            "image",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[UploadFile | None, File(description=IMAGE_HELP)],
        ),
        inspect.Parameter(
            "audio",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[UploadFile | None, File(description=AUDIO_HELP)],
        ),
        inspect.Parameter(
            "text",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[str | None, Form(description=TEXT_HELP, examples=[TEXT_EXAMPLE])],
        ),
    ]
    options = [_option_parameter(spec) for spec in request_fields()]

    def talk_form(*, image=None, audio=None, text=None, **chosen) -> TalkForm:
        # An empty text field (a browser form's unset speaker, say) is the option left unset.
        unset = {spec.name for spec in request_fields() if spec.default is None}
        chosen = {k: None if k in unset and v == "" else v for k, v in chosen.items()}
        return TalkForm(_present(image), _present(audio), text, chosen)

    # FastAPI reads the fields from the signature: one per input and per request option.
    talk_form.__signature__ = inspect.Signature(inputs + options, return_annotation=TalkForm)  # type: ignore[attr-defined]
    return talk_form


talk_form = _build_talk_form()
