"""Word and phone timelines: forced alignment and phone recognition for recordings; text is timed by the voice."""

import numpy as np

from talking_head.speech import speech_from_audio, speech_from_text
from talking_head.speech.align import ARPABET
from talking_head.speech.timeline import WarningCode
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


def test_text_no_dictionary_knows_still_gives_a_timeline():
    # "Zyxqv" is in no dictionary; the voice says something for it, and times what it says.
    speech = speech_from_text("Zyxqv blorptang!! Then a normal sentence follows here.")
    assert speech.alignment == "voice"
    assert any(p.label != "SIL" for p in speech.phones)
    assert [w.text for w in speech.words][:2] == ["Zyxqv", "blorptang!!"]
    assert speech.words[-1].end <= speech.duration_s + 0.01


def test_audio_16k_matches_the_output_audio():
    speech = speech_from_text("A short test of the sample rates.")
    assert speech.sample_rate == 22050
    assert abs(len(speech.audio_16k) / 16000 - speech.duration_s) < 0.01
    assert np.asarray(speech.audio).dtype == np.float32 and np.asarray(speech.audio_16k).dtype == np.float32


def test_an_english_recording_without_transcript_is_captioned_from_recognition(human_speech):
    wav, text = human_speech[0]
    speech = speech_from_audio(wav, language="en")
    assert speech.captions_source == "recognition" and not speech.warnings
    heard = [w.text for w in speech.words]
    assert len(set(heard) & set(spoken_words(text))) >= len(spoken_words(text)) // 2, heard
    assert all(a.start <= b.start for a, b in zip(speech.words, speech.words[1:]))


def test_a_recording_of_unknown_language_without_transcript_says_why_it_has_no_captions(human_speech):
    wav, _ = human_speech[0]
    speech = speech_from_audio(wav)
    assert speech.words == [] and speech.captions_source is None
    assert [w.code for w in speech.warnings] == [WarningCode.NO_CAPTIONS]
    assert "no captions" in speech.warnings[0].message and "language" in speech.warnings[0].message
