"""A run writes its output and nothing else: no file in the user's home folder.

ONNX Runtime's wheels keep a telemetry database under ~/.cache/Microsoft/DeveloperTools/
unless told not to (ORT_DISABLE_TELEMETRY, set by the package); a real `say` with HOME
pointed at an empty folder must leave it empty.
"""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_run_leaves_the_home_folder_empty(tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "ORT_"))}
    env["HOME"] = str(home)
    run = subprocess.run(
        [sys.executable, "-m", "talking_head.cli", "say", "Hello there.", "--size", "128", "-o", "hi.mp4"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert sorted(os.listdir(work)) == ["hi.mp4", "hi.vtt"]
    left = [str(path.relative_to(home)) for path in home.rglob("*")]
    assert left == [], f"a run wrote into the home folder: {left}"
