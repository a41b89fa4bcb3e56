"""Typed request options and responses of the HTTP API (what `/docs` shows)."""

from __future__ import annotations

from dataclasses import MISSING, fields
from datetime import datetime
from typing import Any, Literal, get_args, get_type_hints

from pydantic import BaseModel, Field, create_model

from ..jobs.links import public_record
from ..jobs.records import Job, Status
from ..pipeline import TalkResult


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. `invalid_input`, `too_large`, `timeout`.")
    message: str = Field(description="What went wrong and what to do about it, in plain words.")
    field: str | None = Field(None, description="The request field at fault, when there is one.")


class ErrorResponse(BaseModel):
    error: ErrorDetail


def _result_record() -> type[BaseModel]:
    """`TalkResult`'s shared fields, with their types and descriptions, as the API's result model."""
    hints = get_type_hints(TalkResult)
    about = {spec.name: spec for spec in fields(TalkResult)}
    columns: dict[str, Any] = {}
    for name in TalkResult.shared_fields():
        spec, hint = about[name], hints[name]
        if spec.default_factory is not MISSING:
            default = Field(default_factory=spec.default_factory, description=spec.metadata["help"])
        elif spec.default is not MISSING or type(None) in get_args(hint):
            default = Field(None if spec.default is MISSING else spec.default, description=spec.metadata["help"])
        else:
            default = Field(description=spec.metadata["help"])
        columns[name] = (hint, default)
    model = create_model("TalkResultRecord", **columns)
    model.__doc__ = "What was made and by which engine (the pipeline's result record, without server paths)."
    return model


TalkResultRecord = _result_record()


class WebhookOutcome(BaseModel):
    delivered: bool
    attempts: int
    status_code: int | None = None
    error: str | None = None


class TalkJob(BaseModel):
    """A job as `GET /v1/talks/{id}` shows it (and as the webhook receives it)."""

    id: str
    status: Status
    progress: int = Field(ge=0, le=100)
    stage: str | None = Field(None, description="What the worker is doing now: face, speech, motion, render.")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = Field(description="How many times a worker started the job (more than 1 after a lost worker).")
    url: str = Field(description="This record.")
    video_url: str | None = Field(None, description="The MP4, once the job is done.")
    captions_url: str | None = Field(None, description="The captions, once the job is done (unless captions=none).")
    result: TalkResultRecord | None = None  # type: ignore[valid-type]  # a model made from TalkResult
    error: ErrorDetail | None = None
    webhook: WebhookOutcome | None = None


class TalkAccepted(BaseModel):
    """The answer to a submission: where to poll and where the files will be."""

    id: str
    status: Status
    url: str
    video_url: str = Field(description="Serves the MP4 once the job is done (409 before).")
    captions_url: str | None = None


class GenerateResponse(BaseModel):
    """The original synchronous contract: always a video for valid input."""

    id: str
    video_url: str = Field(description="Absolute URL of the MP4, served by this process.")
    captions_url: str | None = None
    engine: str
    fallback: bool
    fallback_reason: str | None = None
    duration_s: float
    timings: dict[str, float]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str] = Field(description="`ok`, or what is wrong, for each dependency.")


def job_view(job: Job, api_key: str | None) -> TalkJob:
    """The public record of a stored `Job` (`links.public_record`), typed."""
    return TalkJob.model_validate(public_record(job, api_key))
