"""`GET /v1/talks`: the caller's jobs, newest first, a page at a time (`read_page`: avatars are paged the same way)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import InputError
from ...jobs.records import CURSOR, TALK, Job, decode_cursor, encode_cursor
from ...jobs.stores import JobStore
from ..auth import require_api_key
from ..dependencies import SettingsDep, StoreDep
from ..errors import error_responses
from ..models import TalkJob, job_view

DEFAULT_PAGE = 20
MAX_PAGE = 100

router = APIRouter()
PageLimit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items per page.")]
PageCursor = Annotated[
    str | None, Query(max_length=100, pattern=CURSOR, description="`next_cursor` of the previous page.")
]


async def read_page(
    store: JobStore, caller: str | None, limit: int, cursor: str | None, kind: str = TALK
) -> tuple[list[Job], str | None]:
    """One page of the caller's jobs of `kind`, newest first, and the cursor of the next page (None: the last)."""
    after = decode_cursor(cursor) if cursor else None
    if cursor and after is None:
        raise InputError("cursor is not one this server gave out; start again without it.", field="cursor")
    # One more than asked: whether there is a next page, without a second query.
    jobs = await run_in_threadpool(store.page, limit + 1, after, caller, kind)
    return jobs[:limit], encode_cursor(jobs[limit - 1]) if len(jobs) > limit else None


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
    limit: PageLimit = DEFAULT_PAGE,
    cursor: PageCursor = None,
) -> TalkList:
    """Your jobs, newest first (with API keys on, only those made with your key)."""
    jobs, next_cursor = await read_page(store, request.state.caller, limit, cursor)
    return TalkList(items=[job_view(job, settings.api_key) for job in jobs], next_cursor=next_cursor)
