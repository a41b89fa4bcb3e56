"""The FastAPI application factory: settings checked, parts started with the app, routers included.

The routes live in `routes/` (one router per area), the error envelope and
handlers in `errors.py`, the request form in `forms.py`, what routes depend
on in `dependencies.py`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from ..jobs.executors import Executor, check_settings
from ..jobs.retention import Sweeper
from ..jobs.storage import Storage
from ..jobs.stores import JobStore, open_redis, open_sqlite
from ..settings import Settings
from ..version import __version__
from . import bodies, schema
from .errors import add_error_handlers
from .hosts import AllowedHosts
from .routes import docs, generate, listing, live, operations, pages, talks, voices
from .routes.pages import STATIC

DESCRIPTION = (
    "One portrait photo plus text or speech becomes a lip-synced talking-head MP4. "
    "Submit with `POST /v1/talks`, poll `GET /v1/talks/{id}` (or give a `callback_url`), fetch the video."
)


def open_jobs(settings: Settings, storage: Storage) -> tuple[JobStore, Executor]:
    """The job store and the executor the settings name: Celery workers sharing Redis (the optional
    extra), or the in-process pool on this machine's SQLite file."""
    if settings.executor == "celery":
        from ..jobs.executor_celery import CeleryExecutor

        shared = open_redis(settings)
        return shared, CeleryExecutor(settings, shared, storage)
    from ..jobs.executor_local import LocalExecutor

    local = open_sqlite(settings)
    return local, LocalExecutor(settings, local, storage)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        storage = Storage(settings.results_path)
        store, executor = open_jobs(settings, storage)
        executor.start()
        sweeper = Sweeper(settings, store, storage)
        sweeper.start()
        app.state.store, app.state.storage, app.state.executor = store, storage, executor
        try:
            yield
        finally:
            sweeper.stop()
            executor.shutdown()
            store.close()

    app = FastAPI(
        title="talking-head",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )  # served by routes/docs.py, with local assets
    app.state.settings = settings
    schema.install(app, settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Location", "Retry-After", "Content-Range", "Accept-Ranges"],
        )
    app.add_middleware(bodies.Utf8FormFields)
    if settings.allowed_hosts:
        app.add_middleware(AllowedHosts, hosts=settings.allowed_hosts)
    app.add_middleware(bodies.CompleteMultipart)
    # Two files and the form fields around them.
    app.add_middleware(bodies.BodySizeLimit, limit=2 * settings.max_upload_bytes + bodies.FORM_OVERHEAD_BYTES)
    add_error_handlers(app)
    for area in (listing, talks, generate, docs, pages, voices, live, operations):
        app.include_router(area.router)
    docs.mount_assets(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
