"""Intelligibility: what PocketSphinx hears in the audio track, and its word error rate.

The WER is a property of the speech and the recogniser together: PocketSphinx
mishears even clean speech (a few tens of percent on TTS), so the number is for
comparing runs, not an absolute grade. The audio is cut at pauses into pieces
of at most `PIECE_S`, as the recogniser is faster and steadier on short utterances.
"""

from __future__ import annotations

import numpy as np

from ..speech.align import recognize_words
from ..speech.audio import split_at_pauses
from ..speech.transcript import spoken_words

PIECE_S = 20.0


def transcribe(audio_16k: np.ndarray) -> str:
    pieces = [recognize_words(audio_16k[a:b]) for a, b in split_at_pauses(audio_16k, PIECE_S)]
    return " ".join(p for p in pieces if p).strip()


def word_errors(reference: list[str], hypothesis: list[str]) -> int:
    """Levenshtein distance in words (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1]


def word_error_rate(reference_text: str, hypothesis_text: str) -> float | None:
    """Word errors over the number of reference words (as spoken: digits spelled out); None without words."""
    reference = spoken_words(reference_text)
    if not reference:
        return None
    return round(word_errors(reference, spoken_words(hypothesis_text)) / len(reference), 4)
