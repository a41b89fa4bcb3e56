"""The OpenAPI schema as this server answers: what FastAPI derives from the routes, made exact.

FastAPI's schema says more and less than the API does, so clients generated
from it got requests and answers wrong. Here, for this server's settings:
security is declared only when API keys are configured (and then every
guarded route enforces it); a multipart field is sent or left out, never
``null``; a talk needs `text` or `audio`; the limits that are settings (text
length, the voices installed) are in the schema; and every error answer is
the error envelope, with the headers it carries (``Retry-After``,
``WWW-Authenticate``).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ..jobs.keys import api_keys
from ..settings import Settings
from . import limits
from .errors import RETRY_STATUSES

RETRY_AFTER = {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}
AUTHENTICATE = {"description": "`Bearer`: how to send the API key.", "schema": {"type": "string"}}
LOCATION = {"description": "The job's URL (the `url` of the answer).", "schema": {"type": "string"}}
UPLOADS = ("image", "audio")
# Something besides white space: the words to speak (whether the voice can say them is checked on arrival).
SOMETHING_TO_SAY = r"\S"


def install(app: FastAPI, settings: Settings) -> None:
    """Serve `openapi_schema` at /openapi.json (built once, at the first request)."""

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_schema(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to serve a schema of one's own


def openapi_schema(app: FastAPI, settings: Settings) -> dict:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes, tags=app.openapi_tags
    )
    keys = bool(api_keys(settings.api_key))
    components = schema.setdefault("components", {})
    if not keys:
        components.pop("securitySchemes", None)
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            if not keys:
                operation.pop("security", None)
            _document_answers(operation, guarded=keys and "security" in operation, method=method)
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True  # a talk needs its text or recording
    for name, body in components.get("schemas", {}).items():
        if name.startswith("Body_"):
            _form_body(body, settings)
    components.get("schemas", {}).pop("HTTPValidationError", None)
    components.get("schemas", {}).pop("ValidationError", None)
    return schema


def _document_answers(operation: dict, guarded: bool, method: str) -> None:
    """Every error is the envelope (FastAPI's own 422 model is not what the API sends); the headers that come
    with an answer are declared; 401 only where a key is asked for."""
    responses = operation["responses"]
    if guarded:
        responses.setdefault("401", {"description": "Missing or wrong API key.", "content": _envelope()})
    else:
        responses.pop("401", None)
    for status, response in responses.items():
        code = int(status)
        if code == 422:
            response.update(description="The request is not valid: the error names the field and the fix.")
            response["content"] = _envelope()
        headers = {}
        if code in RETRY_STATUSES:
            headers["Retry-After"] = RETRY_AFTER
        if code == 401:
            headers["WWW-Authenticate"] = AUTHENTICATE
        if code == 202 and method == "post":
            headers["Location"] = LOCATION
        if headers:
            response["headers"] = headers


def _envelope() -> dict:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def _form_body(body: dict, settings: Settings) -> None:
    properties = body["properties"]
    for field in properties.values():
        # A form field is sent or left out: it has no null (a browser's empty field is the default).
        branches = field.get("anyOf", [])
        if {"type": "null"} in branches:
            del field["anyOf"]
            field.update(next(branch for branch in branches if branch != {"type": "null"}))
    if "text" in properties:
        properties["text"]["maxLength"] = settings.max_text_chars
        body["anyOf"] = [
            {"required": ["text"], "properties": {"text": {"pattern": SOMETHING_TO_SAY}}},
            {"required": ["audio"]},
        ]
    if "voice" in properties:
        properties["voice"]["enum"] = [*limits.voices(settings), ""]
    for upload in UPLOADS:
        if upload in properties:
            properties[upload]["format"] = "binary"
