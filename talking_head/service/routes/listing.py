"""`GET /v1/talks`: the caller's jobs, newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import InputError
from ...jobs.records import CURSOR, decode_cursor, encode_cursor
from ..auth import require_api_key
from ..dependencies import SettingsDep, StoreDep
from ..errors import error_responses
from ..models import TalkJob, job_view

DEFAULT_PAGE = 20
MAX_PAGE = 100

router = APIRouter()


class TalkList(BaseModel):
    """One page of jobs, newest first."""

    items: list[TalkJob]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; null on the last one.")


@router.get(
    "/v1/talks",
    response_model=TalkList,
    tags=["talks"],
    dependencies=[Depends(require_api_key)],
    responses=error_responses(401, 422, 503),
)
async def list_talks(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Jobs per page.")] = DEFAULT_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=100, pattern=CURSOR, description="`next_cursor` of the previous page.")
    ] = None,
) -> TalkList:
    """Your jobs, newest first (with API keys on, only those made with your key)."""
    after = decode_cursor(cursor) if cursor else None
    if cursor and after is None:
        raise InputError("cursor is not one this server gave out; start again without it.", field="cursor")
    # One more than asked: whether there is a next page, without a second query.
    jobs = await run_in_threadpool(store.page, limit + 1, after, request.state.caller)
    items = [job_view(job, settings.api_key) for job in jobs[:limit]]
    return TalkList(items=items, next_cursor=encode_cursor(jobs[limit - 1]) if len(jobs) > limit else None)
