"""Find, check and read SadTalker's released checkpoint files.

The current release is one safetensors file with every network
(`SadTalker_V0.0.2_256.safetensors`, or `_512`) and two torch.save files with
the mapping networks (`mapping_00229-model.pth.tar`: 70 coefficients, for
crop / resize framing; `mapping_00109-model.pth.tar`: 73, for full framing).

Everything is checked before anything is loaded: a missing file, a truncated
download, a file of the wrong kind, a missing or mis-shaped tensor. All the
problems found are reported together in one `ConfigurationError` that says
which file, what was expected and what was found. Files are read once;
pickles only through `torch.load(weights_only=True)`, which refuses anything
but tensors and plain containers.
"""

from __future__ import annotations

import functools
import json
import os
import pickle
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import torch
from torch import nn

from ...errors import ConfigurationError
from .audio2exp import Audio2Exp
from .audio2pose import Audio2Pose
from .face_3drecon import FaceRecon
from .generator import Generator
from .keypoint_detector import KeypointDetector
from .mapping import MappingNet

AnyModule = TypeVar("AnyModule", bound=nn.Module)

MAIN_FILES = {256: "SadTalker_V0.0.2_256.safetensors", 512: "SadTalker_V0.0.2_512.safetensors"}
MAPPING_FILES = {70: "mapping_00229-model.pth.tar", 73: "mapping_00109-model.pth.tar"}
RELEASE_URL = "https://github.com/OpenTalker/SadTalker/releases/tag/v0.0.2-rc"
# The networks in the main file, by key prefix. The file also holds the pose CVAE's encoder and
# discriminator (`audio2pose.netG.encoder.*`, `audio2pose.netD_motion.*`): training only, ignored.
NETWORKS: dict[str, type[nn.Module]] = {
    "audio2exp": Audio2Exp,
    "audio2pose": Audio2Pose,
    "face_3drecon": FaceRecon,
    "kp_extractor": KeypointDetector,
    "generator": Generator,
}
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the real header is ~150 kB; more means this is not safetensors
SAFETENSORS_DTYPES = {
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "F64": torch.float64,
    "I64": torch.int64,
    "I32": torch.int32,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
SHOWN_PER_KIND = 5  # list at most this many missing / mis-shaped tensors by name


@dataclass(frozen=True)
class CheckpointFiles:
    """The two files one run needs: the networks at `size` and the mapping for `coeff_nc` coefficients."""

    main: Path
    mapping: Path
    size: int
    coeff_nc: int


def choose_files(directory: str | os.PathLike, size: int, coeff_nc: int) -> CheckpointFiles:
    """The files to use: the 512 networks when `size` >= 512 and that file is there, else 256."""
    directory = Path(directory).expanduser()
    model_size = 512 if size >= 512 and (directory / MAIN_FILES[512]).is_file() else 256
    main, mapping = directory / MAIN_FILES[model_size], directory / MAPPING_FILES[coeff_nc]
    return CheckpointFiles(main, mapping, model_size, coeff_nc)


@functools.cache
def expected_tensors(network: str, coeff_nc: int = 70) -> dict[str, tuple[tuple[int, ...], torch.dtype]]:
    """Key -> (shape, dtype) of one network's state dict, built on the meta device (no memory)."""
    with torch.device("meta"):
        module = MappingNet(coeff_nc) if network == "mapping" else NETWORKS[network]()
    return {key: (tuple(value.shape), value.dtype) for key, value in module.state_dict().items()}


def _shape_problems(
    file: Path,
    found: dict[str, tuple[tuple[int, ...], torch.dtype]],
    expected: dict[str, tuple[tuple[int, ...], torch.dtype]],
    prefix: str = "",
) -> list[str]:
    missing, wrong = [], []
    for key, (shape, dtype) in expected.items():
        name = prefix + key
        if name not in found:
            missing.append(name)
        elif found[name] != (shape, dtype):
            got_shape, got_dtype = found[name]
            wrong.append(
                f"{name}: expected {list(shape)} {_dtype_name(dtype)}, found {list(got_shape)} {_dtype_name(got_dtype)}"
            )
    problems = []
    if missing:
        shown = ", ".join(missing[:SHOWN_PER_KIND]) + (
            f" and {len(missing) - SHOWN_PER_KIND} more" if len(missing) > SHOWN_PER_KIND else ""
        )
        problems.append(f"{file}: {len(missing)} of {len(expected)} expected tensors are missing ({shown})")
    if wrong:
        shown = "; ".join(wrong[:SHOWN_PER_KIND]) + (
            f"; and {len(wrong) - SHOWN_PER_KIND} more" if len(wrong) > SHOWN_PER_KIND else ""
        )
        problems.append(f"{file}: {len(wrong)} tensors have the wrong shape or type ({shown})")
    return problems


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def read_safetensors_header(path: Path) -> tuple[dict[str, tuple[tuple[int, ...], torch.dtype]], list[str]]:
    """The tensor table of a safetensors file, and what is wrong with the file itself (truncation, kind)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            return {}, [f"{path}: only {size} bytes, too small to be a safetensors file (truncated download?)"]
        (header_len,) = struct.unpack("<Q", head)
        if header_len > MAX_HEADER_BYTES:
            kind = _sniff_kind(head)
            return {}, [
                f"{path}: not a safetensors file ({kind}; its first 8 bytes declare a {header_len}-byte header)"
            ]
        if 8 + header_len > size:
            return {}, [
                f"{path}: truncated: the header needs {8 + header_len} bytes but the file has {size} "
                "(header too small; an unfinished download?)"
            ]
        raw = f.read(header_len)
    try:
        header = json.loads(raw)
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except ValueError:
        return {}, [f"{path}: not a safetensors file (its header is not valid JSON; {_sniff_kind(head)})"]
    table, data_end = {}, 0
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        try:
            dtype = SAFETENSORS_DTYPES.get(entry["dtype"], entry["dtype"])
            start, end = entry["data_offsets"]
            table[key] = (tuple(int(n) for n in entry["shape"]), dtype)
            data_end = max(data_end, int(end))
        except (KeyError, TypeError, ValueError):
            return {}, [f"{path}: damaged safetensors header (entry {key!r} is malformed)"]
    needed = 8 + header_len + data_end
    if needed > size:
        return table, [
            f"{path}: truncated: unexpected end of file at {size} bytes, its tensors need {needed} "
            f"bytes ({100 * size / needed:.0f}% downloaded)"
        ]
    return table, []


def _sniff_kind(head: bytes) -> str:
    if head.startswith(b"PK"):
        return "it is a zip archive, like a torch.save file"
    if head[:1] == b"\x80":
        return "it is a Python pickle"
    if head.lstrip()[:1] in (b"<", b"{", b"["):
        return "it is a text file (an HTML error page?)"
    return "unknown content"


def read_mapping(path: Path, coeff_nc: int) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The mapping state dict from a torch.save file, and the problems found (reads the file once)."""
    if not zipfile.is_zipfile(path):  # torch.save's format; the legacy one is a bare pickle
        with open(path, "rb") as f:
            head = f.read(8)
        if not head.startswith(b"\x80"):
            detail = "a truncated or damaged zip archive" if head.startswith(b"PK") else _sniff_kind(head)
            return {}, [f"{path}: not a torch checkpoint ({detail}); download it again"]
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(exc))
        what = found.group(1) if found else "objects that are not tensors"
        return {}, [
            f"{path}: refused to unpickle: it holds Python objects other than tensors ({what}); "
            "a checkpoint that needs code to load is not a SadTalker release file"
        ]
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        return {}, [f"{path}: cannot be read as a torch checkpoint ({type(exc).__name__}: {exc}); download it again"]
    state = checkpoint.get("mapping") if isinstance(checkpoint, dict) else None
    if not isinstance(state, dict):
        held = sorted(checkpoint)[:8] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        return {}, [f"{path}: no 'mapping' state dict in it (found {held}); is it a SadTalker mapping file?"]
    table = {k: (tuple(v.shape), v.dtype) for k, v in state.items() if isinstance(v, torch.Tensor)}
    problems = _shape_problems(path, table, expected_tensors("mapping", coeff_nc))
    other = {70: 73, 73: 70}[coeff_nc]
    if problems and not _shape_problems(path, table, expected_tensors("mapping", other)):
        problems = [
            f"{path}: this is the {other}-coefficient mapping network, expected the {coeff_nc}-coefficient "
            f"one ({MAPPING_FILES[other]} and {MAPPING_FILES[coeff_nc]} swapped or renamed?)"
        ]
    return state, problems


@dataclass
class Networks:
    """Everything from the main file, on its device, in eval mode."""

    audio2exp: Audio2Exp
    audio2pose: Audio2Pose
    face_recon: FaceRecon
    kp_detector: KeypointDetector
    generator: Generator


def check_files(files: CheckpointFiles) -> dict[str, torch.Tensor]:
    """Raise one `ConfigurationError` listing every problem; return the mapping state dict on success."""
    problems: list[str] = []
    mapping_state: dict[str, torch.Tensor] = {}
    if not files.main.parent.is_dir():
        raise ConfigurationError(
            f"the SadTalker checkpoint folder {files.main.parent} does not exist. "
            "Point --sadtalker-dir (or TALKING_HEAD_SADTALKER_DIR) at the folder that holds "
            f"{files.main.name} and {files.mapping.name}."
        )
    for path in (files.main, files.mapping):
        if not path.is_file():
            problems.append(f"{path}: missing (download {path.name} from {RELEASE_URL})")
    if files.main.is_file():
        table, file_problems = read_safetensors_header(files.main)
        problems += file_problems
        if table and not file_problems:
            for prefix in NETWORKS:
                problems += _shape_problems(files.main, table, expected_tensors(prefix), prefix + ".")
    if files.mapping.is_file():
        mapping_state, mapping_problems = read_mapping(files.mapping, files.coeff_nc)
        problems += mapping_problems
    if problems:
        raise ConfigurationError(
            f"the SadTalker checkpoints in {files.main.parent} cannot be used:\n"
            + "\n".join(f"  - {p}" for p in problems)
            + f"\nFix: put the files of the SadTalker v0.0.2 release ({files.main.name}, {files.mapping.name}) "
            "in that folder, downloading again any that are damaged, and point --sadtalker-dir "
            "(or TALKING_HEAD_SADTALKER_DIR) at it."
        )
    return mapping_state


def _build(cls: Callable[..., AnyModule], state: dict[str, torch.Tensor], *args) -> AnyModule:
    with torch.device("meta"):
        module = cls(*args)
    module.load_state_dict(state, strict=True, assign=True)
    prepare = getattr(module, "prepare", None)  # fast-path weights derived from the loaded ones
    if callable(prepare):
        prepare()
    return module.eval().requires_grad_(False)


def load_networks(path: Path) -> Networks:
    """Read the main file once (memory-mapped) and build every network from it, on the CPU."""
    from safetensors import safe_open

    parts: dict[str, dict[str, torch.Tensor]] = {prefix: {} for prefix in NETWORKS}
    with safe_open(str(path), framework="pt", device="cpu") as f:
        for key in f.keys():
            prefix, _, rest = key.partition(".")
            if prefix in parts and rest in expected_tensors(prefix):
                parts[prefix][rest] = f.get_tensor(key)
    return Networks(
        _build(Audio2Exp, parts["audio2exp"]),
        _build(Audio2Pose, parts["audio2pose"]),
        _build(FaceRecon, parts["face_3drecon"]),
        _build(KeypointDetector, parts["kp_extractor"]),
        _build(Generator, parts["generator"]),
    )


def build_mapping(state: dict[str, torch.Tensor], coeff_nc: int) -> MappingNet:
    state = {k: v for k, v in state.items() if k in expected_tensors("mapping", coeff_nc)}
    return _build(MappingNet, state, coeff_nc)
