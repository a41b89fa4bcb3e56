"""The FastAPI application: the `/v1/talks` jobs API, the original `/generate`, and the web page."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import ConfigurationError, InputError, OutputError
from ..pipeline import DEFAULT_FACE
from ..settings import Settings
from . import limits
from .auth import require_api_key, require_media_access
from .jobs import DONE, FAILED, QUEUED, Job, StoreUnavailable, is_job_id, new_job_id
from .links import job_links
from .models import (
    ErrorResponse,
    GenerateResponse,
    Health,
    Readiness,
    TalkAccepted,
    TalkJob,
    job_view,
)
from .retention import Sweeper
from .routes import docs as docs_routes
from .routes import listing as listing_routes
from .routes import live as live_routes
from .routes import voices as voices_routes
from .runner import ERROR_CODES, STORAGE_ERRORS, storage_error
from .storage import CAPTION_TYPES, Storage
from .stores import open_store

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
RETRY_AFTER_S = 5
POLL_S = 0.2
EXECUTORS = ("local", "celery")
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
              409: "not_ready", 413: "too_large", 415: "unsupported_type", 429: "queue_full",
              503: "unavailable", 504: "timeout", 507: "no_space"}


class QueueFull(Exception):
    pass


def _error(status: int, code: str, message: str, field: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status, headers=headers)


def _errors(*statuses: int) -> dict:
    return {status: {"model": ErrorResponse} for status in statuses}


def make_executor(settings: Settings, store, storage: Storage):
    if settings.executor == "celery":
        from .executor_celery import CeleryExecutor

        return CeleryExecutor(settings, store, storage)
    from .executor_local import LocalExecutor

    return LocalExecutor(settings, store, storage)


@dataclass
class TalkForm:
    """The inputs both `/v1/talks` and `/generate` take (multipart form fields)."""

    image: UploadFile | None
    audio: UploadFile | None
    text: str | None
    engine: str
    fps: int
    size: int
    still: bool
    expression_scale: float
    pose_style: int
    seed: int
    voice: str | None
    captions: str
    speed: float = 1.0
    speaker: str | None = None
    language: str | None = None


def talk_form(
    image: Annotated[UploadFile | None, File(description="Portrait photo (JPEG, PNG, WebP). Omit for the default face.")] = None,
    audio: Annotated[UploadFile | None, File(description="Speech to lip-sync (wav, mp3, m4a, ogg, flac, webm) instead of text to speech.")] = None,
    text: Annotated[str | None, Form(description="Words to speak; with `audio`, its transcript (optional).")] = None,
    engine: Annotated[Literal["auto", "builtin", "sadtalker", "still"], Form()] = "auto",
    fps: Annotated[int, Form(ge=1, le=60)] = 25,
    size: Annotated[int, Form(ge=0, le=2048, description="Square frame side around the face (even); 0 keeps the whole photo.")] = 512,
    still: Annotated[bool, Form(description="Keep the head still; only the face moves.")] = False,
    expression_scale: Annotated[float, Form(ge=0, le=3)] = 1.0,
    pose_style: Annotated[int, Form(ge=0, le=45)] = 0,
    seed: Annotated[int, Form(ge=0, le=2**31 - 1, description="Fixes the voice's noise, blinks and head motion: "
                                                               "the same request and seed give the same video.")] = 0,
    voice: Annotated[str | None, Form(max_length=100, description="A voice name from `GET /v1/voices`; "
                                                                  "default en_US-joe-medium.")] = None,
    captions: Annotated[Literal["vtt", "srt", "none"], Form()] = "vtt",
    speed: Annotated[float, Form(ge=0.5, le=2.0, description="Speaking rate: 1.25 is a quarter faster.")] = 1.0,
    speaker: Annotated[str | None, Form(max_length=100, description="Speaker name or number of a "
                                                                    "multi-speaker voice.")] = None,
    language: Annotated[str | None, Form(max_length=20, description="Language of the recording (`en`, `de`, "
                                                                    "...): `en` is captioned from recognition.")] = None,
) -> TalkForm:
    return TalkForm(_present(image), _present(audio), text, engine, fps, size, still, expression_scale, pose_style,
                    seed, voice, captions, speed, speaker or None, language or None)


def _present(upload: UploadFile | None) -> UploadFile | None:
    # A browser form with no file chosen still sends an empty, nameless part.
    if upload is None or (not upload.filename and (upload.size or 0) == 0):
        return None
    return upload


def check_settings(settings: Settings) -> None:
    """Refuse to start with a set-up that cannot work, saying how to fix it."""
    if settings.executor not in EXECUTORS:
        raise ConfigurationError(f"TALKING_HEAD_EXECUTOR must be local or celery, got {settings.executor!r}")
    if settings.executor == "celery":
        if not settings.broker_url:
            raise ConfigurationError("TALKING_HEAD_EXECUTOR=celery needs TALKING_HEAD_BROKER_URL, "
                                     "e.g. redis://localhost:6379/0")
        if importlib.util.find_spec("celery") is None or importlib.util.find_spec("redis") is None:
            raise ConfigurationError('the celery executor needs its extra: pip install "talking-head[celery]"')


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    check_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        store = open_store(settings)
        storage = Storage(settings.results_path)
        executor = make_executor(settings, store, storage)
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
        description="One portrait photo plus text or speech becomes a lip-synced talking-head MP4. "
        "Submit with `POST /v1/talks`, poll `GET /v1/talks/{id}` (or give a `callback_url`), fetch the video.",
        lifespan=lifespan,
        docs_url=None,  # served by routes/docs.py, with local assets
        redoc_url=None,
    )
    app.state.settings = settings
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Range"],
            expose_headers=["Location", "Retry-After", "Content-Range", "Accept-Ranges"],
        )
    app.add_middleware(limits.CompleteMultipart)
    # Two files and the form fields around them.
    app.add_middleware(limits.BodySizeLimit, limit=2 * settings.max_upload_bytes + limits.FORM_OVERHEAD_BYTES)
    _add_error_handlers(app)
    app.include_router(listing_routes.router)
    _add_talk_routes(app, settings)
    app.include_router(docs_routes.router)
    docs_routes.mount_assets(app)
    _add_page_routes(app)
    app.include_router(voices_routes.router)
    app.include_router(live_routes.router)
    return app


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError):
        return _error(exc.status, ERROR_CODES.get(exc.status, "invalid_input"), str(exc), exc.field)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
        loc = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = loc[0] if loc else None
        message = f"{field}: {first['msg']}" if field else first["msg"]
        return _error(422, "invalid_request", message + ".", field)

    @app.exception_handler(StarletteHTTPException)  # also the router's own 404 and 405
    async def http_error(request: Request, exc: StarletteHTTPException):
        return _error(exc.status_code, HTTP_CODES.get(exc.status_code, "error"), str(exc.detail),
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, exc: StoreUnavailable):
        return _error(503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(QueueFull)
    async def queue_full(request: Request, exc: QueueFull):
        return _error(429, "queue_full", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(OutputError)
    async def cannot_store(request: Request, exc: OutputError):
        error = storage_error(exc)
        return _error(STORAGE_ERRORS[error["code"]], error["code"], error["message"],
                      headers={"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(ConfigurationError)
    async def configuration(request: Request, exc: ConfigurationError):
        return _error(422, "configuration", str(exc))


def _create_job(request: Request, form: TalkForm, callback_url: str | None = None,
                override: dict | None = None, inputs_from: Job | None = None) -> Job:
    """Check a request, store its files under server-chosen names, record the job and queue it."""
    app = request.app
    settings, store, storage = app.state.settings, app.state.store, app.state.storage
    options = limits.talk_options(settings, engine=form.engine, fps=form.fps, size=form.size, still=form.still,
                                  expression_scale=form.expression_scale, pose_style=form.pose_style,
                                  seed=form.seed, voice=form.voice, captions=form.captions, speed=form.speed,
                                  speaker=form.speaker, language=form.language)
    options.update(override or {})
    text = limits.check_speech_input(settings, form.text, form.audio is not None or bool(inputs_from and inputs_from.audio))
    callback_url = limits.check_callback_url(callback_url)
    # A quick look before the uploads are stored; `store.add` below holds the bound exactly.
    queue_full = f"the queue is full ({settings.queue_size} jobs waiting). Try again in a few seconds."
    if store.count(QUEUED) >= settings.queue_size:
        raise QueueFull(queue_full)
    job_id = new_job_id()
    base_url = settings.public_url or str(request.base_url)
    try:
        image = audio = None
        if inputs_from is not None:
            storage.copy_inputs(inputs_from.id, job_id)
            image, audio = inputs_from.image, inputs_from.audio
        if form.image is not None:
            image = storage.save_upload(job_id, "image", form.image.file, settings.max_upload_bytes)
            limits.check_image(storage.input_path(job_id, "image"), settings)
        if form.audio is not None:
            audio = storage.save_upload(job_id, "audio", form.audio.file, settings.max_upload_bytes)
            limits.check_audio(storage.input_path(job_id, "audio"), settings)
        job = Job(id=job_id, base_url=base_url, options=options, text=text, image=image, audio=audio,
                  callback_url=callback_url, owner=request.state.caller)
        if not store.add(job, queue_limit=settings.queue_size):
            raise QueueFull(queue_full)
        try:
            app.state.executor.submit(job)
        except StoreUnavailable:
            store.delete(job_id)
            raise
    except BaseException:
        storage.remove(job_id)  # nothing half-made stays on disk
        raise
    return job


def _get_job(request: Request, id: str) -> Job:
    job = request.app.state.store.get(id) if is_job_id(id) else None
    caller = getattr(request.state, "caller", None)
    if job is not None and caller is not None and job.owner not in (None, caller):
        job = None  # another caller's job: as good as absent
    if job is None:
        raise HTTPException(404, f"no job {id!r}: it never existed, was deleted, or passed its retention time.")
    return job


async def _wait(request: Request, job_id: str, seconds: float) -> Job:
    """Wait for a job to end without holding a thread (many /generate calls may wait at once)."""
    store = request.app.state.store
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = await run_in_threadpool(store.get, job_id)
        if job is None:
            raise HTTPException(404, f"job {job_id} was deleted while it ran.")
        if job.finished:
            return job
        await asyncio.sleep(POLL_S)
    raise HTTPException(504, f"the video is not ready after {seconds:.0f} s; poll /v1/talks/{job_id} for it.")


def _add_talk_routes(app: FastAPI, settings: Settings) -> None:
    guarded = [Depends(require_api_key)]

    @app.post("/v1/talks", status_code=202, response_model=TalkAccepted, tags=["talks"], dependencies=guarded,
              responses=_errors(400, 401, 413, 415, 422, 429, 503, 507))
    def submit_talk(
        request: Request,
        response: Response,
        form: Annotated[TalkForm, Depends(talk_form)],
        callback_url: Annotated[str | None, Form(max_length=2000, description="POSTed the final job record when the job ends.")] = None,
    ) -> TalkAccepted:
        """Queue a video. Poll the returned `url` or wait for the `callback_url` webhook."""
        job = _create_job(request, form, callback_url)
        links = job_links(job, settings.api_key)
        response.headers["Location"] = links["url"]
        return TalkAccepted(id=job.id, status=job.status, url=links["url"], video_url=links["video_url"],
                            captions_url=links["captions_url"])

    @app.get("/v1/talks/{id}", response_model=TalkJob, tags=["talks"], dependencies=guarded,
             responses=_errors(401, 404, 503))
    def get_talk(request: Request, id: str) -> TalkJob:
        """Status, progress (0-100), the result record once done, or the error once failed."""
        job = _get_job(request, id)
        return job_view(job, job_links(job, settings.api_key))

    @app.delete("/v1/talks/{id}", status_code=204, tags=["talks"], dependencies=guarded,
                responses=_errors(401, 404, 503))
    def delete_talk(request: Request, id: str) -> Response:
        """Remove the job and all its files (a running job is dropped when it ends)."""
        job = _get_job(request, id)
        request.app.state.store.delete(job.id)
        request.app.state.storage.remove(job.id)
        return Response(status_code=204)

    def _finished_file(request: Request, id: str, kind: str) -> tuple[Job, Path]:
        job = _get_job(request, id)
        if job.status != DONE:
            detail = ("the job failed; it has no video." if job.status == FAILED
                      else f"the video is not ready yet (status {job.status}). Poll /v1/talks/{job.id}.")
            raise HTTPException(409, detail)
        storage = request.app.state.storage
        path = storage.video_path(job.id) if kind == "video" else storage.captions_path(job.id)
        if path is None or not path.is_file():
            raise HTTPException(404, f"this job has no {kind}" + (" (it was made with captions=none)." if kind == "captions" else "."))
        return job, path

    @app.get("/v1/talks/{id}/video", tags=["talks"], dependencies=[Depends(require_media_access)],
             response_class=FileResponse,
             responses={200: {"content": {"video/mp4": {}}, "description": "The MP4 (supports Range requests)."},
                        206: {"content": {"video/mp4": {}}, "description": "Part of the MP4."},
                        **_errors(401, 404, 409, 416, 503)})
    def get_video(request: Request, id: str) -> FileResponse:
        """The MP4, seekable (HTTP Range). Opens with the header API key or the link's `token`."""
        job, path = _finished_file(request, id, "video")
        return FileResponse(path, media_type="video/mp4", filename=f"talk-{job.id}.mp4",
                            content_disposition_type="inline")

    @app.get("/v1/talks/{id}/captions", tags=["talks"], dependencies=[Depends(require_media_access)],
             response_class=FileResponse,
             responses={200: {"content": {"text/vtt": {}}, "description": "WebVTT (or SubRip with captions=srt)."},
                        **_errors(401, 404, 409, 503)})
    def get_captions(request: Request, id: str) -> FileResponse:
        """The captions: WebVTT, timed word by word."""
        job, path = _finished_file(request, id, "captions")
        return FileResponse(path, media_type=CAPTION_TYPES[path.suffix], filename=f"talk-{job.id}{path.suffix}",
                            content_disposition_type="inline")

    @app.post("/generate", response_model=GenerateResponse, tags=["original"], dependencies=guarded,
              responses=_errors(400, 401, 413, 415, 422, 429, 500, 503, 504, 507))
    async def generate(request: Request, form: Annotated[TalkForm, Depends(talk_form)]) -> GenerateResponse:
        """The original contract, synchronous: answers when the video is made.

        Valid input always gets a 200 with a video: when the requested engine
        fails, a simpler one draws it, down to the still photo, and
        `fallback_reason` says why. Invalid input gets a 4xx naming the field.
        """
        wait_s = settings.job_time_limit_s + 300
        job = await _wait(request, (await run_in_threadpool(_create_job, request, form)).id, wait_s)
        first_failure = None
        if job.status == FAILED:
            error = job.error or {}
            if error.get("status"):
                raise InputError(error["message"], field=error.get("field"), status=error["status"])
            if error.get("code") in STORAGE_ERRORS:  # the still video would not fit either
                raise HTTPException(STORAGE_ERRORS[error["code"]], error["message"],
                                    headers={"Retry-After": str(RETRY_AFTER_S)})
            first_failure = f"{job.options.get('engine', 'auto')}: {error.get('message', 'failed')}"
            log.warning("job %s failed (%s); making the still fallback", job.id, first_failure)
            fallback = await run_in_threadpool(_create_job, request, _without_uploads(form),
                                               override={"engine": "still"}, inputs_from=job)
            job = await _wait(request, fallback.id, wait_s)
            if job.status == FAILED:
                raise HTTPException(500, f"could not make a video, not even the still one: "
                                         f"{(job.error or {}).get('message')}")
        links = job_links(job, settings.api_key)
        result = job.result
        reasons = "; ".join(r for r in (first_failure, result["fallback_reason"]) if r) or None
        return GenerateResponse(id=job.id, video_url=links["video_url"], captions_url=links["captions_url"],
                                engine=result["engine"], fallback=result["fallback"] or first_failure is not None,
                                fallback_reason=reasons, duration_s=result["duration_s"], timings=result["timings"])

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> Health:
        """The process is up."""
        return Health()

    @app.get("/readyz", response_model=Readiness, tags=["operations"], responses={503: {"model": Readiness}})
    def readyz(request: Request):
        """Models loaded, storage writable, queue reachable: 200, else 503 with what is wrong."""
        state = request.app.state
        checks = {"storage": "ok" if state.storage.writable() else f"cannot write to {settings.results_path}"}
        try:
            state.store.ping()
            checks["queue"] = "ok"
            checks.update(state.executor.readiness())
        except StoreUnavailable as exc:
            checks["queue"] = str(exc)
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(Readiness(ready=ready, checks=checks).model_dump(), status_code=200 if ready else 503)


def _without_uploads(form: TalkForm) -> TalkForm:
    return TalkForm(**{**form.__dict__, "image": None, "audio": None})


def _add_page_routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/default-face.png", include_in_schema=False)
    def default_face() -> FileResponse:
        return FileResponse(DEFAULT_FACE, media_type="image/png")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
