"""Real processes for the service tests (Uvicorn servers, redis-server, Celery workers) and checks.

Everything binds to 127.0.0.1 on a free port, lives in the test's temp folder,
runs in its own process group, and is stopped (killed if need be) at teardown.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

API_KEY = "test-key-0123456789"
OTHER_KEY = "another-caller-key-9876"
WEBHOOK_SECRET = "test-webhook-secret"
CORS_ORIGIN = "https://app.example.org"
EXECUTORS = ["local", "celery"]

# Limits small enough to test, large enough for the real files used here.
BASE_ENV = {
    "TALKING_HEAD_MAX_TEXT_CHARS": "300",
    "TALKING_HEAD_MAX_AUDIO_S": "5",
    "TALKING_HEAD_MAX_IMAGE_PIXELS": "4000000",
    "TALKING_HEAD_MAX_UPLOAD_BYTES": "1000000",
    "TALKING_HEAD_JOB_TIME_LIMIT_S": "60",
    "TALKING_HEAD_WEBHOOK_ATTEMPTS": "3",
    "TALKING_HEAD_WEBHOOK_BACKOFF_S": "0.2",
    "TALKING_HEAD_WORKERS": "1",
}

# Avatars: the real 8-second clips (2-4 MB) pass; a longer or larger one does not.
AVATAR_LIMITS = {
    "TALKING_HEAD_MAX_CLIP_S": "9",
    "TALKING_HEAD_MAX_CLIP_BYTES": "5000000",
    "TALKING_HEAD_MAX_AVATARS": "2",
}

ROUTES = [
    ("/v1/talks/{id}/video", re.compile(r"^/v1/talks/[^/]+/video$")),
    ("/v1/talks/{id}/captions", re.compile(r"^/v1/talks/[^/]+/captions$")),
    ("/v1/talks/{id}", re.compile(r"^/v1/talks/[^/]+$")),
]
STATUSES_SEEN: dict[str, set[int]] = defaultdict(set)


def _route(method: str, path: str) -> str:
    for template, pattern in ROUTES:
        if pattern.match(path):
            return f"{method} {template}"
    if path.startswith("/v1/talks/"):
        return f"{method} /v1/talks/<a path no route matches>"
    return f"{method} {path}"


def record_status(response: httpx.Response) -> None:
    """Every response the tests get, by route, for the summary printed at the end."""
    STATUSES_SEEN[_route(response.request.method, response.request.url.path)].add(response.status_code)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(extra: dict) -> dict:
    # The servers read only TALKING_HEAD_* settings; start from a clean set of them.
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALKING_HEAD_")}
    env.update(BASE_ENV)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def children(pid: int) -> dict[int, tuple[str, bytes]]:
    """The processes whose parent is `pid`, with their state ("Z": exited, not yet reaped) and command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if int(ppid) == pid:
            found[int(stat.parent.name)] = (state, cmdline)
    return found


def _stop(process: subprocess.Popen, grace_s: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    # Whatever the process started (pool processes, Celery children) goes with it.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(5)


def _spawn(args: list[str], log: Path, env: dict | None = None, cwd: Path | None = None) -> subprocess.Popen:
    """Start a real process of its own session, its output appended to `log`."""
    with open(log, "ab") as out:  # the child keeps its own copy of the file
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=cwd)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class RedisServer:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        # Append-only file on: a restarted Redis keeps its jobs, as a production one would.
        self.process = _spawn(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--dir",
                str(self.folder),
                "--daemonize",
                "no",
            ],
            self.folder / "redis.log",
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start:\n" + _tail(self.folder / "redis.log"))

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, grace_s=5)
            self.process = None


class Worker:
    """`talking-head worker` as a real process in its own process group."""

    def __init__(self, folder: Path, env: dict, name: str, queues: str = "cpu,gpu"):
        self.folder, self.env, self.name, self.queues = folder, env, name, queues
        self.log = folder / f"worker-{name}.log"
        self.process = None

    def start(self) -> Worker:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._log_from = self.log.stat().st_size if self.log.exists() else 0  # a restart appends
        self.process = _spawn(
            [
                sys.executable,
                "-m",
                "talking_head.cli",
                "worker",
                "--queues",
                self.queues,
                "--concurrency",
                "1",
                "--hostname",
                f"{self.name}@127.0.0.1",
                "--log-level",
                "info",
            ],
            self.log,
            env=self.env,
            cwd=self.folder,
        )
        return self

    def wait_ready(self, timeout_s: float = 90) -> Worker:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log.read_bytes()[self._log_from :].decode(errors="replace") if self.log.exists() else ""
            if " ready." in text and "models loaded" in text:
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"worker {self.name} did not get ready:\n" + _tail(self.log))

    def kill9(self) -> None:
        """What a lost machine looks like: the main process and its pool children die at once."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(5)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process, grace_s=10)
            self.process = None


class Server:
    """`talking-head serve` as a real Uvicorn process; `restart()` keeps its data."""

    def __init__(self, folder: Path, env: dict, api_key: str | None = None):
        self.folder = folder
        self.data_dir = folder / "data"
        self.env = env
        self.api_key = api_key
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        self.process = None

    @property
    def results(self) -> Path:
        return Path(self.env.get("TALKING_HEAD_RESULTS_DIR") or self.data_dir / "results")

    def start(self, timeout_s: float = 90, ready: bool = True) -> Server:
        """Start and wait for /readyz (or only /healthz with ready=False) to answer 200."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = _spawn(
            [
                sys.executable,
                "-m",
                "talking_head.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                "--log-level",
                "info",
            ],
            self.log,
            env=self.env,
            cwd=self.folder,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + ("/readyz" if ready else "/healthz"), timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not get ready:\n" + _tail(self.log))

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None

    def restart(self) -> Server:
        self.stop()
        return self.start()

    def client(self, auth: bool = True, **kwargs) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.api_key}"} if (auth and self.api_key) else {}
        return httpx.Client(
            base_url=self.url,
            headers=headers,
            timeout=kwargs.pop("timeout", 120),
            event_hooks={"response": [record_status]},
            **kwargs,
        )


class Stack:
    """A server and, for the celery executor, the Redis database and workers behind it."""

    def __init__(
        self,
        folder: Path,
        executor: str,
        env: dict | None = None,
        api_key: str | None = None,
        redis: RedisServer | None = None,
        db: int = 0,
        workers: int = 1,
        queues: str = "cpu,gpu",
    ):
        settings = {"TALKING_HEAD_EXECUTOR": executor, **(env or {})}
        if api_key:
            settings.setdefault("TALKING_HEAD_API_KEY", api_key)  # env may name more keys (more callers)
        if executor == "celery":
            settings["TALKING_HEAD_BROKER_URL"] = redis.url(db)
            # Workers and API instances share this folder, as they would share a volume.
            settings.setdefault("TALKING_HEAD_RESULTS_DIR", str(folder / "shared-results"))
        self.executor = executor
        self.env = _env(settings)
        self.server = Server(folder / "api", self.env, api_key)
        self.workers = [
            Worker(folder / "workers", self.env, f"w{i + 1}-{folder.name}", queues)
            for i in range(workers if executor == "celery" else 0)
        ]

    def start(self, ready: bool = True) -> Stack:
        try:
            for worker in self.workers:
                worker.start()
            self.server.start(ready=ready)
            for worker in self.workers:
                worker.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.server.stop()
        for worker in self.workers:
            worker.stop()


def needs(binary: str):
    return pytest.mark.skipif(
        shutil.which(binary) is None, reason=f"{binary} is not installed (CI installs it: see .ci/run)"
    )


CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
needs_chromium = pytest.mark.skipif(
    not shutil.which(CHROMIUM), reason="chromium is not installed (CI installs it: see .ci/run)"
)


@contextlib.contextmanager
def browser_page(url: str, init_script: str | None = None):
    """Debian's Chromium driven by Playwright, on a phone-sized screen, at `url` (`init_script` runs first)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
            if init_script:
                context.add_init_script(init_script)
            page = context.new_page()
            page.set_default_timeout(30_000)
            page.goto(url)
            yield page
        finally:
            browser.close()


def wait_for_video(page, timeout_ms: int) -> None:
    """Until the page's `#video` has decoded a frame of a video that has a length and no error."""
    page.wait_for_function(
        "() => { const v = document.querySelector('#video');"
        " return v && v.readyState >= 2 && v.duration > 0 && !v.error; }",
        timeout=timeout_ms,
    )


def executor_params():
    """The executors to run a test under; celery needs Redis."""
    return [
        pytest.param("local", id="local"),
        pytest.param("celery", id="celery", marks=needs("redis-server")),
    ]


def png(width: int, height: int, color=(200, 180, 160)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


def wait_done(client: httpx.Client, job_id: str, timeout_s: float = 120, seen: list | None = None) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = client.get(f"/v1/talks/{job_id}").json()
        if seen is not None:
            seen.append((record["status"], record["progress"]))
        if record["status"] in ("done", "failed"):
            return record
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not finished after {timeout_s} s: {record}")


def check_mp4(data: bytes, min_duration_s: float = 0.2) -> float:
    """Decode the whole file with PyAV: H.264 video and AAC audio, all frames readable; its duration."""
    import av

    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert audio.codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video))
        duration = float(container.duration) / 1e6
    assert frames > 0
    assert duration >= min_duration_s
    return duration


def submit_together(make_client, count: int, data=lambda i: {}) -> list[httpx.Response]:
    """`count` submits released at the same instant, each on its own connection (`make_client()`)."""
    import threading

    barrier, responses = threading.Barrier(count), []

    def post(i):
        with make_client() as client:
            barrier.wait()
            responses.append(client.post("/v1/talks", data={"size": "128", **data(i)}))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return responses


def wait_rendering(client: httpx.Client, job_id: str, attempt: int = 1, timeout_s: float = 120) -> dict:
    """Wait until the job's `attempt`-th run is drawing frames."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = client.get(f"/v1/talks/{job_id}").json()
        if record["status"] == "running" and record["stage"] == "render" and record["attempts"] == attempt:
            return record
        assert record["status"] in ("queued", "running"), record
        time.sleep(0.05)
    raise AssertionError(f"run {attempt} of {job_id} never started drawing: {record}")
