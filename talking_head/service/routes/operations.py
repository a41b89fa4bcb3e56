"""`/healthz` and `/readyz`: for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ...errors import StoreUnavailable
from ..dependencies import ExecutorDep, SettingsDep, StorageDep, StoreDep
from ..models import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(settings: SettingsDep, store: StoreDep, storage: StorageDep, executor: ExecutorDep):
    """Models loaded, storage writable, queue reachable: 200, else 503 with what is wrong."""
    checks = {"storage": "ok" if storage.writable() else f"cannot write to {settings.results_path}"}
    try:
        store.ping()
        checks["queue"] = "ok"
        checks.update(executor.readiness())
    except StoreUnavailable as exc:
        checks["queue"] = str(exc)
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(Readiness(ready=ready, checks=checks).model_dump(), status_code=200 if ready else 503)
