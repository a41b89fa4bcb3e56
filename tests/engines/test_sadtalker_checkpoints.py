"""Broken checkpoint folders: one clear error with --strict (exit 2), a fallback with that reason without.

Each case is a copy of the good synthetic folder (symlinks, without the _512 file) with one file
broken the way downloads and folders really break. Broken safetensors files
are written sparse (the header says the full size, the data is a hole), so
a 725 MB case costs no disk.
"""

from __future__ import annotations

import argparse
import json
import struct
from pathlib import Path

import pytest

pytestmark = pytest.mark.torch  # needs PyTorch: where it is not installed, run with -m "not torch"
torch = pytest.importorskip("torch", reason="torch is not installed: pip install 'talking-head[sadtalker]'")

from talking_head import cli  # noqa: E402
from talking_head.engines.sadtalker.engine import SadTalkerEngine  # noqa: E402
from talking_head.errors import ConfigurationError  # noqa: E402
from talking_head.pipeline import TalkOptions, talk  # noqa: E402
from talking_head.settings import Settings  # noqa: E402

MAIN = "SadTalker_V0.0.2_256.safetensors"
CROP_MAPPING = "mapping_00229-model.pth.tar"
FULL_MAPPING = "mapping_00109-model.pth.tar"
MAIN_SIZE = 725_066_984


def read_header(path: Path) -> dict:
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        return json.loads(f.read(length))


def write_sparse_safetensors(path: Path, header: dict) -> None:
    """A safetensors file with this header and a hole where the data would be."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    data = max(entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + data)


def renamed_key(good: Path, path: Path) -> None:
    header = read_header(good / MAIN)
    header["generator.decoder.conv_img.biaz"] = header.pop("generator.decoder.conv_img.bias")
    write_sparse_safetensors(path, header)


def reshaped_key(good: Path, path: Path) -> None:
    header = read_header(good / MAIN)
    header["kp_extractor.down.weight"]["shape"] = [1, 3, 13, 13]  # same bytes, wrong layout
    write_sparse_safetensors(path, header)


def first_bytes(count: int):
    def write(good: Path, path: Path) -> None:
        with open(good / path.name, "rb") as f:
            path.write_bytes(f.read(count))

    return write


def html_page(good: Path, path: Path) -> None:
    path.write_text("<!DOCTYPE html><html><body>Rate limit exceeded</body></html>\n" * 4)


def other_mapping(good: Path, path: Path) -> None:
    path.symlink_to(good / FULL_MAPPING)


def pickled_object(good: Path, path: Path) -> None:
    checkpoint = torch.load(good / CROP_MAPPING, map_location="cpu", weights_only=True)
    checkpoint["optimizer_args"] = argparse.Namespace(lr=1e-4)  # a class weights_only must refuse
    torch.save(checkpoint, path)


def remove(good: Path, path: Path) -> None:
    pass


# case -> (file to break, how, the line the error must carry)
CASES = {
    "main missing": (
        MAIN,
        remove,
        "{dir}/SadTalker_V0.0.2_256.safetensors: missing (download "
        "SadTalker_V0.0.2_256.safetensors from https://github.com/OpenTalker/SadTalker/releases",
    ),
    "mapping missing": (
        CROP_MAPPING,
        remove,
        "{dir}/mapping_00229-model.pth.tar: missing (download mapping_00229-model.pth.tar from",
    ),
    "header too small": (
        MAIN,
        first_bytes(5),
        "{dir}/SadTalker_V0.0.2_256.safetensors: only 5 bytes, too small to be "
        "a safetensors file (truncated download?)",
    ),
    "header cut": (MAIN, first_bytes(4096), "{dir}/SadTalker_V0.0.2_256.safetensors: truncated: the header needs "),
    "unexpected end of file": (
        MAIN,
        first_bytes(8_000_000),
        "{dir}/SadTalker_V0.0.2_256.safetensors: truncated: "
        f"unexpected end of file at 8000000 bytes, its tensors need {MAIN_SIZE} bytes "
        "(1% downloaded)",
    ),
    "html instead of safetensors": (
        MAIN,
        html_page,
        "{dir}/SadTalker_V0.0.2_256.safetensors: not a safetensors file (it is a text file (an HTML error page?)",
    ),
    "html instead of mapping": (
        CROP_MAPPING,
        html_page,
        "{dir}/mapping_00229-model.pth.tar: not a torch checkpoint "
        "(it is a text file (an HTML error page?)); download it again",
    ),
    "mapping cut": (
        CROP_MAPPING,
        first_bytes(20_000_000),
        "{dir}/mapping_00229-model.pth.tar: not a torch "
        "checkpoint (a truncated or damaged zip archive); download it again",
    ),
    "tensor missing": (
        MAIN,
        renamed_key,
        "{dir}/SadTalker_V0.0.2_256.safetensors: 1 of 386 expected tensors are "
        "missing (generator.decoder.conv_img.bias)",
    ),
    "tensor mis-shaped": (
        MAIN,
        reshaped_key,
        "{dir}/SadTalker_V0.0.2_256.safetensors: 1 tensors have the wrong shape "
        "or type (kp_extractor.down.weight: expected [3, 1, 13, 13] float32, found [1, 3, 13, 13] "
        "float32)",
    ),
    "mapping files swapped": (
        CROP_MAPPING,
        other_mapping,
        "{dir}/mapping_00229-model.pth.tar: this is the "
        "73-coefficient mapping network, expected the 70-coefficient one "
        "(mapping_00109-model.pth.tar and mapping_00229-model.pth.tar swapped or renamed?)",
    ),
    "pickled python object": (
        CROP_MAPPING,
        pickled_object,
        "{dir}/mapping_00229-model.pth.tar: refused to unpickle: "
        "it holds Python objects other than tensors (argparse.Namespace)",
    ),
}


@pytest.fixture(scope="module")
def broken(sadtalker_dir, tmp_path_factory):
    """case -> a folder like the good one with that case's file broken."""
    root = tmp_path_factory.mktemp("broken_checkpoints")
    folders = {}
    for case, (name, breaker, _) in CASES.items():
        folder = root / case.replace(" ", "_")
        folder.mkdir()
        for good in (MAIN, CROP_MAPPING, FULL_MAPPING):  # no _512 file: every size uses the 256 one
            if good != name:
                (folder / good).symlink_to(sadtalker_dir / good)
        breaker(sadtalker_dir, folder / name)
        folders[case] = folder
    return folders


@pytest.mark.parametrize("case", list(CASES))
def test_broken_checkpoints(broken, case, tmp_path, capsys):
    folder = broken[case]
    expected = CASES[case][2].format(dir=folder)

    # Strict: the engine's check, before any work, is one ConfigurationError naming the file and the fix.
    with pytest.raises(ConfigurationError) as raised:
        SadTalkerEngine().unavailable(TalkOptions(engine="sadtalker", strict=True), Settings(sadtalker_dir=folder))
    message = str(raised.value)
    assert expected in message
    assert message.startswith(f"the SadTalker checkpoints in {folder} cannot be used:")
    assert "Fix: put the files of the SadTalker v0.0.2 release" in message

    # ... and from the command line, exit status 2 with that message.
    code = cli.main(
        [
            "say",
            "Hi.",
            "--engine",
            "sadtalker",
            "--strict",
            "--sadtalker-dir",
            str(folder),
            "--size",
            "128",
            "--captions",
            "none",
            "-o",
            str(tmp_path / "strict.mp4"),
        ]
    )
    assert code == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "strict.mp4").exists()

    # Without strict (engine auto), the next engine makes the video and the reason is on record.
    result = talk(
        text="Hi.",
        output=tmp_path / "fallback.mp4",
        options=TalkOptions(size=128, captions="none"),
        settings=Settings(sadtalker_dir=folder),
    )
    assert result.engine != "sadtalker" and result.fallback
    assert result.fallback_reason.startswith("sadtalker: the SadTalker checkpoints in")
    assert expected in result.fallback_reason
    assert (tmp_path / "fallback.mp4").stat().st_size > 0


def test_every_problem_is_listed_at_once(broken, tmp_path):
    """Two broken files: both are named in the one error."""
    folder = tmp_path / "two_broken"
    folder.mkdir()
    html_page(folder, folder / MAIN)
    (folder / CROP_MAPPING).symlink_to(broken["mapping cut"] / CROP_MAPPING)
    with pytest.raises(ConfigurationError) as raised:
        SadTalkerEngine().unavailable(TalkOptions(), Settings(sadtalker_dir=folder))
    lines = [line for line in str(raised.value).splitlines() if line.startswith("  - ")]
    assert [line.split(":")[0] for line in lines] == [f"  - {folder / MAIN}", f"  - {folder / CROP_MAPPING}"]


def test_missing_folder_and_unconfigured(tmp_path):
    engine = SadTalkerEngine()
    assert "--sadtalker-dir" in engine.unavailable(TalkOptions(), Settings(sadtalker_dir=None))
    with pytest.raises(ConfigurationError, match="does not exist"):
        engine.unavailable(TalkOptions(), Settings(sadtalker_dir=tmp_path / "nowhere"))


def test_good_folder_passes_and_full_mode_needs_its_own_mapping(sadtalker_dir, tmp_path):
    engine = SadTalkerEngine()
    assert engine.unavailable(TalkOptions(), Settings(sadtalker_dir=sadtalker_dir)) is None
    assert engine.unavailable(TalkOptions(sadtalker_preprocess="full"), Settings(sadtalker_dir=sadtalker_dir)) is None
    # crop mode does not read the full-mode mapping file, so its absence does not stop it ...
    for name in (MAIN, CROP_MAPPING):
        (tmp_path / name).symlink_to(sadtalker_dir / name)
    assert engine.unavailable(TalkOptions(), Settings(sadtalker_dir=tmp_path)) is None
    # ... but full mode needs it.
    with pytest.raises(ConfigurationError, match="mapping_00109-model.pth.tar: missing"):
        engine.unavailable(TalkOptions(sadtalker_preprocess="full"), Settings(sadtalker_dir=tmp_path))


@pytest.mark.parametrize("batch_size", [0, 257])
def test_a_batch_size_out_of_range_is_refused_naming_its_flag(sadtalker_dir, batch_size):
    with pytest.raises(ConfigurationError, match="--batch-size.*between 1 and 256"):
        SadTalkerEngine().unavailable(
            TalkOptions(), Settings(sadtalker_dir=sadtalker_dir, sadtalker_batch_size=batch_size)
        )


def test_the_512_networks_are_used_for_large_frames_when_present(sadtalker_dir, tmp_path):
    from talking_head.engines.sadtalker.checkpoints import choose_files

    assert choose_files(sadtalker_dir, 512, 70).main.name == "SadTalker_V0.0.2_512.safetensors"
    assert choose_files(sadtalker_dir, 0, 70).main.name == MAIN  # size 0: the 256 networks
    assert choose_files(sadtalker_dir, 384, 73).mapping.name == FULL_MAPPING
    (tmp_path / MAIN).symlink_to(sadtalker_dir / MAIN)
    assert choose_files(tmp_path, 1024, 70).main.name == MAIN  # no _512 file: the 256 one


def test_without_torch_the_engine_says_how_to_install_it(sadtalker_dir, monkeypatch):
    from talking_head.engines.sadtalker import engine as engine_module

    real_find_spec = engine_module.importlib.util.find_spec
    monkeypatch.setattr(
        engine_module.importlib.util,
        "find_spec",
        lambda name, *a: None if name == "torch" else real_find_spec(name, *a),
    )
    reason = SadTalkerEngine().unavailable(TalkOptions(), Settings(sadtalker_dir=sadtalker_dir))
    assert reason == "torch not installed: pip install 'talking-head[sadtalker]'"
