"""Bad input: a clear one-line reason, exit code 2, and nothing left behind."""

import subprocess
import sys
import wave

import numpy as np
import pytest

from talking_head.errors import InputError
from talking_head.pipeline import TalkOptions, talk


def run_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "talking_head.cli", "say", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def silent_wav(path, seconds=2.0, rate=16000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.zeros(int(seconds * rate), "<i2").tobytes())


@pytest.fixture
def bad_files(tmp_path, default_face):
    files = {}
    files["text_file"] = tmp_path / "notes.png"
    files["text_file"].write_text("this is not an image")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(default_face.read_bytes()[:5000])
    files["truncated_image"] = truncated
    files["silent"] = tmp_path / "silent.wav"
    silent_wav(files["silent"])
    files["not_audio"] = tmp_path / "speech.mp3"
    files["not_audio"].write_text("hello, I am not audio")
    empty_audio = tmp_path / "empty.wav"
    silent_wav(empty_audio, seconds=0.0)
    files["empty_audio"] = empty_audio
    return files


CASES = [
    ("empty text", lambda f: [""], "text is empty"),
    ("whitespace text", lambda f: ["   \n\t "], "text is empty"),
    ("text over the limit", lambda f: ["word " * 20, "--max-text-chars", "50"], "over the limit of 50"),
    ("missing image", lambda f: ["hi", "--image", "nowhere/me.jpg"], "image not found"),
    ("not an image", lambda f: ["hi", "--image", str(f["text_file"])], "not an image"),
    ("truncated image", lambda f: ["hi", "--image", str(f["truncated_image"])], "damaged or truncated"),
    ("missing audio", lambda f: ["--audio", "nowhere/talk.wav"], "audio file not found"),
    ("not audio", lambda f: ["--audio", str(f["not_audio"])], "as audio"),
    ("silent audio", lambda f: ["--audio", str(f["silent"])], "silent"),
    ("empty audio", lambda f: ["--audio", str(f["empty_audio"])], "no audio"),
    ("nothing to say", lambda f: [], "give the words to speak"),
    ("bad size", lambda f: ["hi", "--size", "63"], "size must be"),
]


@pytest.mark.parametrize("name,args,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_exits_2_with_a_reason_and_no_output(name, args, message, bad_files, tmp_path):
    out = tmp_path / "out.mp4"
    proc = run_cli(*args(bad_files), "-o", str(out), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0].lower(), proc.stderr
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith((".out", "out"))]
    assert leftovers == []


def test_photo_without_a_face(tmp_path):
    from PIL import Image

    landscape = tmp_path / "sky.png"
    gradient = np.linspace(0, 255, 320 * 240 * 3).reshape(240, 320, 3).astype(np.uint8)
    Image.fromarray(gradient).save(landscape)
    with pytest.raises(InputError, match="no face found") as error:
        talk(text="hello", image=landscape, output=tmp_path / "out.mp4")
    assert error.value.field == "image"
    assert list(tmp_path.glob("*.mp4")) == [] and list(tmp_path.glob(".*partial")) == []


def test_output_must_be_mp4_in_an_existing_folder(tmp_path):
    with pytest.raises(InputError, match=".mp4"):
        talk(text="hello", output=tmp_path / "out.avi", options=TalkOptions(engine="still"))
    with pytest.raises(InputError, match="does not exist"):
        talk(text="hello", output=tmp_path / "missing" / "out.mp4", options=TalkOptions(engine="still"))


def test_existing_output_is_kept_when_a_new_run_fails(tmp_path):
    out = tmp_path / "keep.mp4"
    out.write_bytes(b"an earlier video")
    with pytest.raises(InputError):
        talk(text="", output=out)
    assert out.read_bytes() == b"an earlier video"


def test_an_internal_failure_is_one_line_and_verbose_shows_its_traceback(tmp_path):
    """A bug (here: face analysis replaced by one that raises): exit 1 and one line; -v adds the traceback."""
    script = (
        "import sys\n"
        "def broken(*args, **kwargs): raise RuntimeError('the face models are broken')\n"
        "import talking_head.pipeline as p; p.analyze_face = broken\n"
        "from talking_head.cli import main; sys.exit(main(sys.argv[1:]))\n"
    )
    quiet = subprocess.run(
        [sys.executable, "-c", script, "say", "Hi.", "-o", str(tmp_path / "q.mp4")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert quiet.returncode == 1 and quiet.stderr.strip().splitlines() == [
        "internal error: RuntimeError: the face models are broken"
    ], quiet.stderr
    verbose = subprocess.run(
        [sys.executable, "-c", script, "say", "Hi.", "-v", "-o", str(tmp_path / "v.mp4")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert verbose.returncode == 1, verbose.stderr
    # The traceback ends in `broken` with its error, whatever the Python version prints between the
    # frames (3.13 adds the source line and ^^^^ markers under it).
    lines = verbose.stderr.splitlines()
    assert "Traceback (most recent call last):" in lines, verbose.stderr
    assert "RuntimeError: the face models are broken" in lines, verbose.stderr
    start = lines.index("Traceback (most recent call last):")
    error = lines.index("RuntimeError: the face models are broken", start)
    frames = [line.strip() for line in lines[start:error] if line.lstrip().startswith('File "')]
    assert frames and frames[-1].endswith(", in broken"), verbose.stderr
