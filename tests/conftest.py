"""Shared fixtures: real speech recordings, the bundled face, and output folders."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SADTALKER_KIT = REPO.parent / "shared" / "sadtalker"
TORCH_MARK = "pytestmark = pytest.mark.torch"  # how a test module that needs PyTorch says so


def pytest_configure(config: pytest.Config) -> None:
    """In each of pytest-xdist's test processes, PyTorch (and OpenMP) use one thread: two processes share the
    cores, and a thread pool larger than its share waits on its own preempted threads at every barrier."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With ``-m "not torch"`` (where PyTorch is not installed), the modules marked torch are left out
    before they are imported: they cannot be imported without it. .ci/run lists them."""
    if config.getoption("markexpr") == "not torch" and collection_path.suffix == ".py":
        if TORCH_MARK in collection_path.read_text(encoding="utf-8"):
            return True
    return None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def human_speech() -> list[tuple[Path, str]]:
    """Real recordings with their transcripts: (wav path, text)."""
    return [(wav, wav.with_suffix(".txt").read_text().strip()) for wav in sorted(DATA.glob("librivox_*.wav"))]


@pytest.fixture(scope="session")
def default_face() -> Path:
    from talking_head.pipeline import DEFAULT_FACE

    return DEFAULT_FACE


@pytest.fixture(scope="session")
def voices_dir(tmp_path_factory) -> Path:
    """A voices folder with a German voice (de_DE-joe-medium): the bundled network speaking German phonemes."""
    if str(REPO) not in sys.path:  # bench/ is scripts beside the package, importable from the repository root
        sys.path.insert(0, str(REPO))
    from bench.voice_timing import GERMAN, make_voice

    folder = tmp_path_factory.mktemp("voices")
    make_voice(folder, "de_DE-joe-medium", "de", GERMAN)
    return folder


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for the session (the job stores' tests and the Celery service tests)."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (CI installs it: see .ci/run)")
    from service.support import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()
