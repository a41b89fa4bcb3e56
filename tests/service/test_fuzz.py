"""Malformed requests never get a 5xx: schemathesis from /openapi.json, and hypothesis on raw forms."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation.modes import GenerationMode

from .support import record_status

FIELDS = [
    "text",
    "engine",
    "fps",
    "size",
    "still",
    "expression_scale",
    "pose_style",
    "seed",
    "voice",
    "captions",
    "callback_url",
]
EXPECTED = {200, 202, 204, 400, 401, 404, 405, 409, 413, 415, 416, 422, 429}


@pytest.fixture(scope="module")
def fuzz_server(open_server):
    return open_server


@pytest.fixture(scope="module")
def api_schema(fuzz_server):
    return schemathesis.openapi.from_url(fuzz_server.url + "/openapi.json")


# Every operation in the schema, checked below against the schema itself so none is forgotten.
OPERATIONS = [
    ("POST", "/v1/talks"),
    ("GET", "/v1/talks"),
    ("GET", "/v1/talks/{id}"),
    ("DELETE", "/v1/talks/{id}"),
    ("GET", "/v1/talks/{id}/video"),
    ("GET", "/v1/talks/{id}/captions"),
    ("POST", "/generate"),
    ("GET", "/v1/voices"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


def test_every_operation_is_fuzzed(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("method,path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_schema_driven_requests_never_5xx(api_schema, fuzz_server, method, path):
    """Requests schemathesis derives from /openapi.json. (Its pytest plugin does not run on pytest 9,
    so its hypothesis strategies are driven directly.)"""
    operation = api_schema[path][method]
    # Malformed bodies only for the POSTs: well-formed ones would each make a video and prove nothing more.
    modes = [GenerationMode.NEGATIVE] if method == "POST" else [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategy = st.one_of(*[operation.as_strategy(generation_mode=mode) for mode in modes])
    statuses = []

    @given(case=strategy)
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        response = case.call(base_url=fuzz_server.url, timeout=120)
        statuses.append(response.status_code)
        record_status(
            httpx.Response(response.status_code, request=httpx.Request(method, fuzz_server.url + case.formatted_path))
        )
        assert response.status_code < 500, (method, case.formatted_path, response.status_code, response.text[:500])

    check()
    assert statuses, "no request was made"


junk = st.one_of(
    st.text(max_size=60),
    st.integers().map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", " ", "-1", "1e309", "NaN", "true", "0x10", "../../etc/passwd", "\x00"]),
)
upload = st.one_of(
    st.none(),
    st.binary(max_size=3000),
    st.sampled_from([b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"GIF89a", b"RIFF\x24\x00\x00\x00WAVEfmt ", b"\xff\xd8\xff"]),
)


@given(
    fields=st.dictionaries(st.sampled_from(FIELDS), junk, max_size=6),
    image=upload,
    audio=upload,
    route=st.sampled_from(["/v1/talks", "/generate"]),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_malformed_forms_never_5xx(fuzz_server, fields, image, audio, route):
    files = {}
    if image is not None:
        files["image"] = ("photo.jpg", image, "image/jpeg")
    if audio is not None:
        files["audio"] = ("speech.wav", audio, "audio/wav")
    # Small frames if this happens to be a valid request (and then it is made for real).
    data = {"size": "128", **fields}
    with httpx.Client(base_url=fuzz_server.url, timeout=120, event_hooks={"response": [record_status]}) as client:
        response = client.post(route, data=data, files=files or None)
    assert response.status_code in EXPECTED, (route, data, response.status_code, response.text[:500])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"]


@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            "multipart/form-data",
            "multipart/form-data; boundary=x",
            "application/json",
            "text/plain",
            "",
            "multipart/form-data; boundary=" + "a" * 80,
        ]
    ),
)
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_garbage_bodies_never_5xx(fuzz_server, body, content_type):
    with httpx.Client(base_url=fuzz_server.url, timeout=60, event_hooks={"response": [record_status]}) as client:
        for route in ("/v1/talks", "/generate"):
            response = client.post(route, content=body, headers={"Content-Type": content_type} if content_type else {})
            assert response.status_code in EXPECTED, (
                route,
                content_type,
                body[:80],
                response.status_code,
                response.text[:300],
            )
