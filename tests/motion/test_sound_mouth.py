"""The mouth read from sound as it streams, a frame at a time with 20 ms of look-ahead."""

from __future__ import annotations

import numpy as np

from talking_head.motion.sound_mouth import StreamingMouth
from talking_head.speech import speech_from_text
from talking_head.speech.audio import frame_rms, read_audio, resample
from talking_head.speech.sound import frame_features
from talking_head.speech.timeline import Phone

FPS = 25
SPF = 16000 // FPS


def stream(audio_16k: np.ndarray, phones: list[Phone] | None = None) -> dict[str, np.ndarray]:
    mouth = StreamingMouth(FPS)
    out: dict[str, list[float]] = {}
    for k in range(len(audio_16k) // SPF):
        frame = audio_16k[k * SPF : (k + 1) * SPF]
        ahead = audio_16k[(k + 1) * SPF : (k + 1) * SPF + mouth.lookahead_samples]
        here = None if phones is None else [Phone(p.label, p.start - k / FPS, p.end - k / FPS) for p in phones]
        for name, value in mouth.frame(frame, ahead, here).items():
            out.setdefault(name, []).append(value)
    return {name: np.array(values) for name, values in out.items()}


def test_the_jaw_follows_the_loudness_of_recorded_speech():
    for path in ("../shared/speech/librivox_sense_and_sensibility_0880.wav", "../shared/footage/RD_Radio36_000.wav"):
        audio, rate = read_audio(path)
        audio_16k = resample(audio[: 5 * rate], rate, 16000)
        jaw = stream(audio_16k)["jaw"]
        rms = frame_rms(audio_16k, FPS, len(jaw))
        assert np.corrcoef(jaw, rms)[0, 1] > 0.5, path


def test_quiet_noise_after_speech_keeps_the_mouth_closed():
    audio, rate = read_audio("../shared/speech/librivox_sense_and_sensibility_0880.wav")
    noise = np.random.default_rng(0).standard_normal(16000).astype(np.float32) * 1e-3  # -60 dBFS hiss
    mouth = stream(np.concatenate([audio[: 2 * rate], noise]))
    assert mouth["jaw"][: 2 * FPS].max() > 0.3
    assert mouth["jaw"][2 * FPS :].max() < 0.03  # closed (1 is a wide "ah") within a frame of the speech ending
    assert mouth["jaw"][2 * FPS + 3 :].max() < 0.01


def test_the_voices_own_phones_close_the_lips_on_every_bilabial():
    speech = speech_from_text("Bob put the map by my lamp.")
    bilabials = [p for p in speech.phones if p.label in ("P", "B", "M")]
    assert len(bilabials) >= 6
    mouth = stream(speech.audio_16k, speech.phones)
    for phone in bilabials:
        frames = range(int(phone.start * FPS) - 1, int(phone.end * FPS) + 2)
        assert max(mouth["lip_press"][k] for k in frames if k < len(mouth["lip_press"])) >= 0.9, phone


def test_keeping_the_reading_of_what_was_heard_gives_the_same_mouth_as_reading_each_window_afresh(monkeypatch):
    """The stream keeps the per-10-ms features of its history from frame to frame; every frame's mouth must
    be the one that reading its whole window again gives (silent frames and a late frame included)."""
    audio, rate = read_audio("../shared/footage/RD_Radio36_000.wav")
    audio_16k = resample(audio[: 4 * rate], rate, 16000)
    frames = [audio_16k[k * SPF : (k + 1) * SPF] for k in range(len(audio_16k) // SPF)]

    def run() -> list[dict]:
        mouth, out = StreamingMouth(FPS), []
        for k, frame in enumerate(frames):
            if k in (20, 21, 70):  # listening between, or audio that came late
                out.append(mouth.rest(SPF))
            ahead = audio_16k[(k + 1) * SPF : (k + 1) * SPF + (mouth.lookahead_samples if k != 40 else 100)]
            out.append(mouth.frame(frame, ahead))
        return out

    kept = run()
    monkeypatch.setattr(StreamingMouth, "_features", lambda self, window, start, samples: frame_features(window))
    afresh = run()
    assert len(kept) == len(afresh) and kept == afresh
