"""The job machinery: job records and stores (SQLite, Redis), leases, the runner, the executors (an
in-process pool, Celery workers), result files, webhooks, retention, API keys and signed links.

It never imports the web framework: a Celery worker runs jobs without FastAPI or pydantic loaded.
The HTTP layer (`talking_head.service`) hands requests to it.
"""
