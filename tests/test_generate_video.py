"""The original call keeps working, with the default face or a given photo."""

from pathlib import Path
from urllib.parse import urlparse

from talking_head.evaluate.decode import probe
from talking_head.generate_video import generate_talking_video

KEYS = {"video_url", "video_path", "engine", "fallback", "fallback_reason", "duration_s", "timings", "captions_path"}


def check_record(result: dict) -> None:
    assert KEYS <= set(result)
    assert result["video_url"].startswith("file://")
    path = Path(urlparse(result["video_url"]).path)
    assert path == Path(result["video_path"]).resolve() and path.is_file()
    streams = probe(path)
    assert streams.video.codec == "h264" and streams.audio.codec == "aac"
    assert abs(streams.video.frames / 25 - result["duration_s"]) < 1e-6
    assert Path(result["captions_path"]).read_text().startswith("WEBVTT")
    assert {"face", "tts", "motion", "render", "encode", "total"} <= set(result["timings"])


def test_default_face(tmp_path):
    result = generate_talking_video(
        text_content="Hello, I am a talking head video.",
        source_image_path=None,
        output_path=tmp_path / "default.mp4",
        size=256,
    )
    check_record(result)
    assert result["engine"] == "builtin" and result["fallback"] is False and result["fallback_reason"] is None


def test_given_photo_and_default_output_folder(data_dir):
    from talking_head.pipeline import DEFAULT_FACE

    result = generate_talking_video(text_content="A photo of my own.", source_image_path=str(DEFAULT_FACE), size=128)
    check_record(result)
    Path(result["video_path"]).unlink()
    Path(result["captions_path"]).unlink()
