"""The one place that reads environment variables.

Everything else takes its configuration from `TalkOptions` or from a
`Settings` object built here, so the CLI, the service and the Python API
behave the same and tests can set values without touching the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ENV_PREFIX = "TALKING_HEAD_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name} must be a whole number, got {value!r}") from None


def _env_float(name: str, default: float) -> float:
    value = _env(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name} must be a number, got {value!r}") from None


def _env_list(name: str) -> list[str]:
    value = _env(name)
    return [item.strip() for item in value.split(",") if item.strip()] if value else []


def _env_path(name: str) -> Path | None:
    value = _env(name)
    return Path(value).expanduser() if value else None


@dataclass(frozen=True)
class Settings:
    """Process-wide configuration (see docs/configuration.md)."""

    sadtalker_dir: Path | None = None
    max_text_chars: int = 5000
    max_audio_s: int = 900
    max_image_pixels: int = 150_000_000  # a 100-megapixel phone photo passes, a decompression bomb does not
    data_dir: Path = Path("talking-head-data")
    api_key: str | None = None
    cors_origins: list[str] = field(default_factory=list)
    webhook_secret: str | None = None
    public_url: str | None = None
    workers: int = 1
    queue_size: int = 16
    retention_s: int = 7 * 24 * 3600
    max_upload_bytes: int = 50 * 1024 * 1024
    executor: str = "local"
    broker_url: str | None = None
    job_time_limit_s: int = 1800
    results_dir: Path | None = None
    """Where job inputs and videos live; None is `data_dir/results`. Shared by API and workers."""
    voices_dir: Path | None = None
    """Extra Piper voices (`NAME.onnx` + `NAME.onnx.json`) the service offers by NAME."""
    webhook_attempts: int = 5
    webhook_backoff_s: float = 1.0
    lease_s: float = 30.0
    """How long a running job stays its worker's without a heartbeat; then it goes to another worker."""
    heartbeat_s: float = 5.0
    """How often a worker renews the lease of the job it runs."""
    max_attempts: int = 3
    """Runs a job gets when its worker keeps being lost (killed, out of memory); then it fails."""
    live_sessions: int = 2
    """Live streams (`/v1/live`) at once; each takes about a core at 512 (docs/live.md)."""
    live_idle_timeout_s: float = 60.0
    live_max_s: float = 600.0

    @property
    def results_path(self) -> Path:
        return self.results_dir or self.data_dir / "results"

    @classmethod
    def from_env(cls) -> "Settings":
        sadtalker_dir = _env("SADTALKER_DIR")
        return cls(
            sadtalker_dir=Path(sadtalker_dir).expanduser() if sadtalker_dir else None,
            max_text_chars=_env_int("MAX_TEXT_CHARS", cls.max_text_chars),
            max_audio_s=_env_int("MAX_AUDIO_S", cls.max_audio_s),
            max_image_pixels=_env_int("MAX_IMAGE_PIXELS", cls.max_image_pixels),
            data_dir=Path(_env("DATA_DIR", str(cls.data_dir))).expanduser(),
            api_key=_env("API_KEY"),
            cors_origins=_env_list("CORS_ORIGINS"),
            webhook_secret=_env("WEBHOOK_SECRET"),
            public_url=_env("PUBLIC_URL"),
            workers=_env_int("WORKERS", cls.workers),
            queue_size=_env_int("QUEUE_SIZE", cls.queue_size),
            retention_s=_env_int("RETENTION_S", cls.retention_s),
            max_upload_bytes=_env_int("MAX_UPLOAD_BYTES", cls.max_upload_bytes),
            executor=_env("EXECUTOR", cls.executor),
            broker_url=_env("BROKER_URL"),
            job_time_limit_s=_env_int("JOB_TIME_LIMIT_S", cls.job_time_limit_s),
            results_dir=_env_path("RESULTS_DIR"),
            voices_dir=_env_path("VOICES_DIR"),
            webhook_attempts=_env_int("WEBHOOK_ATTEMPTS", cls.webhook_attempts),
            webhook_backoff_s=_env_float("WEBHOOK_BACKOFF_S", cls.webhook_backoff_s),
            lease_s=_env_float("LEASE_S", cls.lease_s),
            heartbeat_s=_env_float("HEARTBEAT_S", cls.heartbeat_s),
            max_attempts=_env_int("MAX_ATTEMPTS", cls.max_attempts),
            live_sessions=_env_int("LIVE_SESSIONS", cls.live_sessions),
            live_idle_timeout_s=_env_float("LIVE_IDLE_TIMEOUT_S", cls.live_idle_timeout_s),
            live_max_s=_env_float("LIVE_MAX_S", cls.live_max_s),
        )
