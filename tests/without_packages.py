"""Run Python code in a fresh process where some installed packages cannot be imported.

Every meta-path finder is wrapped so that it does not find the named top-level packages, as if they were not
installed: how the package behaves on a machine without them (mediapipe and
jax are no dependency any more; PocketSphinx has no wheel for CPython 3.14).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_BLOCKER = """
import sys

BLOCKED = {blocked!r}


class Hiding:
    # Every finder answers "not found" for the blocked packages, as when they are not installed.
    def __init__(self, finder):
        self.finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            return None
        return self.finder.find_spec(name, path, target)

    def __getattr__(self, attribute):
        return getattr(self.finder, attribute)


sys.meta_path[:] = [Hiding(finder) for finder in sys.meta_path]
"""


def run_without(
    blocked: set[str], code: str, args: tuple[str, ...] = (), timeout_s: float = 600
) -> subprocess.CompletedProcess:
    """Run `code` (which may use the list `BLOCKED`; `sys.argv[1:]` is `args`) from the repository
    root with `blocked` unimportable."""
    return subprocess.run(
        [sys.executable, "-c", _BLOCKER.format(blocked=sorted(blocked)) + code, *args],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
