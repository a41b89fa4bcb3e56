"""The web page and the default face it shows (its scripts and styles are mounted at /static)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ...pipeline import DEFAULT_FACE

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


@router.get("/")
def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html")


@router.get("/default-face.png")
def default_face() -> FileResponse:
    return FileResponse(DEFAULT_FACE, media_type="image/png")
