"""Recorded speech in any common format becomes the video's audio, unchanged in time."""

from fractions import Fraction

import av
import numpy as np
import pytest

from talking_head.evaluate.decode import probe, read_audio_16k
from talking_head.pipeline import TalkOptions, talk
from talking_head.speech import speech_from_audio
from talking_head.speech.audio import resample

FORMATS = [
    ("mp3", "mp3", "libmp3lame", 44100, "stereo"),
    ("ogg", "ogg", "libopus", 48000, "mono"),
    ("flac", "flac", "flac", 22050, "stereo"),
    ("m4a", "mp4", "aac", 32000, "mono"),
    ("webm", "webm", "libopus", 48000, "stereo"),
]


def encode(source_16k: np.ndarray, path, container_format: str, codec: str, rate: int, layout: str) -> None:
    """Write the speech to `path` with PyAV, resampled and in the given layout."""
    audio = resample(source_16k, 16000, rate)
    channels = 2 if layout == "stereo" else 1
    planes = np.repeat(audio[None, :], channels, axis=0).astype(np.float32)
    with av.open(str(path), "w", format=container_format) as out:
        stream = out.add_stream(codec, rate=rate, layout=layout)
        chunk = 4096
        for start in range(0, planes.shape[1], chunk):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(planes[:, start : start + chunk]), format="fltp", layout=layout
            )
            frame.sample_rate = rate
            frame.pts = start
            frame.time_base = Fraction(1, rate)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


@pytest.fixture(scope="module")
def recording(human_speech):
    wav, text = min(human_speech, key=lambda item: item[0].stat().st_size)
    speech = speech_from_audio(wav)
    return speech.audio_16k, text


@pytest.mark.parametrize("ext,container_format,codec,rate,layout", FORMATS)
def test_audio_file_formats(ext, container_format, codec, rate, layout, recording, tmp_path):
    source_16k, text = recording
    path = tmp_path / f"speech.{ext}"
    encode(source_16k, path, container_format, codec, rate, layout)
    speech = speech_from_audio(path, text)
    assert speech.alignment == "forced"
    assert abs(speech.duration_s - len(source_16k) / 16000) < 0.1
    out = tmp_path / "talk.mp4"
    talk(audio=path, text=text, output=out, options=TalkOptions(engine="still", size=128))
    streams = probe(out)
    assert streams.audio is not None
    assert abs(streams.video.frames / 25 - speech.duration_s) <= 1 / 25 + 1e-6
    decoded, _ = read_audio_16k(out)
    n = min(len(decoded), len(source_16k))

    # The same speech, at the same time (codecs change the waveform, not its envelope).
    def env(a):
        return np.sqrt(np.convolve(a[:n] ** 2, np.ones(400) / 400, mode="same"))

    assert np.corrcoef(env(decoded), env(source_16k))[0, 1] > 0.9
