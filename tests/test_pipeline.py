"""The engine chain: what ran, why it fell back, and strict mode."""

import json
import subprocess
import sys

import pytest

from talking_head.errors import ConfigurationError, EngineError
from talking_head.evaluate.decode import probe
from talking_head.pipeline import TalkOptions, talk
from talking_head.settings import Settings


def test_auto_without_checkpoints_is_the_builtin_engine(tmp_path):
    result = talk(text="Hello.", output=tmp_path / "a.mp4", options=TalkOptions(size=128))
    assert (result.engine, result.fallback, result.fallback_reason) == ("builtin", False, None)


def test_broken_checkpoints_fall_back_with_the_reason(tmp_path):
    empty = tmp_path / "checkpoints"
    empty.mkdir()
    result = talk(
        text="Hello.",
        output=tmp_path / "b.mp4",
        options=TalkOptions(size=128, engine="sadtalker"),
        settings=Settings(sadtalker_dir=empty),
    )
    assert result.engine == "builtin" and result.fallback is True
    assert result.fallback_reason.startswith("sadtalker:")
    assert probe(tmp_path / "b.mp4").video.frames == result.frames


def test_strict_raises_instead(tmp_path):
    empty = tmp_path / "checkpoints"
    empty.mkdir()
    with pytest.raises(EngineError):
        talk(
            text="Hello.",
            output=tmp_path / "c.mp4",
            options=TalkOptions(size=128, engine="sadtalker", strict=True),
            settings=Settings(sadtalker_dir=empty),
        )
    assert not (tmp_path / "c.mp4").exists()


def test_strict_with_an_unavailable_engine_is_exit_2_with_the_fix(tmp_path, monkeypatch, capsys):
    from talking_head import cli

    monkeypatch.delenv("TALKING_HEAD_SADTALKER_DIR", raising=False)
    out = tmp_path / "strict.mp4"
    code = cli.main(
        ["say", "Hi.", "--engine", "sadtalker", "--strict", "--size", "128", "--captions", "none", "-o", str(out)]
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith("error: no SadTalker checkpoints configured") and "--sadtalker-dir" in lines[0]
    assert not out.exists()
    with pytest.raises(ConfigurationError):
        talk(text="Hi.", output=out, options=TalkOptions(size=128, engine="sadtalker", strict=True))


def test_cli_json_record(tmp_path):
    out = tmp_path / "cli.mp4"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "talking_head.cli",
            "say",
            "Hello from the command line.",
            "-o",
            str(out),
            "--size",
            "128",
            "--engine",
            "still",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["engine"] == "still" and record["fallback"] is False
    assert record["video_path"] == str(out) and out.is_file()
    assert set(record["timings"]) >= {"face", "tts", "motion", "render", "encode", "total"}
    assert "align" not in record["timings"], "text is timed by the voice, not aligned afterwards"
    assert record["alignment"] == "voice" and record["captions_source"] == "text"


def test_seed_makes_videos_reproducible(tmp_path):
    from talking_head.motion import build_motion
    from talking_head.speech import speech_from_text

    speech = speech_from_text("The same words twice.")
    a = build_motion(speech, TalkOptions(seed=3))
    b = build_motion(speech, TalkOptions(seed=3))
    c = build_motion(speech, TalkOptions(seed=4))
    assert (a.blink == b.blink).all() and (a.yaw == b.yaw).all()
    assert not (a.yaw == c.yaw).all()
