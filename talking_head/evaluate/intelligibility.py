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


def transcribe_pieces(audio_16k: np.ndarray) -> list[tuple[int, int, str]]:
    """(start, end in 16 kHz samples, what was heard) for each piece of the audio, cut at pauses."""
    return [(a, b, recognize_words(audio_16k[a:b])) for a, b in split_at_pauses(audio_16k, PIECE_S)]


def transcribe(audio_16k: np.ndarray) -> str:
    return " ".join(text for _, _, text in transcribe_pieces(audio_16k) if text).strip()


def word_alignment(reference: list[str], hypothesis: list[str]) -> list[int | None]:
    """For each reference word, the index of the hypothesis word it is matched or substituted with
    along a minimum-edit path (None for a reference word the recogniser dropped)."""
    n, m = len(reference), len(hypothesis)
    cost = np.zeros((n + 1, m + 1), np.int32)
    cost[:, 0] = np.arange(n + 1)
    cost[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(
                cost[i - 1, j] + 1, cost[i, j - 1] + 1, cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1])
            )
    pairs: list[int | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i, j] == cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            pairs[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif cost[i, j] == cost[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return pairs


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
