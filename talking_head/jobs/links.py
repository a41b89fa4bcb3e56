"""The public URLs of a job, built the same way by the API and by the workers (for webhooks)."""

from __future__ import annotations

from .keys import media_token


def job_links(job, api_key: str | None) -> dict[str, str | None]:
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
