"""What a route needs, as FastAPI dependencies: the settings, the job store, the result files, the executor.

The app factory puts them on `app.state` once (the store, storage and
executor when the app starts); routes take them as parameters
(``store: Store``), so none reaches into `app.state` itself and a test can
override any of them (`app.dependency_overrides`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..settings import Settings
from .executors import Executor
from .jobs import JobStore
from .storage import Storage


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> JobStore:
    return request.app.state.store


def get_storage(request: Request) -> Storage:
    return request.app.state.storage


def get_executor(request: Request) -> Executor:
    return request.app.state.executor


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[JobStore, Depends(get_store)]
StorageDep = Annotated[Storage, Depends(get_storage)]
ExecutorDep = Annotated[Executor, Depends(get_executor)]
