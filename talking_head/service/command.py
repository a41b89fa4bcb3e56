"""`talking-head serve` and `talking-head worker`."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from pathlib import Path

from ..jobs.executors import CPU_QUEUE, GPU_QUEUE, QUEUES
from ..settings import Settings, environment_help

ENVIRONMENT = "environment (the same for serve and worker; see docs/configuration.md):\n" + environment_help()


def _settings(args) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "data_dir", None):
        settings = replace(settings, data_dir=Path(args.data_dir).expanduser())
    if getattr(args, "workers", None):
        settings = replace(settings, workers=args.workers)
    return settings


def add_serve_command(sub) -> None:
    p = sub.add_parser(
        "serve",
        help="run the HTTP API and web page",
        description="Run the talking-head HTTP service: the /v1/talks jobs API, the synchronous /generate, "
        "API docs at /docs, and a web page at /.",
        epilog="examples:\n  talking-head serve\n  talking-head serve --host 0.0.0.0 --port 8080 --data-dir /srv/th\n"
        "  TALKING_HEAD_EXECUTOR=celery TALKING_HEAD_BROKER_URL=redis://localhost:6379/0 talking-head serve\n\n"
        + ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    p.add_argument(
        "--data-dir", help="jobs database and results (default: $TALKING_HEAD_DATA_DIR or ./talking-head-data)"
    )
    p.add_argument(
        "--workers", type=int, help="pool processes for the local executor (default: $TALKING_HEAD_WORKERS or 1)"
    )
    p.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log detail (default: %(default)s)",
    )
    p.set_defaults(run=_serve)


def _serve(args) -> int:
    import uvicorn

    from .app import create_app
    from .hosts import default_allowed_hosts
    from .limits import live_message_limit

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s", force=True)
    settings = _settings(args)
    if not settings.allowed_hosts:
        settings = replace(settings, allowed_hosts=default_allowed_hosts(args.host, settings.api_key))
    app = create_app(settings)
    # A short graceful window: unfinished jobs stay in the store and resume at the next start.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        timeout_graceful_shutdown=5,
        ws_max_size=live_message_limit(settings),  # past it a message is refused with close code 1009
    )
    return 0


def add_worker_command(sub) -> None:
    p = sub.add_parser(
        "worker",
        help="run a Celery worker that renders jobs (TALKING_HEAD_EXECUTOR=celery)",
        description="Run a Celery worker for the service's celery executor. It loads the models once per "
        f"process and takes jobs from the queues named: SadTalker jobs go to '{GPU_QUEUE}', built-in and still jobs "
        f"to '{CPU_QUEUE}'.",
        epilog="examples:\n  TALKING_HEAD_BROKER_URL=redis://queue:6379/0 talking-head worker --queues cpu --concurrency 2\n"
        "  TALKING_HEAD_BROKER_URL=redis://queue:6379/0 TALKING_HEAD_SADTALKER_DIR=/models talking-head worker --queues gpu\n\n"
        + ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--queues", default=",".join(QUEUES), help="queues to take jobs from, comma-separated (default: %(default)s)"
    )
    p.add_argument("--concurrency", type=int, default=1, help="jobs at once, one process each (default: %(default)s)")
    p.add_argument("--hostname", help="worker name (default: talking-head-PID@HOST)")
    p.add_argument("--data-dir", help="data folder; results go to $TALKING_HEAD_RESULTS_DIR or DATA_DIR/results")
    p.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="log detail (default: %(default)s)",
    )
    p.set_defaults(run=_worker)


def _worker(args) -> int:
    from ..errors import ConfigurationError, InputError

    queues = [q.strip() for q in args.queues.split(",") if q.strip()]
    if not queues or any(q not in QUEUES for q in queues):
        raise InputError(
            f"--queues takes {', '.join(QUEUES)} or {','.join(QUEUES)}; got {args.queues!r}", field="queues"
        )
    if args.concurrency < 1:
        raise InputError("--concurrency must be 1 or more", field="concurrency")
    try:
        from ..jobs.executor_celery import run_worker
    except ImportError:
        raise ConfigurationError(
            'talking-head worker needs the celery extra: pip install "talking-head[celery]"'
        ) from None

    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s", force=True)
    settings = replace(_settings(args), executor="celery")
    return run_worker(settings, queues, args.concurrency, args.hostname, args.log_level)
