"""The HTTP service: FastAPI app, job stores, the in-process pool and the Celery executor.

`create_app(settings)` builds the app; `talking-head serve` runs it with
Uvicorn and `talking-head worker` runs a Celery worker.
"""
