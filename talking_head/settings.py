"""Deployment settings: the one place that reads environment variables.

A setting belongs to the machine or the deployment (limits, folders, the
SadTalker checkpoints and device), not to one video: those are the
per-video options in `options.py`. Each field of `Settings` is declared with
`setting(...)`, which gives its help text (and, for a few, the `say` flag
that sets it for one run); its environment variable is ``TALKING_HEAD_`` and
the field's name in capitals. `from_env`, the environment help of
`talking-head serve|worker` and docs/configuration.md all come from these
fields, so adding a setting is adding one field here.
"""

from __future__ import annotations

import os
import types
import typing
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path

ENV_PREFIX = "TALKING_HEAD_"
MAX_TEXT_CHARS = 5000
TRUE_WORDS, FALSE_WORDS = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


@dataclass(frozen=True)
class SettingSpec:
    """What a setting is for, and the `say` flag that sets it for one run, if any."""

    help: str
    flag: str | None = None
    group: str | None = None


def setting(default=MISSING, help: str = "", *, factory=MISSING, flag: str | None = None, group: str | None = None):
    """A `Settings` field with its help text (its environment variable follows from its name)."""
    metadata = {"setting": SettingSpec(help, flag, group)}
    if factory is not MISSING:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Process-wide configuration (every field is listed in docs/configuration.md)."""

    sadtalker_dir: Path | None = setting(
        None,
        "folder with SadTalker's released checkpoints; unset: the sadtalker engine is off",
        flag="--sadtalker-dir",
        group="SadTalker engine",
    )
    sadtalker_device: str | None = setting(
        None,
        "device for SadTalker: cuda, mps or cpu; unset: the best available",
        flag="--device",
        group="SadTalker engine",
    )
    sadtalker_batch_size: int = setting(
        8, "SadTalker frames rendered per batch", flag="--batch-size", group="SadTalker engine"
    )
    sadtalker_half: bool = setting(
        False, "half precision for SadTalker on a GPU", flag="--half", group="SadTalker engine"
    )
    max_text_chars: int = setting(MAX_TEXT_CHARS, "longest text accepted, in characters", flag="--max-text-chars")
    max_audio_s: int = setting(900, "longest recording accepted, in seconds")
    max_clip_s: int = setting(600, "longest clip accepted for an avatar or for dubbing, in seconds")
    max_image_pixels: int = setting(  # a 100-megapixel phone photo passes, a decompression bomb does not
        150_000_000, "largest photo accepted, in pixels"
    )
    data_dir: Path = setting(Path("talking-head-data"), "the service's jobs database and (by default) results")
    results_dir: Path | None = setting(
        None, "where job inputs and videos live; unset: DATA_DIR/results. With celery, a folder every machine mounts"
    )
    voices_dir: Path | None = setting(
        None, "extra Piper voices (NAME.onnx + NAME.onnx.json) the service offers by NAME"
    )
    api_key: str | None = setting(
        None,
        "when set, every API call needs `Authorization: Bearer KEY`; several keys, comma-separated, "
        "are several callers",
    )
    cors_origins: list[str] = setting(
        factory=list, help="origins allowed to call the API from a browser, comma-separated"
    )
    allowed_hosts: list[str] = setting(
        factory=list,
        help="host names the service answers to (the Host header), comma-separated; unset: any, except that "
        "`serve` on a loopback address without an API key answers only to 127.0.0.1, localhost and ::1",
    )
    public_url: str | None = setting(
        None, "the address clients reach the service on (behind a proxy); unset: the address each request came in on"
    )
    executor: str = setting("local", "who renders jobs: local (an in-process pool) or celery")
    broker_url: str | None = setting(None, "redis://HOST:6379/0: the celery broker, result backend and job store")
    workers: int = setting(1, "pool processes of the local executor")
    worker_max_rss_mb: int = setting(
        2048,
        "a worker process holding more memory than this after a job is replaced by a fresh one, in MB "
        "(local pool and celery; 0: never)",
    )
    queue_size: int = setting(16, "queued jobs before new ones are refused with 429")
    job_time_limit_s: int = setting(1800, "longest a job may run, in seconds")
    retention_s: int = setting(7 * 24 * 3600, "how long finished jobs and their files are kept, in seconds")
    max_upload_bytes: int = setting(50 * 1024 * 1024, "largest uploaded photo or recording, in bytes")
    max_clip_bytes: int = setting(200 * 1024 * 1024, "largest uploaded clip for an avatar (/v1/avatars), in bytes")
    max_avatars: int = setting(
        10, "avatars each caller may keep (/v1/avatars); building ones count, failed ones do not"
    )
    webhook_secret: str | None = setting(None, "signs webhook bodies (HMAC-SHA256 in X-Talking-Head-Signature)")
    webhook_attempts: int = setting(5, "webhook deliveries tried before giving up")
    webhook_backoff_s: float = setting(1.0, "wait before the first webhook retry, in seconds (doubles each time)")
    lease_s: float = setting(
        30.0,
        "how long a running job stays its worker's without a heartbeat; then it goes to another worker, in seconds",
    )
    heartbeat_s: float = setting(5.0, "how often a worker renews the lease of the job it runs, in seconds")
    max_attempts: int = setting(
        3, "runs a job gets when its worker keeps being lost (killed, out of memory); then it fails"
    )
    live_sessions: int = setting(
        2, "live streams (/v1/live) at once; each takes about half a core at 512 (3 fit on 2 cores, 4 just)"
    )
    live_processes: bool = setting(
        True,
        "draw each audio-driven live stream in a process of its own, so streams run on all cores (false: threads "
        "of the server's process, which take turns)",
    )
    live_idle_timeout_s: float = setting(60.0, "a live stream with nothing to say for this long ends, in seconds")
    live_max_s: float = setting(600.0, "longest live stream, in seconds")
    live_max_pending_chars: int = setting(
        MAX_TEXT_CHARS,
        "text a live stream holds before it is spoken, in characters; text past it is refused (an error frame)",
    )

    def __post_init__(self) -> None:
        for spec in fields(self):  # a folder given as a string (Python callers, flags) is a Path like the rest
            value = getattr(self, spec.name)
            if isinstance(value, str) and _kind(spec) is Path:
                object.__setattr__(self, spec.name, Path(value).expanduser())

    @property
    def results_path(self) -> Path:
        return self.results_dir or self.data_dir / "results"

    @classmethod
    def from_env(cls) -> Settings:
        values = {}
        for spec in fields(cls):
            raw = os.environ.get(env_name(spec))
            if raw not in (None, ""):
                values[spec.name] = _parse(env_name(spec), raw, _kind(spec))
        return cls(**values)

    def override(self, **values) -> Settings:
        """These settings with `values` (those not None) put in."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


def env_name(spec: Field) -> str:
    return ENV_PREFIX + spec.name.upper()


def spec_of(spec: Field) -> SettingSpec:
    return spec.metadata["setting"]


def default_of(spec: Field):
    if spec.default is MISSING and callable(spec.default_factory):
        return spec.default_factory()
    return spec.default


def _kind(spec: Field) -> type:
    """The field's type without `| None`: int, float, bool, str, Path or list."""
    hint = typing.get_type_hints(Settings)[spec.name]
    if isinstance(hint, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    return typing.get_origin(hint) or hint


def _parse(name: str, raw: str, kind: type):
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"{name} must be a whole number, got {raw!r}") from None
    if kind is float:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if kind is bool:
        if raw.strip().lower() not in TRUE_WORDS + FALSE_WORDS:
            raise ValueError(f"{name} must be 1 or 0 (true or false), got {raw!r}")
        return raw.strip().lower() in TRUE_WORDS
    if kind is Path:
        return Path(raw).expanduser()
    if kind is list:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def environment_help() -> str:
    """One line per environment variable, for `talking-head serve --help` and `worker --help`."""
    lines = []
    for spec in fields(Settings):
        default = default_of(spec)
        shown = f" (default: {default})" if default not in (None, [], False) else ""
        lines.append(f"  {env_name(spec):<34} {spec_of(spec).help}{shown}")
    return "\n".join(lines)
