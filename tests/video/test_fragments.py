"""The fragmented MP4 writer: one playable stream, handed out fragment by fragment, in sync."""

import io

import av
import numpy as np
import pytest

from talking_head.evaluate.decode import top_level_boxes
from talking_head.video.fragments import FRAGMENT_S, FragmentWriter

FPS, RATE, SIDE = 25, 22050, 128
CLICK_S = 1.0


def _stream(tmp_path, seconds: float = 2.4, rate: int = RATE, low_latency: bool = False, audio_codec: str = "aac"):
    """Black frames with one white frame, silence with one click at the same moment."""
    chunks, frames_when = [], []
    writer = FragmentWriter(chunks.append, SIDE, SIDE, FPS, rate, low_latency, audio_codec)
    audio = np.zeros(int(seconds * rate), np.float32)
    audio[int(CLICK_S * rate)] = 0.9
    writer.add_audio(audio)
    for i in range(int(seconds * FPS)):
        frame = np.full((SIDE, SIDE, 3), 255 if i == int(CLICK_S * FPS) else 0, np.uint8)
        writer.write(frame)
        frames_when.append(len(chunks))
    before_close = len(chunks)
    writer.close()
    path = tmp_path / "stream.mp4"
    path.write_bytes(b"".join(chunks))
    return path, chunks, frames_when, before_close


def test_the_stream_is_one_fragmented_mp4_that_leaves_as_it_is_made(tmp_path):
    path, _, frames_when, before_close = _stream(tmp_path)
    boxes = top_level_boxes(path)
    assert boxes[:2] == ["ftyp", "moov"]
    assert boxes.count("moof") >= 5 and "mdat" in boxes
    # Bytes leave while frames are still being written, not only at the end.
    assert before_close >= 5 and frames_when[FPS // 2] > 1
    with av.open(str(path)) as container:
        keys = [float(p.pts * p.time_base) for p in container.demux(video=0) if p.pts is not None and p.is_keyframe]
    assert len(keys) >= 5
    assert max(np.diff(keys)) <= FRAGMENT_S + 1e-6 and max(np.diff(keys)) <= 0.5


@pytest.mark.parametrize(
    "rate, low_latency, codec",
    [(RATE, False, "aac"), (16000, True, "aac"), (48000, True, "aac"), (48000, True, "opus")],
)
def test_a_click_is_heard_with_the_frame_it_was_made_with(tmp_path, rate, low_latency, codec):
    path, *_ = _stream(tmp_path, rate=rate, low_latency=low_latency, audio_codec=codec)
    with av.open(str(path)) as container:
        pieces, start = [], None
        for frame in container.decode(audio=0):
            start = float(frame.pts * frame.time_base) if start is None else start
            pieces.append(frame.to_ndarray()[0])
    audio = np.concatenate(pieces)
    click = start + np.argmax(np.abs(audio)) / rate
    with av.open(str(path)) as container:
        white = [
            float(f.pts * f.time_base) for f in container.decode(video=0) if f.to_ndarray(format="gray").mean() > 128
        ]
    assert len(white) == 1
    assert abs(click - white[0]) < 0.5 / FPS, f"click at {click:.4f} s, white frame at {white[0]:.4f} s"


def test_low_latency_fragments_leave_with_each_frame(tmp_path):
    """At 48 kHz an AAC packet comes within every frame: each frame leaves during its own write."""
    path, chunks, frames_when, _ = _stream(tmp_path, rate=48000, low_latency=True)
    with av.open(str(path)) as container:
        assert len([f for f in container.decode(video=0)]) == int(2.4 * FPS)
    # Past the start (the first frames wait for the first audio packet), bytes leave on every write.
    assert all(later > earlier for earlier, later in zip(frames_when[5:], frames_when[6:]))


def _video_frames_in(chunks: list[bytes]) -> int:
    data = b"".join(chunks)
    if b"moof" not in data:  # the init segment alone (or nothing yet)
        return 0
    with av.open(io.BytesIO(data)) as container:
        return sum(1 for p in container.demux(video=0) if p.pts is not None)


@pytest.mark.parametrize("codec, later", [("aac", 1), ("opus", 0)])
def test_a_low_latency_frame_leaves_during_the_next_write_with_aac_and_its_own_with_opus(codec, later):
    """AAC's packets come 2048 samples after their sound, and the muxer passes a picture on once audio past
    it comes: frame k leaves while frame k + 1 is written. Opus packets of 10 ms come at once."""
    chunks: list[bytes] = []
    writer = FragmentWriter(chunks.append, SIDE, SIDE, FPS, 48000, low_latency=True, audio_codec=codec)
    rng = np.random.default_rng(0)
    out = []
    for i in range(12):
        writer.add_audio(rng.standard_normal(48000 // FPS).astype(np.float32) * 0.1)
        writer.write(np.full((SIDE, SIDE, 3), 20 * i, np.uint8))
        out.append(_video_frames_in(chunks))
    writer.close()
    # After the first frames (which wait for the first audio packet): frames 0..k-later are out after write k.
    assert out[3:] == [k + 1 - later for k in range(3, 12)]


def test_opus_is_48_khz_only():
    with pytest.raises(ValueError, match="48000"):
        FragmentWriter(lambda data: None, SIDE, SIDE, FPS, 24000, low_latency=True, audio_codec="opus")
