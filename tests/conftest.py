"""Shared fixtures: real speech recordings, the bundled face, and output folders."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SADTALKER_KIT = REPO.parent / "shared" / "sadtalker"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def human_speech() -> list[tuple[Path, str]]:
    """Real recordings with their transcripts: (wav path, text)."""
    return [
        (wav, wav.with_suffix(".txt").read_text().strip())
        for wav in sorted(DATA.glob("librivox_*.wav"))
    ]


@pytest.fixture(scope="session")
def default_face() -> Path:
    from talking_head.pipeline import DEFAULT_FACE

    return DEFAULT_FACE


def make_voice(folder: Path, name: str, espeak_voice: str, language: dict) -> Path:
    """A Piper voice as any user could make one: the bundled voice's network, another espeak-ng voice."""
    import json

    from talking_head.speech.voices import bundled_voice_path

    source = bundled_voice_path()
    model = folder / f"{name}.onnx"
    model.symlink_to(source)
    config = json.loads(source.with_name(source.name + ".json").read_text())
    config["espeak"] = {"voice": espeak_voice}
    config["language"] = language
    model.with_name(model.name + ".json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return model


@pytest.fixture(scope="session")
def voices_dir(tmp_path_factory) -> Path:
    """A voices folder with a German voice (de_DE-joe-medium): the bundled network speaking German phonemes."""
    folder = tmp_path_factory.mktemp("voices")
    make_voice(folder, "de_DE-joe-medium", "de", {
        "code": "de_DE", "family": "de", "region": "DE", "name_native": "Deutsch",
        "name_english": "German", "country_english": "Germany",
    })
    return folder
