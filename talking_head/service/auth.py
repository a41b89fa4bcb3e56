"""The optional API key, and signed links that let a `<video>` element fetch results.

With `TALKING_HEAD_API_KEY` set, every `/v1` route and `/generate` need
``Authorization: Bearer KEY``. The setting holds one key, or several
separated by commas: each key is one caller, who sees only the jobs made
with that key (everyone who shares one key is one caller). A caller is known
by a fingerprint of the key, never the key itself. A browser's `<video src>`
cannot send that header, so result links carry a token: an HMAC of the job
id under the setting, which opens that job's video and captions and nothing else.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..jobs.keys import api_keys, caller_id, matching_key, media_token
from .dependencies import SettingsDep

bearer = HTTPBearer(auto_error=False, description="The server's API key, when one is configured.")


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="missing or wrong API key. Send the header 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _matching_key(credentials: HTTPAuthorizationCredentials | None, setting: str | None) -> str | None:
    return matching_key(credentials.credentials if credentials else None, setting)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def require_api_key(request: Request, settings: SettingsDep, credentials: Credentials) -> None:
    """401 without a valid key; notes the caller (`request.state.caller`, None without keys)."""
    request.state.caller = None
    setting = settings.api_key
    if not api_keys(setting):
        return
    key = _matching_key(credentials, setting)
    if key is None:
        raise _unauthorized()
    request.state.caller = caller_id(key)


def require_media_access(
    request: Request,
    settings: SettingsDep,
    id: str,
    credentials: Credentials,
    token: Annotated[str | None, Query(max_length=64, description="The token from `video_url`/`captions_url`.")] = None,
) -> None:
    api_key = settings.api_key
    request.state.caller = None
    if not api_keys(api_key):
        return
    key = _matching_key(credentials, api_key)
    if key is not None:
        request.state.caller = caller_id(key)
        return
    expected = media_token(api_key, id)
    if token is None or not secrets.compare_digest(token.encode(), expected.encode()):
        raise _unauthorized()
