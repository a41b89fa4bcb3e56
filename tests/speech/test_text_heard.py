"""What the voice said: numbers, money, dates and units synthesized, then recognised by PocketSphinx."""

import pytest

from bench.text_heard import CASES, hear


@pytest.mark.parametrize("written", CASES)
def test_key_words_are_heard(written):
    spoken, heard = hear(written)
    missing = [word for word in CASES[written] if word not in heard]
    assert not missing, f"{written!r} read as {spoken!r}, heard {' '.join(heard)!r}: missing {missing}"


SENTENCE = "Please call me tomorrow after the meeting."


@pytest.mark.parametrize(
    "markup",
    [
        '<speak>Please call me tomorrow <break time="1s"/> after the meeting.</speak>',
        '<speak>Please call me tomorrow <break time="1s"> after the meeting.',  # malformed: read as text
    ],
)
def test_ssml_markup_is_not_spoken(markup):
    _, heard = hear(markup)
    assert {"call", "tomorrow", "meeting"} <= set(heard), heard
    assert not {"speak", "break", "time", "equals", "s"} & set(heard), heard


def test_an_ssml_break_is_a_second_of_silence():
    from talking_head.speech.tts import synthesize

    plain = synthesize(SENTENCE)
    marked = synthesize('<speak>Please call me tomorrow <break time="1s"/> after the meeting.</speak>')
    assert 0.7 <= marked.duration_s - plain.duration_s <= 1.3
    rate = marked.sample_rate
    words = {w.text: w for w in marked.words}
    margin = rate // 20
    gap = marked.audio[int(words["tomorrow"].end * rate) + margin : int(words["after"].start * rate) - margin]
    assert len(gap) >= 0.8 * rate and float(abs(gap).max()) < 0.01


def test_prosody_rate_changes_how_long_the_words_take():
    from talking_head.speech.tts import synthesize

    normal = synthesize(SENTENCE).duration_s
    slow = synthesize(f'<prosody rate="x-slow">{SENTENCE}</prosody>').duration_s
    fast = synthesize(f'<prosody rate="x-fast">{SENTENCE}</prosody>').duration_s
    assert slow > normal * 1.3 and fast < normal * 0.85, (slow, normal, fast)
