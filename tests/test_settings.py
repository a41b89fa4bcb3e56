"""Settings: read from the environment by their declared names, overridden by `say` flags, all documented."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from talking_head import TalkOptions, cli
from talking_head.options import flag_of
from talking_head.options import spec_of as option_spec
from talking_head.settings import Settings, default_of, env_name

DOCS = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def _row(text: str, first_cell: str) -> str:
    rows = [line for line in text.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(rows) == 1, f"{first_cell}: {len(rows)} rows in {DOCS.name}"
    return rows[0]


def test_configuration_md_lists_every_setting_and_option():
    text = DOCS.read_text()
    for spec in fields(Settings):
        default = default_of(spec)
        shown = "unset" if default in (None, []) else "`0`" if default is False else f"`{default}`"
        assert shown in _row(text, f"`{env_name(spec)}`"), spec.name
    for spec in fields(TalkOptions):
        row = _row(text, f"`{spec.name}`")
        assert (f"`{flag_of(spec)}`" in row) == option_spec(spec).cli, spec.name


def test_from_env_reads_each_kind(monkeypatch, tmp_path):
    monkeypatch.setenv("TALKING_HEAD_QUEUE_SIZE", "3")
    monkeypatch.setenv("TALKING_HEAD_WEBHOOK_BACKOFF_S", "0.25")
    monkeypatch.setenv("TALKING_HEAD_SADTALKER_DIR", str(tmp_path))
    monkeypatch.setenv("TALKING_HEAD_SADTALKER_HALF", "true")
    monkeypatch.setenv("TALKING_HEAD_CORS_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("TALKING_HEAD_API_KEY", "")  # empty is unset
    settings = Settings.from_env()
    assert (settings.queue_size, settings.webhook_backoff_s, settings.sadtalker_dir) == (3, 0.25, tmp_path)
    assert settings.sadtalker_half is True and settings.api_key is None
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert Settings.from_env().workers == Settings.workers
    monkeypatch.setenv("TALKING_HEAD_WORKERS", "two")
    with pytest.raises(ValueError, match="TALKING_HEAD_WORKERS must be a whole number"):
        Settings.from_env()


def test_say_flags_override_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TALKING_HEAD_MAX_TEXT_CHARS", "40")
    monkeypatch.setenv("TALKING_HEAD_SADTALKER_BATCH_SIZE", "3")
    parser = cli.build_parser()
    from_env = cli._settings(parser.parse_args(["say", "Hi."]))
    assert (from_env.max_text_chars, from_env.sadtalker_batch_size, from_env.sadtalker_dir) == (40, 3, None)
    given = cli._settings(
        parser.parse_args(
            [
                "say",
                "Hi.",
                "--max-text-chars",
                "90",
                "--batch-size",
                "2",
                "--sadtalker-dir",
                str(tmp_path),
                "--half",
                "--device",
                "cpu",
            ]
        )
    )
    assert (given.max_text_chars, given.sadtalker_batch_size, given.sadtalker_dir) == (90, 2, tmp_path)
    assert given.sadtalker_half is True and given.sadtalker_device == "cpu"


def test_folders_given_as_strings_are_paths(tmp_path):
    settings = Settings(sadtalker_dir=str(tmp_path), voices_dir="~/voices")
    assert settings.sadtalker_dir == tmp_path and settings.voices_dir == Path("~/voices").expanduser()
