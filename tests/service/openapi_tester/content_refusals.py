"""A schemathesis check (loaded through schemathesis.toml): a schema-valid submission is refused only for
its content, never for a field whose shape the schema states."""

from __future__ import annotations

import schemathesis

CONTENT_FIELDS = {"text", "image", "audio"}


@schemathesis.check
def refused_only_for_content(ctx, response, case):
    """A 422 to a request the schema allows must name the words, the photo or the recording."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    if case.operation.method.upper() != "POST":
        return None
    error = response.json()["error"]
    if error["field"] not in CONTENT_FIELDS:
        raise AssertionError(f"a request the schema allows was refused for `{error['field']}`: {error['message']}")
    return None
