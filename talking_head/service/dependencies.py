"""What a route needs, as FastAPI dependencies: the settings, the job store, the result files, the executor.

The app factory puts them on `app.state` once (the store, storage and
executor when the app starts); routes take them as parameters
(``store: StoreDep``; WebSocket routes too), so none reaches into `app.state` itself and a test can
override any of them (`app.dependency_overrides`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from ..jobs.executors import Executor
from ..jobs.storage import Storage
from ..jobs.stores import JobStore
from ..settings import Settings


def get_settings(connection: HTTPConnection) -> Settings:
    return connection.app.state.settings


def get_store(connection: HTTPConnection) -> JobStore:
    return connection.app.state.store


def get_storage(connection: HTTPConnection) -> Storage:
    return connection.app.state.storage


def get_executor(connection: HTTPConnection) -> Executor:
    return connection.app.state.executor


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
StorageDep = Annotated[Storage, Depends(get_storage)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
