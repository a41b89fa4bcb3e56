"""Lips meeting on p, b and m: the sounds a viewer notices first when they are wrong.

The known text is force-aligned to the decoded audio (PocketSphinx; words
outside its dictionary are skipped). Long audio is aligned piece by piece
(the recogniser's pieces, cut at pauses, each given the words of the text
that the recogniser heard in it), since aligning minutes at once takes
memory in proportion to the length. A p/b/m counts as closed when the
inner-lip gap falls to `CLOSED_SHARE` of its mean in speech, or less (or under
`CLOSED_FLOOR_IOD`, lips touching), in some frame that overlaps the sound or lies within `SLACK_FRAMES` of it.
"""

from __future__ import annotations

import logging

import numpy as np

from ..speech.align import AlignmentFailed, force_align, known_words
from ..speech.audio import ANALYSIS_RATE
from ..speech.timeline import Phone
from ..speech.transcript import spoken_words
from .intelligibility import word_alignment

log = logging.getLogger(__name__)

BILABIALS = ("P", "B", "M")
CLOSED_SHARE = 1 / 3  # of the mean opening in speech
# Lips this close (inter-ocular units, ~0.6 mm) touch whatever the mean: without it a mouth that
# never opens has a mean of tracker noise, and a third of noise is a coin toss.
CLOSED_FLOOR_IOD = 0.01
SLACK_FRAMES = 1


def _words_per_piece(text: str, pieces: list[tuple[int, int, str]]) -> list[list[str]]:
    """Share the text's words among the pieces by matching them to what was heard in each."""
    words = spoken_words(text)
    heard, owner = [], []
    for k, (_, _, hypothesis) in enumerate(pieces):
        for word in spoken_words(hypothesis):
            heard.append(word)
            owner.append(k)
    shares: list[list[str]] = [[] for _ in pieces]
    if not heard:
        return shares
    pairs = word_alignment(words, heard)
    current = 0
    for word, match in zip(words, pairs):
        if match is not None:
            current = owner[match]
        shares[current].append(word)  # a dropped word goes with the last word heard before it
    return shares


def bilabial_phones(
    audio_16k: np.ndarray, audio_start_s: float, text: str, pieces: list[tuple[int, int, str]] | None = None
) -> list[Phone] | None:
    """The p/b/m phones of `text` aligned to the audio (seconds on the video's clock); None if none align.

    `pieces` are (start, end, transcript) from `transcribe_pieces`; with more
    than one, each is aligned alone with its share of the words, and a piece
    that fails to align is left out.
    """
    if pieces is None or len(pieces) < 2:
        spans = [(0, len(audio_16k), " ".join(spoken_words(text)))]
    else:
        spans = [(a, b, " ".join(share)) for (a, b, _), share in zip(pieces, _words_per_piece(text, pieces))]
    phones: list[Phone] = []
    aligned = False
    for start, end, piece_text in spans:
        words = known_words(piece_text)
        try:
            _, found = force_align(audio_16k[start:end], words, offset=audio_start_s + start / ANALYSIS_RATE)
        except AlignmentFailed as exc:
            log.info(
                "cannot align %d words to %.1f-%.1f s: %s", len(words), start / ANALYSIS_RATE, end / ANALYSIS_RATE, exc
            )
            continue
        aligned = True
        phones += [p for p in found if p.label in BILABIALS]
    return phones if aligned else None


def closure_rate(
    opening: np.ndarray, frame_times: np.ndarray, fps: float, phones: list[Phone], mean_speech_opening: float
) -> dict:
    """Share of p/b/m sounds at which the lips close, with the counts behind it, and
    `events`: (start s, closed) for each sound counted (kept out of the JSON, drawn on the sheet).

    Sounds with no tracked face in their frames are not counted.
    """
    threshold = max(CLOSED_SHARE * mean_speech_opening, CLOSED_FLOOR_IOD)
    times = np.asarray(frame_times, float)
    counted = closed = 0
    events = []
    for phone in phones:
        # Frames whose interval [t, t + 1/fps) overlaps the sound, widened by the slack.
        near = (times + 1.0 / fps > phone.start - SLACK_FRAMES / fps) & (times < phone.end + SLACK_FRAMES / fps)
        values = opening[near]
        values = values[np.isfinite(values)]
        if not len(values):
            continue
        shut = bool(values.min() <= threshold)
        counted += 1
        closed += shut
        events.append((phone.start, shut))
    return {
        "bilabial_closure_rate": round(closed / counted, 4) if counted else None,
        "bilabials_closed": closed,
        "bilabials_counted": counted,
        "events": events,
    }
