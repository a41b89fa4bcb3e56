"""Lips meeting on p, b and m: the sounds a viewer notices first when they are wrong.

The known text is force-aligned to the decoded audio (PocketSphinx; words
outside its dictionary are skipped). A p/b/m counts as closed when the
inner-lip gap falls to `CLOSED_SHARE` of its mean in speech, or less, in some
frame that overlaps the sound or lies within `SLACK_FRAMES` of it.
"""

from __future__ import annotations

import logging

import numpy as np

from ..speech.align import AlignmentFailed, force_align, known_words
from ..speech.timeline import Phone

log = logging.getLogger(__name__)

BILABIALS = ("P", "B", "M")
CLOSED_SHARE = 1 / 3  # of the mean opening in speech
SLACK_FRAMES = 1


def bilabial_phones(audio_16k: np.ndarray, audio_start_s: float, text: str) -> list[Phone] | None:
    """The p/b/m phones of `text` aligned to the audio (seconds on the video's clock); None if it cannot align."""
    words = known_words(text)
    try:
        _, phones = force_align(audio_16k, words, offset=audio_start_s)
    except AlignmentFailed as exc:
        log.info("cannot align the text to the audio: %s", exc)
        return None
    return [p for p in phones if p.label in BILABIALS]


def closure_rate(
    opening: np.ndarray, frame_times: np.ndarray, fps: float, phones: list[Phone], mean_speech_opening: float
) -> dict:
    """Share of p/b/m sounds at which the lips close, with the counts behind it, and
    `events`: (start s, closed) for each sound counted (kept out of the JSON, drawn on the sheet).

    Sounds with no tracked face in their frames are not counted.
    """
    threshold = CLOSED_SHARE * mean_speech_opening
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
