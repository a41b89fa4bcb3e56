"""Neither framework is a dependency: without them the package, its CLI and the live core import, and an
adapter imported anyway says which extra to install."""

from __future__ import annotations

from without_packages import run_without

IMPORT_ALL = """
import importlib, sys
import talking_head, talking_head.cli, talking_head.live.agent, talking_head.agents
from talking_head.errors import ConfigurationError

for name in ("livekit", "pipecat"):
    try:
        importlib.import_module("talking_head.agents." + name)
    except ConfigurationError as exc:
        print(exc)
"""


def test_the_package_needs_no_framework_and_an_adapter_names_its_extra():
    done = run_without({"livekit", "pipecat"}, IMPORT_ALL, timeout_s=120)
    assert done.returncode == 0, done.stderr
    assert 'pip install "talking-head[livekit]"' in done.stdout
    assert 'pip install "talking-head[pipecat]"' in done.stdout
