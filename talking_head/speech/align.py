"""Word and phone timelines from PocketSphinx: forced alignment, or phone recognition.

Forced alignment of known text is exact enough to close the lips on every
/p/; when it cannot follow (words it does not know, speech that does not match)
phone recognition still gives a usable timeline, so alignment never fails a job.
Where PocketSphinx is not installed (no wheel for CPython 3.14: the package
depends on it only below that), `RECOGNISER` is False and the phones are read
from the sound instead (`sound.py`), with the text's words spread over the speech.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .audio import ANALYSIS_RATE
from .sound import read_phones
from .spool import Signal
from .timeline import Phone, Word
from .transcript import spoken_words

if TYPE_CHECKING:  # PocketSphinx loads on first use (and has no wheel for every Python we support)
    from pocketsphinx import Decoder

log = logging.getLogger(__name__)

FRAME_S = 0.01  # PocketSphinx reports times in 10 ms frames
ARPABET = frozenset(
    [
        "AA",
        "AE",
        "AH",
        "AO",
        "AW",
        "AY",
        "B",
        "CH",
        "D",
        "DH",
        "EH",
        "ER",
        "EY",
        "F",
        "G",
        "HH",
        "IH",
        "IY",
        "JH",
        "K",
        "L",
        "M",
        "N",
        "NG",
        "OW",
        "OY",
        "P",
        "R",
        "S",
        "SH",
        "T",
        "TH",
        "UH",
        "UW",
        "V",
        "W",
        "Y",
        "Z",
        "ZH",
    ]
)
RECOGNISER = importlib.util.find_spec("pocketsphinx") is not None


class AlignmentFailed(Exception):
    pass


@dataclass
class _Decoder:
    decoder: Decoder
    lock: threading.Lock


def _model_dir() -> str:
    import pocketsphinx

    return os.path.join(os.path.dirname(pocketsphinx.__file__), "model", "en-us")


@functools.cache
def _decoder(kind: str) -> _Decoder:
    """One decoder of each kind per process; decoders are not thread-safe, hence the lock."""
    from pocketsphinx import Decoder

    quiet = {"loglevel": "FATAL"}
    if kind == "align":
        # bestpath=False: the default decoder failed "to stop utterance processing" on ordinary speech.
        decoder = Decoder(bestpath=False, **quiet)
    elif kind == "phones":
        decoder = Decoder(
            allphone=os.path.join(_model_dir(), "en-us-phone.lm.bin"),
            lw=2.0,
            pip=0.3,
            beam=1e-20,
            pbeam=1e-20,
            **quiet,
        )
    elif kind == "words":
        decoder = Decoder(**quiet)
    else:
        raise ValueError(kind)
    return _Decoder(decoder, threading.Lock())


def _pcm(audio_16k: np.ndarray) -> bytes:
    return (np.clip(audio_16k, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _decode(decoder, audio_16k: np.ndarray | bytes) -> None:
    """Run one utterance through `decoder` (whatever search it is set to)."""
    decoder.start_utt()
    decoder.process_raw(audio_16k if isinstance(audio_16k, bytes) else _pcm(audio_16k), full_utt=True)
    decoder.end_utt()


def _phone_label(name: str) -> str:
    label = name.split("(")[0].rstrip("012").upper()
    return label if label in ARPABET else "SIL"


def known_words(text: str) -> list[str]:
    """The spoken words of `text` that the pronouncing dictionary has."""
    entry = _decoder("align")
    words = spoken_words(text)
    with entry.lock:
        kept = [w for w in words if entry.decoder.lookup_word(w) is not None]
    if len(kept) < len(words):
        log.info("aligner skips words not in its dictionary: %s", sorted(set(words) - set(kept)))
    return kept


def force_align(audio_16k: np.ndarray, words: list[str], offset: float = 0.0) -> tuple[list[Word], list[Phone]]:
    """Align known `words` to the audio; raise `AlignmentFailed` when the decoder cannot."""
    if not words:
        raise AlignmentFailed("no dictionary words to align")
    entry = _decoder("align")
    pcm = _pcm(audio_16k)
    with entry.lock:
        decoder = entry.decoder
        try:
            decoder.set_align_text(" ".join(words))
            _decode(decoder, pcm)
            decoder.set_alignment()
            _decode(decoder, pcm)
            alignment = decoder.get_alignment()
        except RuntimeError as exc:
            raise AlignmentFailed(str(exc)) from None
        if alignment is None:
            raise AlignmentFailed("no alignment")
        out_words: list[Word] = []
        out_phones: list[Phone] = []
        for word in alignment:
            name = word.name.split("(")[0]
            start = offset + word.start * FRAME_S
            end = start + word.duration * FRAME_S
            if name not in ("<sil>", "<s>", "</s>", "SIL") and not name.startswith("+"):
                out_words.append(Word(name, start, end))
            for phone in word:
                p_start = offset + phone.start * FRAME_S
                out_phones.append(Phone(_phone_label(phone.name), p_start, p_start + phone.duration * FRAME_S))
    if not out_words:
        raise AlignmentFailed("alignment found no words")
    return out_words, out_phones


def recognize_phones(audio_16k: np.ndarray, offset: float = 0.0) -> list[Phone]:
    """Phone recognition without a transcript."""
    entry = _decoder("phones")
    with entry.lock:
        _decode(entry.decoder, audio_16k)
        segments = [(s.word, s.start_frame, s.end_frame) for s in entry.decoder.seg()]
    return [
        Phone(_phone_label(name), offset + start * FRAME_S, offset + (end + 1) * FRAME_S)
        for name, start, end in segments
    ]


def recognize_words(audio_16k: np.ndarray) -> str:
    """A plain transcript (large-vocabulary recognition), for measuring intelligibility."""
    entry = _decoder("words")
    with entry.lock:
        _decode(entry.decoder, audio_16k)
        hyp = entry.decoder.hyp()
    return hyp.hypstr if hyp is not None else ""


def recognize_timed_words(audio_16k: np.ndarray, offset: float = 0.0) -> list[Word]:
    """Words heard (large-vocabulary English recognition) with when each is heard, for captions."""
    entry = _decoder("words")
    with entry.lock:
        _decode(entry.decoder, audio_16k)
        segments = [(s.word, s.start_frame, s.end_frame) for s in entry.decoder.seg()]
    words = []
    for name, start, end in segments:
        name = name.split("(")[0]
        if name.startswith(("<", "[", "+")) or name in ("SIL", ""):
            continue
        words.append(Word(name, offset + start * FRAME_S, offset + (end + 1) * FRAME_S))
    return words


def spread_words(words: list[str], start: float, end: float) -> list[Word]:
    """Captions for text the aligner could not follow: words spread by length over the span."""
    if not words or end <= start:
        return []
    weights = np.array([len(w) + 1 for w in words], float)
    edges = start + (end - start) * np.concatenate([[0.0], np.cumsum(weights) / weights.sum()])
    return [Word(w, float(a), float(b)) for w, a, b in zip(words, edges[:-1], edges[1:])]


def timeline(
    audio_16k: Signal, text: str | None, spans: Sequence[tuple[str | None, int, int]]
) -> tuple[list[Word], list[Phone], str]:
    """Words and phones for each span (text, start, end in 16 kHz samples) of the audio.

    Each span with text is force-aligned; a span without text, or one the
    aligner cannot follow, gets recognised phones. Returns the method used:
    ``forced``, ``recognized`` or ``mixed``; ``sound`` without PocketSphinx.
    """
    words: list[Word] = []
    phones: list[Phone] = []
    methods: set[str] = set()
    for span_text, start, end in spans:
        chunk = audio_16k[start:end]
        offset = start / ANALYSIS_RATE
        if not RECOGNISER:
            words += spread_words(spoken_words(span_text or ""), offset, end / ANALYSIS_RATE)
            phones += read_phones(chunk, offset)
            methods.add("sound")
            continue
        if span_text:
            dictionary_words = known_words(span_text)
            try:
                w, p = force_align(chunk, dictionary_words, offset)
                words += w
                phones += p
                methods.add("forced")
                continue
            except AlignmentFailed as exc:
                log.info("forced alignment failed (%s); recognising phones instead", exc)
            words += spread_words(spoken_words(span_text), offset, end / ANALYSIS_RATE)
        phones += recognize_phones(chunk, offset)
        methods.add("recognized")
    method = "mixed" if len(methods) > 1 else (methods.pop() if methods else "none")
    return words, phones, method
