"""A job as its caller sees it: its public URLs and its record, built the same way by the API and by the
workers (for webhooks), as plain JSON-ready data (the service's `TalkJob` model describes it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypedDict

from .keys import media_token
from .records import DONE, Job


class JobLinks(TypedDict):
    url: str
    video_url: str
    captions_url: str | None


def job_links(job: Job, api_key: str | None) -> JobLinks:
    base = job.base_url.rstrip("/")
    url = f"{base}/v1/talks/{job.id}"
    token = media_token(api_key, job.id)
    query = f"?token={token}" if token else ""
    captions = job.options.get("captions", "vtt") != "none"
    return {
        "url": url,
        "video_url": f"{url}/video{query}",
        "captions_url": f"{url}/captions{query}" if captions else None,
    }


def _when(epoch: float | None) -> str | None:
    """ISO 8601 in UTC, with a Z (as pydantic writes a UTC datetime)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z") if epoch is not None else None


def public_record(job: Job, api_key: str | None) -> dict:
    """What `GET /v1/talks/{id}` shows and the webhook receives: no server paths, no worker names."""
    links = job_links(job, api_key)
    done = job.status == DONE
    return {
        "id": job.id,
        "status": job.status,
        "progress": job.progress,
        "stage": job.stage,
        "created_at": _when(job.created_at),
        "started_at": _when(job.started_at),
        "finished_at": _when(job.finished_at),
        "attempts": job.attempts,
        "url": links["url"],
        "video_url": links["video_url"] if done else None,
        "captions_url": links["captions_url"] if done else None,
        "result": job.result,
        "error": job.error,
        "webhook": job.webhook,
    }
