"""SadTalker fixtures: synthetic checkpoints in the official layout, written once per session by the kit.

The conformance kit (`<repo>/../shared/sadtalker`) writes deterministic
random weights with `synth_weights.py` and holds the reference's outputs for
them. Tests that need it skip, saying why, only when torch or the kit is missing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")  # as the engine sets it; must precede torch's first allocation

SADTALKER_KIT = Path(__file__).resolve().parents[2].parent / "shared" / "sadtalker"


def _require_sadtalker() -> None:
    pytest.importorskip("torch", reason="torch is not installed: pip install 'talking-head[sadtalker]'")
    pytest.importorskip("safetensors", reason="safetensors is not installed: pip install 'talking-head[sadtalker]'")
    if not (SADTALKER_KIT / "synth_weights.py").is_file():
        pytest.skip(f"the SadTalker conformance kit is not at {SADTALKER_KIT}")


@pytest.fixture(scope="session")
def sadtalker_kit() -> Path:
    _require_sadtalker()
    return SADTALKER_KIT


@pytest.fixture(scope="session")
def sadtalker_dir(sadtalker_kit, tmp_path_factory) -> Path:
    """A folder with SadTalker_V0.0.2_256/_512.safetensors and both mapping files (synthetic weights)."""
    folder = tmp_path_factory.mktemp("sadtalker_checkpoints")
    script = str(sadtalker_kit / "synth_weights.py")
    for extra in ([], ["--size", "512", "--only", "SadTalker_V0.0.2_512.safetensors"]):
        subprocess.run([sys.executable, script, str(folder), *extra], check=True, capture_output=True, timeout=300)
    yield folder
    for path in folder.iterdir():  # 1.5 GB: do not leave it for pytest's keep-three-sessions rule
        path.unlink()


@pytest.fixture(scope="session")
def sadtalker_networks(sadtalker_dir):
    """Every network of the 256 file plus both mapping nets, through the engine's own loaders."""
    from talking_head.engines.sadtalker import checkpoints

    networks = checkpoints.load_networks(sadtalker_dir / checkpoints.MAIN_FILES[256])
    mappings = {}
    for coeff_nc, name in checkpoints.MAPPING_FILES.items():
        state, problems = checkpoints.read_mapping(sadtalker_dir / name, coeff_nc)
        assert not problems, problems
        mappings[coeff_nc] = checkpoints.build_mapping(state, coeff_nc)
    return networks, mappings
