"""Word and phone timelines: forced alignment, graceful degradation, phone recognition."""

import numpy as np

from talking_head.speech import speech_from_audio, speech_from_text
from talking_head.speech.align import ARPABET
from talking_head.speech.transcript import spoken_words


def test_forced_alignment_of_a_real_recording(human_speech):
    for wav, text in human_speech:
        speech = speech_from_audio(wav, text)
        assert speech.alignment == "forced"
        assert [w.text for w in speech.words] == spoken_words(text)
        starts = [w.start for w in speech.words]
        assert starts == sorted(starts)
        assert 0 <= starts[0] < speech.words[-1].end <= speech.duration_s + 0.01
        labels = {p.label for p in speech.phones}
        assert labels <= ARPABET | {"SIL"}
        # "dashwood", "power", "man"... every recording here has a bilabial.
        assert labels & {"P", "B", "M"}


def test_phone_recognition_without_a_transcript(human_speech):
    wav, _ = human_speech[0]
    speech = speech_from_audio(wav)
    assert speech.alignment == "recognized"
    assert speech.words == []
    speaking = [p for p in speech.phones if p.label != "SIL"]
    assert len(speaking) >= 10
    assert speech.phones[-1].end <= speech.duration_s + 0.05


def test_numbers_and_symbols_are_spoken_and_aligned():
    speech = speech_from_text("I was born on the 3rd of May 2024, and it cost $42 & 50% more.")
    assert speech.alignment in ("forced", "mixed")
    words = [w.text for w in speech.words]
    assert "third" in words and "twenty" in words and "percent" in words


def test_text_the_aligner_cannot_follow_still_gives_a_timeline():
    # "Zyxqv" is in no dictionary and said as letters; the job must not fail.
    speech = speech_from_text("Zyxqv blorptang!! Then a normal sentence follows here.")
    assert speech.phones, "recognition must fill in where alignment cannot"
    assert any(p.label != "SIL" for p in speech.phones)
    assert speech.words and speech.words[-1].end <= speech.duration_s + 0.01


def test_audio_16k_matches_the_output_audio():
    speech = speech_from_text("A short test of the sample rates.")
    assert speech.sample_rate == 22050
    assert abs(len(speech.audio_16k) / 16000 - speech.duration_s) < 0.01
    assert speech.audio.dtype == np.float32 and speech.audio_16k.dtype == np.float32
