"""The machine fails, not the input: a read-only folder, a full disk, a process killed mid-encode.

Each ends with a clear message and nothing under the final name. The disk is
a real tmpfs (mounting needs root, as on CI); the kill is a real SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from talking_head.errors import OutputError
from talking_head.pipeline import TalkOptions, talk

LONG = (
    "This sentence goes on for a while, so that the video is still being written when something goes "
    "wrong with the disk or with the process that writes it, and then a little longer."
)


def say(*args: str, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "talking_head.cli", "say", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs; skipped where mounting is not permitted (not root)."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_read_only_output_folder_is_exit_2(small_disk, tmp_path):
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    process = say("Hello there.", "-o", str(small_disk / "talk.mp4"), cwd=tmp_path)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert err.count("\n") == 1 and "read-only file system" in err and "Choose an output folder" in err
    assert "Traceback" not in err


def test_full_disk_leaves_nothing_and_says_so(small_disk):
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024 - 96 * 1024))  # 96 kB left
    with pytest.raises(OutputError) as raised:
        talk(text=LONG, output=small_disk / "talk.mp4", options=TalkOptions(size=256, engine="builtin", strict=True))
    assert raised.value.reason == "no_space"
    assert "no space left" in str(raised.value) and "Free some space" in str(raised.value)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"], "no partial file, no caption file"


def test_full_disk_is_exit_2_on_the_command_line(small_disk, tmp_path):
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024 - 96 * 1024))
    process = say(LONG, "--size", "256", "-o", str(small_disk / "talk.mp4"), cwd=tmp_path)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert "no space left" in err and "Traceback" not in err
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_a_full_temporary_folder_is_exit_2_naming_it(small_disk, tmp_path):
    """Speech from text is spooled to the temporary folder: with no room there, say so and where."""
    (small_disk / "filler").write_bytes(b"\0" * (2 * 1024 * 1024 - 96 * 1024))
    process = subprocess.Popen(
        [sys.executable, "-m", "talking_head.cli", "say", LONG, "--size", "128", "-o", str(tmp_path / "talk.mp4")],
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(small_disk)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, err = process.communicate(timeout=300)
    assert process.returncode == 2, err
    assert f"no space left in the temporary folder {small_disk}" in err and "TMPDIR" in err, err
    assert "Traceback" not in err
    assert not list(tmp_path.glob("*talk*")), "nothing written beside the output"


def encoding(output: Path, size: str, cwd: Path) -> subprocess.Popen:
    """`say` started on LONG eight times over, returned once encoded frames are in its partial file.

    The partial file fills in 32 kB steps: on one 9-second sentence the first step can come so
    late that the encode has finished before a signal sent then arrives (seen once on CI, at 256
    px). At eight times the length, most of the video is still to be rendered when it does.
    """
    partial = output.with_name(f".{output.name}.partial")
    process = say(" ".join([LONG] * 8), "--size", size, "-o", str(output), cwd=cwd)
    deadline = time.monotonic() + 240
    # Bytes in the partial file: encoded frames have left the muxer's 32 kB buffer.
    while not (partial.exists() and partial.stat().st_size > 0):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the encoder never got going"
        time.sleep(0.02)
    return process


def test_killed_mid_encode_leaves_nothing_at_the_final_name(tmp_path):
    output = tmp_path / "talk.mp4"
    process = encoding(output, "512", tmp_path)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    assert not output.exists(), "a killed encode must not leave a file under the final name"
    assert not output.with_suffix(".vtt").exists()


def _signal_state(pid: int) -> str:
    """The kernel's view of a process's signals: masks of those blocked, ignored, caught (SIGTERM is 0x4000)."""
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return ", ".join(line.replace("\t", " ") for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))


def test_terminated_mid_encode_leaves_nothing_and_says_so(tmp_path):
    """SIGTERM (what timeout, systemd and docker stop send) ends `say` as Ctrl-C does: no partial file."""
    process = encoding(tmp_path / "talk.mp4", "256", tmp_path)
    before = _signal_state(process.pid)
    sent = time.monotonic()
    os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    # Should it run on, say how: how long after the signal it ended, and whether the signal could reach it.
    assert process.returncode == 128 + signal.SIGTERM, (
        f"{err}\nended {time.monotonic() - sent:.2f} s after SIGTERM; when sent: {before}"
    )
    assert "stopped (SIGTERM)" in err and "Traceback" not in err
    assert os.listdir(tmp_path) == [], "a stopped run must leave nothing behind, not even its partial file"
