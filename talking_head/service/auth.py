"""The optional API key, and signed links that let a `<video>` element fetch results.

With `TALKING_HEAD_API_KEY` set, every `/v1` route and `/generate` need
``Authorization: Bearer KEY``. A browser's `<video src>` cannot send that
header, so result links carry a token: an HMAC of the job id under the key,
which opens that job's video and captions and nothing else.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Query
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .dependencies import SettingsDep

bearer = HTTPBearer(auto_error=False, description="The server's API key, when one is configured.")


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="missing or wrong API key. Send the header 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _key_matches(credentials: HTTPAuthorizationCredentials | None, api_key: str) -> bool:
    return credentials is not None and secrets.compare_digest(credentials.credentials.encode(), api_key.encode())


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require_api_key(settings: SettingsDep, credentials: Credentials) -> None:
    api_key = settings.api_key
    if api_key and not _key_matches(credentials, api_key):
        raise _unauthorized()


def media_token(api_key: str | None, job_id: str) -> str | None:
    """The token in a job's result links; None when no key is configured."""
    if not api_key:
        return None
    return hmac.new(api_key.encode(), f"media:{job_id}".encode(), hashlib.sha256).hexdigest()[:32]


def require_media_access(
    settings: SettingsDep,
    id: str,
    credentials: Credentials,
    token: Annotated[str | None, Query(max_length=64, description="The token from `video_url`/`captions_url`.")] = None,
) -> None:
    api_key = settings.api_key
    if not api_key or _key_matches(credentials, api_key):
        return
    expected = media_token(api_key, id)
    if token is None or not secrets.compare_digest(token.encode(), expected.encode()):
        raise _unauthorized()
