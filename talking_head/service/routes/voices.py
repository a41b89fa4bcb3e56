"""`GET /v1/voices`: the voices a request may name."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ...speech.voices import list_voices
from ..auth import require_api_key
from ..dependencies import SettingsDep

router = APIRouter()


class Voice(BaseModel):
    name: str = Field(description="What to give as `voice`.")
    language: str = Field(description="Piper's language code, e.g. `en_US`, `de_DE`.")
    language_name: str = Field(description="The language in English, e.g. `German`.")
    quality: str = Field(description="Piper's quality tier: `x_low`, `low`, `medium` or `high`.")
    sample_rate: int = Field(description="Audio sample rate in Hz.")
    speakers: list[str] = Field(description="Speaker names of a multi-speaker voice; empty for one speaker.")
    bundled: bool = Field(description="True for the voice that ships with talking-head (the default).")


class VoiceList(BaseModel):
    voices: list[Voice]
    default: str = Field(description="The voice used when a request names none.")


@router.get("/v1/voices", response_model=VoiceList, tags=["voices"], dependencies=[Depends(require_api_key)])
def get_voices(settings: SettingsDep) -> VoiceList:
    """The installed voices: the bundled one and those in the server's `TALKING_HEAD_VOICES_DIR`."""
    found = list_voices(settings.voices_dir)
    default = next(v.name for v in found if v.bundled)
    return VoiceList(voices=[Voice(**{k: getattr(v, k) for k in Voice.model_fields}) for v in found], default=default)
