"""Fixtures: the control videos (made once per session) and their reports."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from talking_head.engines.framing import frame_face
from talking_head.face import analyze_face, regions
from talking_head.speech.audio import frame_rms
from talking_head.video.encoder import VideoWriter

from .controls import (
    BLINK_SHAPE,
    BLINK_STARTS,
    FPS,
    MAX_DROP_IOD,
    SHAKE_PX,
    SHIFT_FRAMES,
    SIZE,
    eyes_closed,
    jaw_dropped,
    read_speech,
    swayed,
    write_silent_video,
)


@pytest.fixture(scope="session")
def speech_clip(human_speech):
    """(wav, transcript, audio, rate, audio_16k) of the longer LibriVox recording."""
    wav, text = max(human_speech, key=lambda item: item[0].stat().st_size)
    audio, rate, audio_16k = read_speech(wav)
    return wav, text, audio, rate, audio_16k


@pytest.fixture(scope="session")
def framed_face(default_face):
    framing = frame_face(analyze_face(default_face), SIZE)
    return framing.image, framing.landmarks


@pytest.fixture(scope="session")
def controls(tmp_path_factory, speech_clip, framed_face) -> dict[str, Path]:
    """Paths of the control videos, by name."""
    folder = tmp_path_factory.mktemp("controls")
    _, _, audio, rate, audio_16k = speech_clip
    image, landmarks = framed_face
    n = round(len(audio) / rate * FPS)
    env = frame_rms(audio_16k, FPS, n)
    iod = regions.inter_ocular(landmarks)
    drop = MAX_DROP_IOD * iod * env / env.max()
    late = np.concatenate([np.zeros(SHIFT_FRAMES), drop[:-SHIFT_FRAMES]])
    paths = {}
    for name, drops in (("still", np.zeros(n)), ("follow", drop), ("late", late)):
        paths[name] = folder / f"{name}.mp4"
        with VideoWriter(paths[name], SIZE, SIZE, FPS, audio, rate) as writer:
            for d in drops:
                writer.write(jaw_dropped(image, landmarks, float(d)))
    closure = np.zeros(n)
    for start in BLINK_STARTS:
        closure[start : start + len(BLINK_SHAPE)] = BLINK_SHAPE
    paths["blinking"] = folder / "blinking.mp4"
    with VideoWriter(paths["blinking"], SIZE, SIZE, FPS, audio, rate) as writer:
        for amount in closure:
            writer.write(eyes_closed(image, landmarks, float(amount)))
    paths["smooth"] = folder / "smooth.mp4"
    with VideoWriter(paths["smooth"], SIZE, SIZE, FPS, audio[: 4 * rate], rate) as writer:
        for i in range(4 * FPS):
            writer.write(swayed(image, i / FPS, iod))
    paths["shaky"] = folder / "shaky.mp4"
    with VideoWriter(paths["shaky"], SIZE, SIZE, FPS, audio[: 2 * rate], rate) as writer:
        for i in range(2 * FPS):
            shift = np.float32([[1, 0, SHAKE_PX * (i % 2)], [0, 1, SHAKE_PX * (i % 3 == 0)]])
            writer.write(cv2.warpAffine(image, shift, (SIZE, SIZE), borderMode=cv2.BORDER_REPLICATE))
    rng = np.random.default_rng(0)
    noise = (128 + 20 * rng.standard_normal((SIZE, SIZE, 3))).clip(0, 255).astype(np.uint8)
    paths["no_face"] = folder / "no_face.mp4"
    with VideoWriter(paths["no_face"], SIZE, SIZE, FPS, audio, rate) as writer:
        for _ in range(50):
            writer.write(noise)
    paths["silent"] = write_silent_video(folder / "silent.mp4", [image] * 50)
    return paths


@pytest.fixture(scope="session")
def report_of(controls, speech_clip, default_face):
    """evaluate() of a control video against the photo and the transcript, computed once per control."""
    from talking_head.evaluate.report import evaluate

    text = speech_clip[1]
    cache: dict[str, dict] = {}

    def report(name: str) -> dict:
        if name not in cache:
            cache[name] = evaluate(controls[name], source=default_face, text=text)
        return cache[name]

    return report
