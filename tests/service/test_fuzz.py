"""The schema tells the truth (schemathesis against the running service, with and without keys), and
malformed requests never get a 5xx (hypothesis on raw forms and bodies)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .support import API_KEY, OTHER_KEY, Stack, record_status

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
    ("POST", "/v1/avatars"),
    ("GET", "/v1/avatars"),
    ("GET", "/v1/avatars/{id}"),
    ("DELETE", "/v1/avatars/{id}"),
    ("POST", "/generate"),
    ("GET", "/v1/voices"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]


def test_every_operation_is_fuzzed(api_schema):
    found = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert found == set(OPERATIONS)


# The OpenAPI tester's own run, every check and the examples, coverage and fuzzing phases, with a fixed seed;
# its configuration (and one check of ours, for what a schema cannot state) is in TESTER.
TESTER = Path(__file__).parent / "openapi_tester"
SCHEMATHESIS_SEED = 1
CASES_PER_OPERATION = 10
SCHEMATHESIS = [
    "--checks=all",
    "--phases=examples,coverage,fuzzing",
    f"--seed={SCHEMATHESIS_SEED}",
    f"--max-examples={CASES_PER_OPERATION}",
    "--no-shrink",
    "--workers=1",
    "--generation-database=none",
    "--request-timeout=60",
    "--no-color",
]


@pytest.fixture(scope="module", params=["without keys", "with two keys"])
def full_server(request, tmp_path_factory):
    """A server that takes no new work (a queue of 0): every valid submission is answered 429 with
    Retry-After, as a full server answers, after every rule of the request was checked, so the tester
    can send all it likes without making a video. (The uploads' contents, which no schema can state,
    are tested with real files in test_api and test_hostile_text.)"""
    keys = request.param == "with two keys"
    env = {"TALKING_HEAD_QUEUE_SIZE": "0", "TALKING_HEAD_MAX_TEXT_CHARS": "60"}
    if keys:
        env["TALKING_HEAD_API_KEY"] = f"{API_KEY},{OTHER_KEY}"
    # Up once /readyz answers 200: the tester asks /readyz too, and while the pool process still loads the models
    # it answers 503, which the tester counts as a server error (it did once, on a loaded machine).
    stack = Stack(tmp_path_factory.mktemp("schema"), "local", env=env, api_key=OTHER_KEY if keys else None)
    stack.start()
    yield stack.server, keys
    stack.stop()


def test_the_schema_tells_the_truth(full_server):
    """schemathesis with every check on finds no request the schema allows refused, none it forbids
    accepted, no undocumented answer, header or status, and no ignored security, with and without keys."""
    server, keys = full_server
    command = [sys.executable, "-m", "schemathesis.cli", f"--config-file={TESTER / 'schemathesis.toml'}", "run"]
    command += [server.url + "/openapi.json", *SCHEMATHESIS]
    if keys:
        command.append(f"--header=Authorization: Bearer {OTHER_KEY}")
    # From its folder, where the configuration's hooks module (a check of its own) is found.
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False, cwd=TESTER)
    print(done.stdout[done.stdout.find("=== SUMMARY") - 40 :])  # the tester's summary, for the record
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", done.stdout)
    cases = re.search(r"(\d+) generated, (\d+) passed", done.stdout)
    assert tested and int(tested.group(1)) == len(OPERATIONS), done.stdout[-3000:]
    assert cases and int(cases.group(1)) == int(cases.group(2)) > 100, done.stdout[-3000:]
    for phase in ("Examples", "Coverage", "Fuzzing"):
        assert f"✅ {phase}" in done.stdout, phase


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
