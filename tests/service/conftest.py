"""Fixtures for the service tests; the processes themselves are in `support`."""

from __future__ import annotations

import pytest

from talking_head.pipeline import DEFAULT_FACE

from .support import API_KEY, CORS_ORIGIN, OTHER_KEY, STATUSES_SEEN, WEBHOOK_SECRET, Stack, executor_params


def pytest_terminal_summary(terminalreporter):
    if STATUSES_SEEN:
        terminalreporter.section("service: status codes seen per route")
        for route in sorted(STATUSES_SEEN, key=lambda r: (r.split()[1], r.split()[0])):
            terminalreporter.write_line(f"{route}: {', '.join(map(str, sorted(STATUSES_SEEN[route])))}")


@pytest.fixture(scope="session", params=executor_params())
def service(request, tmp_path_factory) -> Stack:
    """The main server of each executor, with two API keys (two callers) and a webhook secret."""
    executor = request.param
    redis = request.getfixturevalue("redis_server") if executor == "celery" else None
    stack = Stack(
        tmp_path_factory.mktemp(f"service-{executor}"),
        executor,
        env={
            "TALKING_HEAD_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "TALKING_HEAD_CORS_ORIGINS": CORS_ORIGIN,
            "TALKING_HEAD_API_KEY": f"{API_KEY},{OTHER_KEY}",
        },
        api_key=API_KEY,
        redis=redis,
        db=0,
    )
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def open_server(tmp_path_factory, voices_dir):
    """A local-executor server without an API key, for the browser and the fuzzers, with a German voice.

    Short texts and a short queue keep an accidental valid fuzz request cheap.
    """
    env = {
        "TALKING_HEAD_MAX_TEXT_CHARS": "60",
        "TALKING_HEAD_QUEUE_SIZE": "3",
        "TALKING_HEAD_JOB_TIME_LIMIT_S": "30",
        "TALKING_HEAD_VOICES_DIR": str(voices_dir),
    }
    stack = Stack(tmp_path_factory.mktemp("open"), "local", env=env).start()
    yield stack.server
    stack.stop()


@pytest.fixture
def client(service):
    with service.server.client() as c:
        yield c


@pytest.fixture(scope="session")
def face_png() -> bytes:
    return DEFAULT_FACE.read_bytes()
