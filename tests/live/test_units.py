"""Cutting streamed text into units: sentence and clause ends, abbreviations and numbers, stalls."""

from talking_head.live.units import WAIT_S, UnitCutter


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_whole_text_is_cut_at_a_first_clause_then_at_sentences():
    cutter = UnitCutter()
    units = cutter.add("Hello there, how are you today? I met Dr. Smith at 3.5 pm. It cost 1,000 dollars! Bye")
    assert units == ["Hello there,", "how are you today?", "I met Dr. Smith at 3.5 pm.", "It cost 1,000 dollars!"]
    assert cutter.flush() == ["Bye"]
    assert cutter.flush() == []


def test_tokens_make_the_same_units_as_the_whole_text():
    text = "Well, hello there. This one is short. And this is the end"
    whole = UnitCutter()
    expected = whole.add(text) + whole.flush()
    tokens = UnitCutter()
    got = []
    for i, word in enumerate(text.split(" ")):
        got += tokens.add(word if i == 0 else " " + word)
    got += tokens.flush()
    assert got == expected == ["Well, hello there.", "This one is short.", "And this is the end"]


def test_a_number_or_abbreviation_cut_off_mid_token_waits_for_the_rest():
    cutter = UnitCutter()
    assert cutter.add("First one. It is 3.") == ["First one."]
    assert cutter.add("5 metres") == []
    assert cutter.add(" long. Ask Mr.") == ["It is 3.5 metres long."]
    assert cutter.add(" Jones.") == ["Ask Mr. Jones."]


def test_a_long_sentence_is_also_cut_at_a_clause():
    cutter = UnitCutter()
    cutter.add("Hi. ")
    long = " ".join(["word"] * 26) + ", and then some more words to finish. "
    units = cutter.add(long)
    assert len(units) == 2 and units[0].endswith(",") and units[1].endswith("finish.")


def test_a_stalled_piece_is_due_after_the_wait():
    clock = Clock()
    cutter = UnitCutter(clock)
    assert cutter.add("And so") == []
    clock.now += WAIT_S / 2
    assert not cutter.due()
    clock.now += WAIT_S
    assert cutter.due() and cutter.flush() == ["And so"]
    assert not cutter.due()
