"""API keys and signed media links, without the web framework (a Celery worker signs links too).

`TALKING_HEAD_API_KEY` holds one key, or several separated by commas: each
key is one caller, known by a fingerprint of the key, never the key itself.
A browser's `<video src>` cannot send a header, so result links carry a
token: an HMAC of the job id under the setting, which opens that job's video
and captions and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def api_keys(setting: str | None) -> list[str]:
    """The keys in `TALKING_HEAD_API_KEY`: one, or several separated by commas."""
    return [key.strip() for key in (setting or "").split(",") if key.strip()]


def caller_id(key: str) -> str:
    """Who a key's holder is, as job records keep it: a fingerprint, not the key."""
    return hashlib.sha256(f"caller:{key}".encode()).hexdigest()[:16]


def matching_key(sent: str | None, setting: str | None) -> str | None:
    """The configured key that `sent` is, or None."""
    if sent is None:
        return None
    # Compare with every key, so the time taken does not tell which one nearly matched.
    matches = [key for key in api_keys(setting) if secrets.compare_digest(sent.encode(), key.encode())]
    return matches[0] if matches else None


def media_token(api_key: str | None, job_id: str) -> str | None:
    """The token in a job's result links; None when no key is configured."""
    if not api_key:
        return None
    return hmac.new(api_key.encode(), f"media:{job_id}".encode(), hashlib.sha256).hexdigest()[:32]


class KeyRefused(Exception):
    """Keys are configured, and the one sent (if any) is none of them."""


def caller_of(sent: str | None, setting: str | None) -> str | None:
    """The one API-key check: who calls with the key `sent`. None when the server has no keys (anyone
    may call); the caller's fingerprint when `sent` is one of the keys; `KeyRefused` otherwise."""
    if not api_keys(setting):
        return None
    key = matching_key(sent, setting)
    if key is None:
        raise KeyRefused
    return caller_id(key)
