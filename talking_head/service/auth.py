"""The optional API key on the routes, and the signed links that let a `<video>` element fetch results.

With `TALKING_HEAD_API_KEY` set, every `/v1` route, `/generate` and the
`/v1/live` WebSocket need ``Authorization: Bearer KEY`` (the WebSocket also
takes the key in its start message, for browsers). The setting holds one key,
or several separated by commas: each key is one caller, who sees only the
jobs made with that key. The check itself is `jobs.keys.caller_of`, the same
for HTTP and WebSocket; a result link's token opens that job's video and
captions and nothing else.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Query, Request, WebSocket
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..jobs.keys import KeyRefused, caller_of, media_token
from .dependencies import SettingsDep

UNAUTHORIZED = "missing or wrong API key. Send the header 'Authorization: Bearer <key>'."
bearer = HTTPBearer(auto_error=False, description="The server's API key, when one is configured.")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _unauthorized() -> HTTPException:
    return HTTPException(status_code=401, detail=UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def _sent(credentials: HTTPAuthorizationCredentials | None) -> str | None:
    return credentials.credentials if credentials else None


def require_api_key(request: Request, settings: SettingsDep, credentials: Credentials) -> None:
    """401 without a valid key; notes the caller (`request.state.caller`, None without keys)."""
    try:
        request.state.caller = caller_of(_sent(credentials), settings.api_key)
    except KeyRefused:
        raise _unauthorized() from None


def require_media_access(
    request: Request,
    settings: SettingsDep,
    id: str,
    credentials: Credentials,
    token: Annotated[str | None, Query(max_length=64, description="The token from `video_url`/`captions_url`.")] = None,
) -> None:
    """A valid key, or the job's link token."""
    try:
        request.state.caller = caller_of(_sent(credentials), settings.api_key)
        return
    except KeyRefused:
        request.state.caller = None
    expected = media_token(settings.api_key, id) or ""  # keys are configured here, so there is one
    if token is None or not secrets.compare_digest(token.encode(), expected.encode()):
        raise _unauthorized()


def websocket_caller(websocket: WebSocket, in_message: str | None, setting: str | None) -> str | None:
    """The caller of a WebSocket: the key in its Authorization header, else the one in its start message;
    `KeyRefused` as for HTTP."""
    header = websocket.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    sent = credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else in_message
    return caller_of(sent, setting)
