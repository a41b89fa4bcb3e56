"""What the voice said: numbers, money, dates and units synthesized, then recognised by PocketSphinx."""

import pytest

from bench.text_heard import CASES, hear


@pytest.mark.parametrize("written", CASES)
def test_key_words_are_heard(written):
    spoken, heard = hear(written)
    missing = [word for word in CASES[written] if word not in heard]
    assert not missing, f"{written!r} read as {spoken!r}, heard {' '.join(heard)!r}: missing {missing}"
