"""Cutting streamed text into units: sentence and clause ends, abbreviations and numbers, stalls."""

from talking_head.live.units import MAX_UNIT_CHARS, MAX_UNIT_WORDS, WAIT_S, UnitCutter


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


def test_text_without_an_end_is_cut_into_units_of_bounded_length():
    """A transcript or a flood of tokens never becomes one unit of thousands of characters."""
    cutter = UnitCutter()
    units = []
    for _ in range(1000):
        units += cutter.add("hi ")
    units += cutter.flush()
    assert " ".join(units).split() == ["hi"] * 1000  # every word, in order, once
    assert max(len(unit.split()) for unit in units) == MAX_UNIT_WORDS
    long_words = UnitCutter().add(" ".join(["extraordinarily"] * 40) + " more")
    assert long_words and all(len(unit) <= MAX_UNIT_CHARS for unit in long_words)


def test_one_endless_word_is_cut_anywhere_and_a_word_still_arriving_is_not():
    cutter = UnitCutter()
    units = cutter.add("a" * 1000)
    assert [len(unit) for unit in units] == [MAX_UNIT_CHARS] * 3 and cutter.pending == "a" * 100
    cutter = UnitCutter()
    cutter.add("Start. ")
    assert cutter.add(" ".join(["word"] * MAX_UNIT_WORDS)) == []  # the last word may go on: wait for the next
    assert cutter.add(" next") == [" ".join(["word"] * MAX_UNIT_WORDS)]
