"""`talking-head say --stream`: a fragmented MP4 on standard output, written as it is made."""

import os
import subprocess
import sys
import time

from talking_head.evaluate.decode import probe, top_level_boxes


def test_say_stream_writes_a_playable_mp4_to_stdout_as_it_goes(tmp_path):
    command = [
        sys.executable,
        "-m",
        "talking_head.cli",
        "say",
        "Hello there, this is streamed. Goodbye now.",
        "--stream",
        "--size",
        "128",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy())
    chunks, arrived = [], []
    while chunk := process.stdout.read1(1 << 16):
        chunks.append(chunk)
        arrived.append(time.monotonic())
    ended = time.monotonic()
    assert process.wait(60) == 0, process.stderr.read().decode()
    assert b"streamed" in process.stderr.read()
    path = tmp_path / "streamed.mp4"
    path.write_bytes(b"".join(chunks))
    assert top_level_boxes(path)[:3] == ["ftyp", "moov", "moof"]
    streams = probe(path)
    assert streams.video.width == 128 and streams.audio.codec == "aac"
    assert 2.0 < streams.video.duration_s < 6.0
    # Paced in real time: the first fragments were out long before the last.
    assert len(chunks) >= 5 and ended - arrived[1] > streams.video.duration_s / 3


def test_say_stream_refuses_what_it_cannot_stream(tmp_path):
    recording = tmp_path / "talk.wav"
    recording.write_bytes(b"RIFF")
    for extra, words in ((["--audio", str(recording)], "recording"), (["--engine", "sadtalker"], "builtin")):
        done = subprocess.run(
            [sys.executable, "-m", "talking_head.cli", "say", "Hi.", "--stream", *extra],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 2 and words in done.stderr.decode() and not done.stdout
