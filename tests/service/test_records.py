"""The result a job stores and the API shows is `TalkResult`, field by field; errors share one envelope and map."""

from __future__ import annotations

import errno
import typing
from dataclasses import fields
from pathlib import Path

import pytest

from talking_head.errors import (
    ConfigurationError,
    EngineError,
    InputError,
    OutputError,
    QueueFull,
    StoreUnavailable,
    TalkingHeadError,
)
from talking_head.jobs.records import DONE, FAILED, Job
from talking_head.jobs.runner import stored_result
from talking_head.pipeline import TalkResult
from talking_head.service.models import TalkResultRecord, job_view

API_KEY = "a-key"


def a_result(tmp_path: Path) -> TalkResult:
    return TalkResult(
        video_path=tmp_path / "a.mp4",
        captions_path=tmp_path / "a.vtt",
        engine="builtin",
        fallback=True,
        fallback_reason="sadtalker: no checkpoints",
        duration_s=1.2,
        fps=25,
        frames=30,
        width=128,
        height=128,
        faces_found=1,
        alignment="voice",
        captions_source="text",
        warnings=["a warning"],
        timings={"face": 0.1, "total": 1.0},
    )


def test_stored_and_shown_results_are_talk_result_field_by_field(tmp_path):
    result = a_result(tmp_path)
    record = result.to_dict()
    stored = stored_result(result)
    hints = typing.get_type_hints(TalkResult)
    shown = TalkResultRecord.model_fields
    for spec in fields(TalkResult):
        if spec.name in ("video_path", "captions_path"):  # paths on the worker's machine stay there
            assert spec.name not in stored and spec.name not in shown
            continue
        assert stored[spec.name] == record[spec.name] == getattr(result, spec.name), spec.name
        assert shown[spec.name].annotation == hints[spec.name], spec.name
        assert shown[spec.name].description, spec.name
    assert set(shown) == set(stored)
    job = Job(id="0" * 32, base_url="http://h/", status=DONE, result=stored)
    assert job_view(job, API_KEY).result.model_dump() == stored


@pytest.mark.parametrize(
    "error,status,code",
    [
        (InputError("no face found in the photo", field="image"), 422, "invalid_input"),
        (InputError("the photo is too large", field="image", status=413), 413, "too_large"),
        (InputError("not an image", field="image", status=415), 415, "unsupported_type"),
        (ConfigurationError("the checkpoints are damaged"), 422, "configuration"),
        (QueueFull("the queue is full"), 429, "queue_full"),
        (StoreUnavailable("Redis is unreachable"), 503, "unavailable"),
        (EngineError("the renderer crashed"), 500, "internal_error"),
        (OutputError.writing("/srv/out/a.mp4", OSError(errno.ENOSPC, "full")), 507, "no_space"),
        (OutputError.writing("/srv/out/a.mp4", OSError(errno.EROFS, "read-only")), 503, "storage_error"),
    ],
)
def test_every_error_is_a_talking_head_error_with_one_record(error, status, code):
    assert isinstance(error, TalkingHeadError)
    assert (error.status, error.code) == (status, code)
    record = error.record()
    assert (record["code"], record["field"]) == (code, error.field)
    if isinstance(error, OutputError):  # the caller is told about the server's disk, not shown its paths
        assert "/srv/out" in str(error) and "/srv/out" not in record["message"] and "server" in record["message"]
    else:
        assert record["message"] == str(error)
    job = Job(id="1" * 32, base_url="http://h/", status=FAILED, error=record)
    assert job_view(job, API_KEY).error.code == code
