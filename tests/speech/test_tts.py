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


# Peak memory of synthesis in a fresh process, over what loading the voice took. One voice run
# per unit used to take ~0.5 MB a phoneme id: 600 unpunctuated characters grew the process by
# 562 MB, 'a' * 700 was ~1,800 ids; runs of at most MAX_RUN_PHONEMES take ~0.15 GB whatever the text.
_PEAK_OVER_LOAD = """
import resource, sys
from talking_head.speech.tts import synthesize
synthesize("Hello.")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
said = synthesize(sys.stdin.read())
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print((after - before) // 1024, len(said.audio) / said.sample_rate)
"""
MAX_GROWTH_MB = 400
UNPUNCTUATED = " ".join(
    "when my grandmother was young she lived in a small town by the sea her father mended boats and her "
    "mother baked bread for the whole street every morning before school she carried a basket".split()
    * 7
)[:700]


@pytest.mark.parametrize("text", [UNPUNCTUATED, "a" * 700], ids=["words-without-punctuation", "one-long-word"])
def test_memory_does_not_grow_with_a_unit_without_an_end(text):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _PEAK_OVER_LOAD], input=text, capture_output=True, text=True, timeout=300, check=True
    )
    growth_mb, seconds = run.stdout.split()
    assert float(seconds) > len(text) / 40  # all of it spoken (about 30 s), not cut short
    assert int(growth_mb) <= MAX_GROWTH_MB, f"synthesis grew the process by {growth_mb} MB"
