"""espeak-ng IPA, as Piper voices speak it, to the ARPAbet labels the motion stage shapes.

Piper hands out one symbol at a time (``ˈ``, ``ɑ``, ``ː``, ...), each with the
number of audio samples the voice spent on it. Marks that belong to a sound
(stress before it; length, nasality, aspiration, tone after it) are folded
into that sound, with their samples. Diphthongs and affricates stay as their
two parts: the voice times each part, so the mouth moves from one shape to the
next instead of holding an average. The label only has to choose a mouth
shape, so sounds English lacks go to the English sound that looks most like
them: front rounded vowels to rounded ones, uvular and trilled r to neutral
consonants, clicks to the tongue (or, for the bilabial click, the lips).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Mouth shapes by sound; what is not listed falls back by kind in `label`.
_LABELS = {
    # close and near-close vowels
    "i": "IY",
    "ɪ": "IH",
    "ɨ": "IH",
    "ᵻ": "IH",
    "ɯ": "IH",
    "y": "UW",
    "ʏ": "UH",
    "ʉ": "UW",
    "u": "UW",
    "ʊ": "UH",
    "ɷ": "UH",
    # mid vowels
    "e": "EY",
    "ɛ": "EH",
    "ε": "EH",
    "ə": "AH",
    "ɘ": "AH",
    "ɤ": "AH",
    "ø": "OW",
    "ɵ": "UH",
    "o": "OW",
    "ɜ": "ER",
    "ɝ": "ER",
    "ɚ": "ER",
    "ɞ": "AO",
    "œ": "AO",
    "ʌ": "AH",
    "ɔ": "AO",
    # open vowels
    "æ": "AE",
    "ɐ": "AH",
    "a": "AA",
    "ɶ": "AO",
    "ɑ": "AA",
    "ɒ": "AO",
    # lips together, lips to teeth
    "p": "P",
    "b": "B",
    "m": "M",
    "ɓ": "B",
    "ʙ": "B",
    "ɸ": "P",
    "β": "B",
    "ʘ": "P",
    "f": "F",
    "v": "V",
    "ʋ": "V",
    "ⱱ": "V",
    "ɱ": "M",
    # tongue tip and blade
    "t": "T",
    "d": "D",
    "n": "N",
    "ɾ": "D",
    "r": "D",
    "ɽ": "D",
    "ʈ": "T",
    "ɖ": "D",
    "ɳ": "N",
    "ɗ": "D",
    "θ": "TH",
    "ð": "DH",
    "s": "S",
    "z": "Z",
    "ʃ": "SH",
    "ʒ": "ZH",
    "ɕ": "SH",
    "ʑ": "ZH",
    "ʂ": "SH",
    "ʐ": "ZH",
    "l": "L",
    "ɫ": "L",
    "ɬ": "L",
    "ɮ": "L",
    "ɭ": "L",
    "ɺ": "L",
    "ʎ": "L",
    "ɹ": "R",
    "ɻ": "R",
    "ɧ": "SH",
    # palatal, velar, uvular
    "j": "Y",
    "ç": "Y",
    "ʝ": "Y",
    "ɲ": "N",
    "c": "K",
    "ɟ": "G",
    "ʄ": "G",
    "ɥ": "W",
    "k": "K",
    "g": "G",
    "ɡ": "G",
    "ŋ": "NG",
    "x": "K",
    "ɣ": "G",
    "ɰ": "G",
    "ʟ": "L",
    "q": "K",
    "ɢ": "G",
    "ʛ": "G",
    "ɠ": "G",
    "ɴ": "NG",
    "χ": "K",
    "ʁ": "G",
    "ʀ": "G",
    "w": "W",
    "ʍ": "W",
    # throat
    "h": "HH",
    "ɦ": "HH",
    "ħ": "HH",
    "ʕ": "HH",
    "ʜ": "HH",
    "ʢ": "HH",
    "ʡ": "HH",
    "ʔ": "T",
    # clicks other than the bilabial one: the tongue does the work
    "ǀ": "T",
    "ǁ": "L",
    "ǂ": "T",
    "ǃ": "T",
}
VOWEL_LABELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
PREFIX_MARKS = frozenset("ˈˌ")  # stress: espeak writes it before the syllable's vowel
SUFFIX_MARKS = frozenset("ːˑʰʱʲʷˠˤ˞ʼ̴̃ⁿˡ↓↑ˀ-")  # length, secondary articulations, ejectives, tone arrows
TIE = "\u0361"  # a tie bar joins two symbols into one sound (t͡s)
WORD_BREAK = " "
PAUSE_MARKS = frozenset('.,!?;:…—–()"«»¡¿、。，！？；：')
BOUNDARY_MARKS = frozenset("^$_#")  # Piper's begin, end and pad symbols


@dataclass
class Segment:
    """One sound of a voice's phoneme stream: its symbols, its label and its samples."""

    symbols: str
    label: str
    samples: int
    word: int
    """Index of the spoken word it belongs to; -1 for pauses."""


def _is_suffix(symbol: str) -> bool:
    return symbol in SUFFIX_MARKS or unicodedata.category(symbol) in ("Mn", "Lm", "Sk", "Nd")


def label(symbols: str) -> str:
    """The ARPAbet label of one sound written in IPA (its marks included)."""
    # Composed first: Piper splits "ç" into "c" and a cedilla, and the pair is a sound of its own.
    base = "".join(ch for ch in unicodedata.normalize("NFC", symbols) if not _is_suffix(ch) and ch not in PREFIX_MARKS)
    if not base:
        return "SIL"
    if base in _LABELS:
        return _LABELS[base]
    return _LABELS.get(base[0], "AH")  # an unknown letter: a neutral, half-open mouth


def segments(alignments: list[tuple[str, int]]) -> list[Segment]:
    """Fold (symbol, samples) pairs from Piper into sounds, word breaks and pauses.

    Samples are kept: the segments add up to the same count as the input. A
    word break's samples are shared by the sounds either side of it (the
    voice glides across it); pauses and Piper's begin and end symbols become
    ``SIL`` segments.
    """
    out: list[Segment] = []
    word = 0
    in_word = False
    pending_prefix = 0  # samples of stress marks, given to the next sound
    pending_break = 0  # second half of a word break, given to the next sound
    join_next = False
    for symbol, samples in alignments:
        samples = int(samples)
        if symbol in BOUNDARY_MARKS or symbol in PAUSE_MARKS:
            if in_word:
                word += 1
                in_word = False
            samples += pending_prefix + pending_break
            pending_prefix = pending_break = 0
            if out and out[-1].label == "SIL":
                out[-1].samples += samples
            else:
                out.append(Segment(symbol, "SIL", samples, -1))
            continue
        if symbol == WORD_BREAK or symbol.isspace():
            if in_word:
                word += 1
                in_word = False
            if out and out[-1].label != "SIL":
                out[-1].samples += samples // 2
                pending_break += samples - samples // 2
            else:
                pending_break += samples
            continue
        if symbol in PREFIX_MARKS:
            pending_prefix += samples
            continue
        if symbol == TIE:
            join_next = True
            if out:
                out[-1].samples += samples
            continue
        if _is_suffix(symbol) or join_next:
            join_next = False
            if in_word and out and out[-1].label != "SIL":
                out[-1].symbols += symbol
                out[-1].samples += samples
                out[-1].label = label(out[-1].symbols)
            else:  # a mark with no sound before it in the word: it goes with the next sound
                pending_prefix += samples
            continue
        join_next = False
        in_word = True
        out.append(Segment(symbol, label(symbol), samples + pending_prefix + pending_break, word))
        pending_prefix = pending_break = 0
    if pending_prefix + pending_break:
        if out:
            out[-1].samples += pending_prefix + pending_break
        else:
            out.append(Segment("", "SIL", pending_prefix + pending_break, -1))
    return out


def letters(phonemes: str) -> str:
    """The sounds of a phoneme string without stress, breaks or pauses, for matching words."""
    return "".join(
        ch
        for ch in phonemes
        if ch not in PREFIX_MARKS
        and ch not in PAUSE_MARKS
        and ch not in BOUNDARY_MARKS
        and not ch.isspace()
        and not _is_suffix(ch)
        and ch != TIE
    )
