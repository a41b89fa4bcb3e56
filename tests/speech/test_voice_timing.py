"""Timing from the voice itself: espeak-ng IPA to mouth shapes, words as written, any language."""

import itertools

import numpy as np
import pytest

from talking_head.errors import InputError
from talking_head.speech import ipa, speech_from_text
from talking_head.speech.align import ARPABET
from talking_head.speech.timeline import WarningCode
from talking_head.speech.tts import load_voice

GERMAN = "Über den Bergen wartet Peter mit Bäckerei-Brötchen. Möchtest du Milch?"


def test_every_symbol_of_the_voice_has_a_mouth_shape():
    symbols = load_voice(None).piper.config.phoneme_id_map
    for symbol in symbols:
        found = ipa.segments([("^", 10), ("a", 10), (symbol, 10), ("a", 10), ("$", 10)])
        assert sum(s.samples for s in found) == 50, symbol
        assert {s.label for s in found} <= ARPABET | {"SIL"}, symbol


@pytest.mark.parametrize(
    "symbols, labels",
    [
        ("pbmɸβʘ", ["P", "B", "M", "P", "B", "P"]),  # lips meet, whatever the language
        ("yʏøœ", ["UW", "UH", "OW", "AO"]),  # front rounded vowels are rounded
        ("ʁrɾχ", ["G", "D", "D", "K"]),  # uvular and trilled r are not the English rounded r
        ("ǃǀ", ["T", "T"]),  # clicks made with the tongue
    ],
)
def test_sounds_english_lacks_look_like_their_nearest_english_sound(symbols, labels):
    found = ipa.segments([(ch, 100) for ch in symbols])
    assert [s.label for s in found] == labels


def test_marks_fold_into_their_sound_with_their_samples():
    # "bˈɑːb ɔ̃": stress before the vowel, length and nasality after it, a word break between.
    found = ipa.segments(
        [
            ("^", 5),
            ("b", 10),
            ("ˈ", 7),
            ("ɑ", 20),
            ("ː", 9),
            ("b", 10),
            (" ", 6),
            ("ɔ", 12),
            ("̃", 4),
            (".", 30),
            ("$", 3),
        ]
    )
    assert [(s.label, s.samples) for s in found] == [
        ("SIL", 5),
        ("B", 10),
        ("AA", 36),
        ("B", 13),
        ("AO", 19),
        ("SIL", 33),
    ]
    assert [s.word for s in found] == [-1, 0, 0, 0, 1, -1]


def test_english_timeline_comes_from_the_voice_and_keeps_the_words_as_written():
    text = "Hello, Bob! I paid $42 for it."
    speech = speech_from_text(text)
    assert speech.alignment == "voice" and speech.captions_source == "text"
    assert [w.text for w in speech.words] == text.split()
    phones = speech.phones
    assert phones[0].start == 0 and abs(phones[-1].end - speech.duration_s) < 1e-9
    assert all(abs(a.end - b.start) < 1e-9 for a, b in itertools.pairwise(phones)), "phones tile the audio"
    labels = [p.label for p in phones if p.label != "SIL"]
    assert labels[:4] == ["HH", "AH", "L", "OW"] and "B" in labels and "P" in labels
    # "$42" is said as several words ("forty-two dollars"): its caption word spans all of them.
    money = next(w for w in speech.words if w.text == "$42")
    assert money.end - money.start > 0.5


def test_german_voice_by_name_speaks_german_timed_by_itself(voices_dir):
    speech = speech_from_text(GERMAN, "de_DE-joe-medium", voices_dir=voices_dir)
    assert speech.alignment == "voice"
    assert [w.text for w in speech.words] == GERMAN.split()
    starts = [w.start for w in speech.words]
    assert starts == sorted(starts) and speech.words[-1].end <= speech.duration_s
    labels = [p.label for p in speech.phones]
    # Peter, Bergen, Bäckerei, Brötchen, Milch, möchtest: each has a bilabial.
    assert sum(label in ("P", "B", "M") for label in labels) >= 6
    # German "ch" in "Milch" is the palatal fricative, spread lips, not English "sh".
    milch = next(w for w in speech.words if w.text == "Milch?")
    inside = [p.label for p in speech.phones if milch.start <= p.start < milch.end]
    assert inside[:2] == ["M", "IH"] and "Y" in inside


def test_same_seed_same_audio_other_seed_other_audio():
    a = speech_from_text("The same words again.", seed=5)
    b = speech_from_text("The same words again.", seed=5)
    c = speech_from_text("The same words again.", seed=6)
    assert np.array_equal(a.audio, b.audio) and a.phones == b.phones
    assert len(a.audio) != len(c.audio) or not np.array_equal(a.audio, c.audio)


def test_speed_changes_the_duration():
    normal = speech_from_text("We will open the new school in the spring.")
    fast = speech_from_text("We will open the new school in the spring.", speed=1.5)
    assert 0.55 < fast.duration_s / normal.duration_s < 0.8


def test_text_in_a_script_the_voice_cannot_read_is_refused():
    with pytest.raises(InputError, match="Arabic script"):
        speech_from_text("مرحبا بكم في بيتنا")
    with pytest.raises(InputError, match="Chinese"):
        speech_from_text("你好，世界。")


def test_a_few_foreign_letters_give_a_warning():
    speech = speech_from_text("My teacher wrote 你好 on the board for the whole class.")
    assert [w.code for w in speech.warnings] == [WarningCode.UNREADABLE_SCRIPT] and "Chinese" in speech.warnings[
        0
    ].message


def test_a_missing_voice_name_lists_the_installed_ones(voices_dir):
    with pytest.raises(InputError) as caught:
        speech_from_text("Hello.", "fr_FR-nobody-low", voices_dir=voices_dir)
    assert "en_US-joe-medium" in str(caught.value) and "de_DE-joe-medium" in str(caught.value)


def test_reading_mouth_shapes_from_the_sound(voices_dir):
    from talking_head.speech.sound import read_phones

    speech = speech_from_text(GERMAN, "de_DE-joe-medium", voices_dir=voices_dir)
    phones = read_phones(np.asarray(speech.audio_16k))
    assert phones[0].start == 0 and phones[0].label == "SIL"
    assert all(a.end == pytest.approx(b.start) for a, b in itertools.pairwise(phones))
    assert {p.label for p in phones} <= ARPABET | {"SIL"}
    # Closures are read where the voice made them: most read lip closures lie near a true p/b/m or other stop.
    stops = [p for p in speech.phones if p.label in ("P", "B", "M", "T", "D", "K", "G", "N")]
    closed = [p for p in phones if p.label == "B"]
    assert closed
    near = [c for c in closed if any(s.start - 0.05 <= (c.start + c.end) / 2 <= s.end + 0.05 for s in stops)]
    assert len(near) >= 0.7 * len(closed)
