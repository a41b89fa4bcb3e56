"""Piper really speaks: the audio in the finished MP4 is recognisable speech."""

import pytest

from talking_head.evaluate.decode import read_audio_16k
from talking_head.evaluate.intelligibility import transcribe, word_error_rate
from talking_head.pipeline import TalkOptions, talk
from talking_head.speech import speech_from_text
from talking_head.speech.tts import load_voice

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "Please call me tomorrow morning after the meeting.",
    "We will open the new school in the spring.",
]


@pytest.mark.parametrize("sentence", SENTENCES)
def test_speech_in_the_video_is_recognised(sentence, tmp_path):
    out = tmp_path / "talk.mp4"
    talk(text=sentence, output=out, options=TalkOptions(engine="still", size=128, captions="none"))
    audio_16k, _ = read_audio_16k(out)
    heard = transcribe(audio_16k)
    assert word_error_rate(sentence, heard) <= 0.25, heard


def test_voice_is_loaded_once_per_process():
    assert load_voice(None) is load_voice(None)


def test_sentences_are_separated_by_a_pause():
    speech = speech_from_text("One sentence here. And another one there.")
    starts = [w.start for w in speech.words]
    ends = [w.end for w in speech.words]
    gaps = [b - a for a, b in zip(ends[:-1], starts[1:])]
    assert max(gaps) >= 0.2
