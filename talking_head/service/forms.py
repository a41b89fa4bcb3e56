"""The multipart form `/v1/talks` and `/generate` take, built from the options declared in options.py.

Its fields are the photo, the recording, the text, and every option a request
may set (`OptionSpec.request`), each with the option's default, bounds or
choices and help, so the OpenAPI schema shows what `TalkOptions.validate`
accepts and a new option needs no edit here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Annotated, Literal

from fastapi import File, Form, UploadFile

from ..options import kind_of, request_fields, spec_of

IMAGE_HELP = "Portrait photo (JPEG, PNG, WebP). Omit for the default face."
AUDIO_HELP = "Speech to lip-sync (wav, mp3, m4a, ogg, flac, webm) instead of text to speech."
TEXT_HELP = "Words to speak; with `audio`, its transcript (optional)."


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


def _option_parameter(spec) -> inspect.Parameter:
    about, kind = spec_of(spec), kind_of(spec)
    if about.choices:
        kind = Literal[about.choices]
    elif spec.default is None:
        kind = kind | None
    constraints = {"ge": about.minimum, "le": about.maximum, "max_length": about.max_length}
    form = Form(description=about.request_help or about.help[:1].upper() + about.help[1:] + ".",
                **{k: v for k, v in constraints.items() if v is not None})
    return inspect.Parameter(spec.name, inspect.Parameter.KEYWORD_ONLY, default=spec.default,
                             annotation=Annotated[kind, form])


def _build_talk_form():
    inputs = [
        inspect.Parameter("image", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[UploadFile | None, File(description=IMAGE_HELP)]),
        inspect.Parameter("audio", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[UploadFile | None, File(description=AUDIO_HELP)]),
        inspect.Parameter("text", inspect.Parameter.KEYWORD_ONLY, default=None,
                          annotation=Annotated[str | None, Form(description=TEXT_HELP)]),
    ]
    options = [_option_parameter(spec) for spec in request_fields()]

    def talk_form(*, image=None, audio=None, text=None, **chosen) -> TalkForm:
        return TalkForm(_present(image), _present(audio), text, chosen)

    # FastAPI reads the fields from the signature: one per input and per request option.
    talk_form.__signature__ = inspect.Signature(inputs + options, return_annotation=TalkForm)
    return talk_form


talk_form = _build_talk_form()
