"""The MP4 itself: codecs, layout, audio/video sync to the sample, duration, captions."""

import wave

import av
import numpy as np
import pytest

from talking_head.evaluate.decode import probe
from talking_head.pipeline import TalkOptions, talk
from talking_head.speech.timeline import Word
from talking_head.video.captions import format_captions
from talking_head.video.encoder import VideoWriter, partial_path

FPS = 25


def write_wav(path, audio: np.ndarray, rate: int) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes())


def decoded_audio(path) -> tuple[np.ndarray, int, float]:
    """Audio as a player hears it: mono samples, rate, and the time of the first sample."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        pieces, start = [], None
        for frame in container.decode(stream):
            if start is None:
                start = float(frame.pts * frame.time_base)
            pieces.append(frame.to_ndarray().mean(axis=0))
        return np.concatenate(pieces), stream.rate, start


@pytest.mark.parametrize("rate", [16000, 22050, 44100])
def test_a_click_is_heard_when_it_was_made(rate, tmp_path):
    click_at = 1.2345
    audio = np.random.default_rng(1).normal(0, 0.01, int(rate * 3.0)).astype(np.float32)
    i = int(click_at * rate)
    audio[i : i + 8] = 0.95
    source = tmp_path / "click.wav"
    write_wav(source, audio, rate)
    out = tmp_path / "click.mp4"
    result = talk(audio=source, output=out, options=TalkOptions(engine="still", size=128, fps=FPS))
    samples, out_rate, start = decoded_audio(out)
    heard_at = start + int(np.argmax(np.abs(samples))) / out_rate
    assert abs(heard_at - click_at) <= 0.005, f"click heard at {heard_at:.4f} s, made at {click_at} s"
    assert abs(result.duration_s - 3.0) <= 1 / FPS


def test_stream_properties_and_duration(tmp_path):
    out = tmp_path / "hello.mp4"
    result = talk(text="Hello there. This is a short test.", output=out, options=TalkOptions(engine="still", size=128))
    streams = probe(out)
    assert streams.video.codec == "h264"
    assert streams.video.pixel_format == "yuv420p"
    assert streams.audio is not None and streams.audio.codec == "aac"
    assert streams.moov_before_mdat is True
    assert (streams.video.width, streams.video.height) == (128, 128)
    assert abs(streams.video.frames / FPS - streams.audio.duration_s) <= 1 / FPS + 0.03
    assert streams.video.frames == result.frames
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0))
    # Tagged BT.709, limited range: browsers and decoders agree on the colours.
    assert (frame.colorspace, frame.color_primaries, frame.color_trc, frame.color_range) == (1, 1, 1, 1)


def test_frames_are_streamed_and_a_failed_write_leaves_nothing(tmp_path):
    out = tmp_path / "broken.mp4"
    audio = np.zeros(16000, np.float32)
    with pytest.raises(RuntimeError):
        with VideoWriter(out, 64, 64, FPS, audio, 16000) as writer:
            for _ in range(10):
                writer.write(np.zeros((64, 64, 3), np.uint8))
            raise RuntimeError("engine crashed")
    assert not out.exists() and not partial_path(out).exists()


def test_captions_written_beside_the_video(tmp_path):
    out = tmp_path / "talk.mp4"
    result = talk(
        text="Captions are written beside the video.",
        output=out,
        options=TalkOptions(engine="still", size=128, captions="srt"),
    )
    assert result.captions_path == out.with_suffix(".srt")
    text = result.captions_path.read_text()
    assert text.startswith("1\n00:00:")
    assert "Captions are written beside the video." in text.replace("\n", " ")


def test_caption_format_vtt():
    words = [Word("hello", 0.0, 0.4), Word("world", 0.45, 0.9), Word("again", 2.0, 2.5)]
    vtt = format_captions(words, "vtt")
    assert vtt.splitlines()[:4] == ["WEBVTT", "", "00:00:00.000 --> 00:00:00.900", "hello world"]
    assert "00:00:02.000 --> 00:00:02.500\nagain" in vtt


@pytest.mark.parametrize("width, height", [(128, 128), (130, 126)])
def test_colours_come_back_as_they_were_drawn(tmp_path, width, height):
    colours = np.array([[200, 40, 40], [40, 180, 60], [50, 70, 210], [128, 128, 128]], np.uint8)
    frame = np.zeros((height, width, 3), np.uint8)
    for k, colour in enumerate(colours):  # four flat quadrants
        frame[(k // 2) * height // 2 : (k // 2 + 1) * height // 2, (k % 2) * width // 2 : (k % 2 + 1) * width // 2] = (
            colour
        )
    out = tmp_path / "colours.mp4"
    with VideoWriter(out, width, height, FPS, np.zeros(16000, np.float32), 16000) as writer:
        for _ in range(5):
            writer.write(frame)
    with av.open(str(out)) as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24", dst_colorspace="ITU709")
    for k, colour in enumerate(colours):
        y, x = (k // 2) * height // 2 + height // 4, (k % 2) * width // 2 + width // 4
        assert np.abs(decoded[y, x].astype(int) - colour).max() <= 4, (k, decoded[y, x], colour)
