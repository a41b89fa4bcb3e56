"""The mouth read from sound as it streams: each frame from what was heard so far and a short look-ahead.

A voice agent's audio arrives a few milliseconds at a time, so the mouth of
a frame cannot wait for the whole utterance. The recordings' reading
(`speech.sound`: resonances, hiss and closures become phones) and the
coarticulated mouth shapes (`visemes`) run over a short window that ends
`lookahead_s` after the frame: the history gives the speaker's resonance
range and the context the lips blend across, the look-ahead lets them
anticipate the next sound. Every millisecond of look-ahead is a millisecond
of latency. Loudness is judged against the stream's running speech level,
not the window's own, so a pause keeps the mouth closed.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from ..speech.audio import ANALYSIS_RATE
from ..speech.sound import HOP, frame_count, frame_features, read_phones
from ..speech.timeline import Phone
from .visemes import SILENCE_DB, mouth_track

LOOKAHEAD_S = 0.02  # audio heard after a frame before its mouth is read (as good as 40 ms on our recordings)
HISTORY_S = 2.0  # audio before it that the reading sees (the speaker's range, the context)
LEVEL_MEMORY_S = 10.0  # the loud speech level: 90th percentile of this much recent speech
MIN_LEVEL = 0.02  # RMS full scale; a quieter "loud level" is noise, not speech
PRIOR_LEVEL = 0.1  # RMS full scale of loud speech assumed before any is heard (-20 dBFS)
PRIOR_S = 1.0  # ...until this much has been: the first words are not judged against themselves alone
MOUTH = ("jaw", "lip_width", "lip_press", "lip_tuck", "tongue")


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if len(audio) else 0.0


class StreamingMouth:
    """Mouth channels for consecutive frames of one stream, given each frame's 16 kHz audio as it is shown."""

    def __init__(self, fps: int, lookahead_s: float = LOOKAHEAD_S, history_s: float = HISTORY_S):
        self.fps = fps
        self.lookahead_s = lookahead_s
        self._history: deque[np.ndarray] = deque(maxlen=max(1, round(history_s * fps)))
        self._levels: deque[float] = deque(maxlen=round(LEVEL_MEMORY_S * fps))
        self._prior_frames = round(PRIOR_S * fps)
        self._heard = 0  # samples gone into the history so far
        # The reading's per-10-ms features of the history already heard, kept from frame to frame (the
        # window slides by a frame, and each row depends on its own 32 ms alone): the row of the window
        # opening at sample `_kept_from` of the stream first.
        self._kept = np.zeros((0, 5))
        self._kept_from = 0

    @property
    def lookahead_samples(self) -> int:
        """16 kHz samples wanted after a frame before its mouth is read."""
        return round(self.lookahead_s * ANALYSIS_RATE)

    def frame(self, audio_16k: np.ndarray, ahead_16k: np.ndarray, phones: list[Phone] | None = None) -> dict:
        """The mouth of the next frame, whose sound is `audio_16k`, with `ahead_16k` heard after it.

        `phones`, when the voice gave its own timing, are in seconds from this frame's start and
        replace the reading of the sound.
        """
        level = _rms(audio_16k)
        if level >= MIN_LEVEL * 10 ** (SILENCE_DB / 20):
            self._levels.append(level)
        heard = [*self._levels, *[PRIOR_LEVEL] * (self._prior_frames - len(self._levels))]
        loud = max(float(np.percentile(heard, 90)), MIN_LEVEL)
        history = list(self._history)
        before = sum(len(part) for part in history)
        window = np.concatenate([*history, audio_16k, ahead_16k]).astype(np.float32)
        spf = ANALYSIS_RATE / self.fps
        n = len(history) + 1 + int(np.ceil(len(ahead_16k) / spf))
        if phones is None:
            timeline = read_phones(window, features=self._features(window, self._heard - before, len(audio_16k)))
        else:
            shift = before / ANALYSIS_RATE
            timeline = [Phone(p.label, p.start + shift, p.end + shift) for p in phones]
        mouth = mouth_track(timeline, window, self.fps, n, loud=loud)
        self._remember(np.asarray(audio_16k, np.float32))
        k = len(history)
        return {name: float(mouth[name][k]) for name in MOUTH}

    def rest(self, samples_16k: int) -> dict:
        """A frame of silence (the face listens): the mouth at rest, the history goes on."""
        self._remember(np.zeros(samples_16k, np.float32))
        return dict.fromkeys(MOUTH, 0.0)

    def _remember(self, audio_16k: np.ndarray) -> None:
        self._history.append(audio_16k)
        self._heard += len(audio_16k)

    def _features(self, window: np.ndarray, start: int, frame_samples: int) -> np.ndarray:
        """`frame_features(window)` for a window opening at sample `start` of the stream, the rows over
        history already heard taken from the last frame's; keeps the rows this frame adds to the history."""
        skip = start - self._kept_from
        reused = self._kept[skip // HOP :] if skip >= 0 and skip % HOP == 0 else self._kept[:0]
        reused = reused[: frame_count(len(window))]
        fresh = frame_features(window[len(reused) * HOP :])
        features = np.concatenate([reused, fresh]) if len(reused) else fresh
        # Rows whose 32 ms lie wholly in what will be history once this frame is shown (not the look-ahead).
        settled = frame_count(self._heard + frame_samples - start)
        self._kept, self._kept_from = features[:settled], start
        return features
