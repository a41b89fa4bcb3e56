"""Captions as written: case, punctuation, accents and script kept; cues cut where reading breaks."""

from talking_head.speech.timeline import Word
from talking_head.video.captions import LINE_CHARS, cues, format_captions


def _timed(text: str, step: float = 0.3) -> list[Word]:
    return [Word(w, i * step, i * step + step * 0.9) for i, w in enumerate(text.split())]


def test_text_keeps_its_case_punctuation_and_accents():
    words = _timed("Grüß Gott! Ça va, Zoë? Ja.")
    assert [lines for _, _, lines in cues(words)] == [["Grüß Gott!"], ["Ça va, Zoë?"], ["Ja."]]


def test_long_sentences_make_cues_of_two_lines_broken_at_clauses():
    text = (
        "When my grandmother was young, she lived in a small town by the sea, and her father "
        "mended boats for every fisherman in the harbour, all year round."
    )
    found = cues(_timed(text, 0.2))
    assert " ".join(" ".join(lines) for _, _, lines in found) == text
    for start, end, lines in found:
        assert len(lines) <= 2 and all(len(line) <= LINE_CHARS + 2 for line in lines), lines
        assert end > start
    assert found[0][2][0].endswith(","), "the first line ends at the clause"


def test_each_cue_is_shown_while_its_words_are_spoken():
    words = _timed("One two three. Four five six.")
    (s1, e1, _), (s2, e2, _) = cues(words)
    assert (s1, s2) == (words[0].start, words[3].start)
    assert e1 <= s2 and e2 >= words[-1].end


def test_right_to_left_and_unspaced_scripts():
    hebrew = _timed("שלום, עולם! מה שלומך?")
    assert [lines for _, _, lines in cues(hebrew)] == [["שלום, עולם!"], ["מה שלומך?"]]
    chinese = [Word("你好，世界。" + "今天天气很好，我们去公园散步吧，然后一起吃午饭，好吗？" * 2, 0.0, 8.0)]
    found = cues(chinese)
    joined = "".join("".join(lines) for _, _, lines in found)
    assert joined == chinese[0].text
    assert all(len(line) <= LINE_CHARS for _, _, lines in found for line in lines)
    assert found[0][2] == ["你好，世界。"]


def test_srt_numbers_its_cues():
    srt = format_captions(_timed("Hello there. General Kenobi!"), "srt")
    assert srt.startswith("1\n00:00:00,000 --> ") and "\n2\n" in srt and "General Kenobi!" in srt
