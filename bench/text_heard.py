"""`python -m bench.text_heard`: what the voice said for numbers, money, dates and units.

Each written case goes through the text front end and Piper; PocketSphinx's
large-vocabulary recogniser then writes down what it heard. The table puts the
written text, the front end's reading and the recognised words side by side,
with the key words a listener must hear (tests/speech/test_text_heard.py
asserts them). The voice's noise is seeded: each run says the same.
"""

from __future__ import annotations

import argparse

# written text: words the voice must be heard saying
CASES = {
    "Pi is 3.14.": ["three", "point", "one", "four"],
    "It costs $7.": ["seven", "dollars"],
    "It costs $12.50.": ["fifty", "cents"],
    "That costs £3.": ["three", "pounds"],
    "About 50%.": ["fifty", "percent"],
    "The meeting is on 2024-03-15.": ["march", "twenty"],
    "It is 20°C today.": ["twenty", "degrees", "celsius"],
    "We walked 5 km.": ["five", "kilometers"],
    "Call 555-1234.": ["five", "two", "three", "four"],
    "We met at 10:45 pm.": ["ten", "forty", "five"],
}
# Read and shown, not asserted: the recogniser mishears some of these too often.
SHOWN = [
    "That is 12,50 €.",
    "Born on March 3rd, 1990.",
    "On 15/03/2024.",
    "It weighs 2.5 kg.",
    "Version v2.3.1 is out.",
    "Henry VIII was king.",
    "Pages 10-20.",
    "It costs $1.5 million.",
]


def hear(text: str) -> tuple[str, list[str]]:
    """(the front end's reading, the words PocketSphinx recognises in the synthesized speech)."""
    import numpy as np

    from talking_head.speech.align import recognize_words
    from talking_head.speech.audio import ANALYSIS_RATE, resample
    from talking_head.speech.text import spoken_text
    from talking_head.speech.tts import synthesize

    said = synthesize(text)
    heard = recognize_words(np.asarray(resample(said.audio, said.sample_rate, ANALYSIS_RATE)))
    return spoken_text(text), heard.lower().replace(".", "").split()


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    print("| written | the voice read | recognised | key words heard |")
    print("|---|---|---|---|")
    for text in [*CASES, *SHOWN]:
        spoken, heard = hear(text)
        keys = CASES.get(text)
        found = f"{sum(k in heard for k in keys)}/{len(keys)}" if keys else "-"
        print(f"| {text} | {spoken} | {' '.join(heard)} | {found} |")


if __name__ == "__main__":
    main()
