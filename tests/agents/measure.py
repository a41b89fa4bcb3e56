"""What both adapters' tests measure on the frames they get back: the mouth, and the audio each frame carries."""

from __future__ import annotations

import numpy as np

from talking_head.evaluate.lipsync import lipsync
from talking_head.evaluate.tracking import FaceSeries, FaceTracker
from talking_head.speech.audio import read_audio

SPEECH = "../shared/speech/librivox_sense_and_sensibility_0880.wav"  # 16 kHz mono
SIZE = 256
CHUNK_S = 0.02  # agents' TTS audio comes in 10-40 ms frames


def recorded_speech(seconds: float) -> tuple[np.ndarray, int]:
    """The start of a real recording as 16-bit samples, and its rate."""
    audio, rate = read_audio(SPEECH)
    return np.clip(np.round(audio[: int(seconds * rate)] * 32768), -32768, 32767).astype(np.int16), rate


def chunks(pcm: np.ndarray, rate: int) -> list[np.ndarray]:
    step = int(rate * CHUNK_S)
    return [pcm[i : i + step] for i in range(0, len(pcm), step)]


def openings(images: list[np.ndarray]) -> np.ndarray:
    """Mouth opening per image (inner-lip gap over inter-ocular distance), found by the face landmarker."""
    tracker, series = FaceTracker(), FaceSeries()
    for k, image in enumerate(images):
        series.append(float(k), tracker.find(image))
    return series.opening


def sync(images: list[np.ndarray], sounds: list[np.ndarray]) -> dict:
    """Lip sync of frames against the sound each carries: r, best r and its lag (THEval's measure)."""
    envelope = np.array([np.sqrt(np.mean(np.square(s, dtype=np.float64))) if len(s) else 0.0 for s in sounds])
    return lipsync(openings(images), envelope)
