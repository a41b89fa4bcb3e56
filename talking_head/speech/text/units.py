"""Written text (plain or the SSML subset) as the units the voice speaks, in order."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .cleaning import clean, one_space, tidy_spoken
from .language import Language
from .readers import read_words
from .sentences import split_sentences
from .ssml import Break, markup_events

SENTENCE_PAUSE_S = 0.25  # silence between sentences, where the mouth rests
PARAGRAPH_PAUSE_S = 0.6  # a blank line or an SSML <p>
MAX_TOTAL_BREAK_S = 120.0  # all breaks of one text together: markup must not make an hour of silence


@dataclass(frozen=True)
class TextUnit:
    """One unit of speech: a sentence or clause, or the stretch between two SSML breaks.

    `written` is the text as the user wrote it (markup removed); `spoken` is
    what the voice reads; `pause_before_s` is the silence before it; `rate`
    is the speaking rate (1 normal, 2 twice as fast), Piper's 1 / length_scale.
    """

    written: str
    spoken: str
    pause_before_s: float = 0.0
    rate: float = 1.0


@dataclass
class _Reading:
    """Where `read_text` stands: the pause before the next unit, the rate it is read at, breaks so far."""

    pause: float | None = None
    rate: float = 1.0
    breaks: float = 0.0


def read_text(text: str, language: str | None = "en") -> list[TextUnit]:
    """Written text (plain or the SSML subset) as the utterances the voice speaks, in order.

    Units with nothing to say (punctuation, emoji alone) are left out; a
    break before them moves to the next unit. The list is empty when the
    text has nothing to say at all.
    """
    lang = Language.of(language)
    utterances: list[TextUnit] = []
    written: list[str] = []
    spoken: list[str] = []
    state = _Reading()

    def finish(pause_after: float | None = None) -> None:
        said = tidy_spoken(" ".join(spoken))
        if re.search(r"\w", said):
            pause = state.pause
            if pause is None:
                pause = SENTENCE_PAUSE_S if utterances else 0.0
            utterances.append(TextUnit(one_space("".join(written)), said, pause, state.rate))
            state.pause = None
        written.clear()
        spoken.clear()
        if pause_after is not None:
            state.pause = max(state.pause or 0.0, pause_after) if utterances else state.pause

    for event in markup_events(clean(text), lang):
        if isinstance(event, Break):
            seconds = max(0.0, min(event.seconds, MAX_TOTAL_BREAK_S - state.breaks))
            state.breaks += seconds
            finish()
            state.pause = max(state.pause or 0.0, seconds)
        elif isinstance(event, str):  # <p> or <s>, opening or closing
            finish(PARAGRAPH_PAUSE_S if event == "p" else SENTENCE_PAUSE_S)
        else:
            if event.rate != state.rate:
                if spoken:  # a new rate mid-sentence: a new unit, without a pause between
                    finish()
                    state.pause = 0.0 if state.pause is None else state.pause
                state.rate = event.rate
            if event.spoken is not None:
                written.append(event.written)
                spoken.append(event.spoken)
                continue
            if event.written[:1].isspace():
                written.append(" ")
            for sentence, boundary in split_sentences(event.written):
                written.append(sentence)
                spoken.append(read_words(sentence, lang))
                if boundary:
                    finish(PARAGRAPH_PAUSE_S if boundary == "p" else None)
            if event.written[-1:].isspace():
                written.append(" ")
    finish()
    return utterances


def spoken_text(text: str, language: str | None = "en") -> str:
    """The whole reading of `text` in one string (markup read as `read_text` does)."""
    return " ".join(u.spoken for u in read_text(text, language))
