"""`talking-head say ... --engine sadtalker --strict` with synthetic checkpoints: a valid MP4, judged decoded.

The picture is noise (random weights); format, duration and audio/video
alignment are what is checked. A low frame rate keeps the CPU render short.
"""

from __future__ import annotations

import json
import subprocess
import sys

import av
import pytest

pytestmark = pytest.mark.torch  # needs PyTorch: where it is not installed, run with -m "not torch"
pytest.importorskip("torch", reason="torch is not installed: pip install 'talking-head[sadtalker]'")

FPS = 5


def test_say_with_sadtalker_makes_a_valid_mp4(sadtalker_dir, tmp_path):
    video = tmp_path / "hello.mp4"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "talking_head.cli",
            "say",
            "Hi.",  # three frames at FPS: each takes seconds on a CPU
            "--engine",
            "sadtalker",
            "--strict",
            "--sadtalker-dir",
            str(sadtalker_dir),
            "--size",
            "256",
            "--fps",
            str(FPS),
            "--batch-size",
            "4",
            "--captions",
            "none",
            "--json",
            "-o",
            str(video),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert record["engine"] == "sadtalker" and not record["fallback"] and record["fallback_reason"] is None
    assert (record["width"], record["height"], record["fps"]) == (256, 256, FPS)

    with av.open(str(video)) as container:
        video_stream, audio_stream = container.streams.video[0], container.streams.audio[0]
        assert video_stream.codec_context.name == "h264"
        assert video_stream.codec_context.pix_fmt == "yuv420p"
        assert audio_stream.codec_context.name == "aac"
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
        container.seek(0)
        audio_s = sum(frame.samples for frame in container.decode(audio=0)) / audio_stream.codec_context.sample_rate
    assert len(frames) == record["frames"] >= 2
    assert frames[0].shape == (256, 256, 3)
    video_s = len(frames) / FPS
    assert abs(video_s - audio_s) <= 1 / FPS + 0.05, (video_s, audio_s)  # one frame, plus AAC priming
    assert abs(video_s - record["duration_s"]) < 1e-6
    assert max(float(frame.std()) for frame in frames) > 5  # something was drawn
