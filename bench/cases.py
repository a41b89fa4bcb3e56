"""The standard cases: what is said, by whom, and how.

The texts are written for this benchmark (no licence question). Sentences of
different lengths exercise start-up cost against per-frame cost; the long text
(about two minutes of speech) shows whether memory and speed hold over time;
the recording is real human speech (LibriVox, public domain) from the test data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PORTRAITS = Path(__file__).parent / "portraits"
DEFAULT_FACE = REPO / "talking_head" / "assets" / "default_face.png"
GRAYSCALE_SMALL = PORTRAITS / "grayscale_small.png"
GROUP = PORTRAITS / "group.png"
RECORDING = REPO / "tests" / "data" / "librivox_sense_and_sensibility_0870.wav"

SHORT = "Hello, my name is Maria."
MEDIUM = "Please bring the big map, because we must be back before the museum closes at five."
LONG = (
    "Every morning the baker opens his shop before the sun comes up, and by the time the first "
    "bus passes, the windows are full of warm bread, sweet buns and small pies that people buy "
    "on their way to work."
)
TWO_MINUTES = """\
When my grandmother was young, she lived in a small town by the sea. Her father mended boats, \
and her mother baked bread for the whole street. Every morning before school, she carried a basket \
of warm loaves from house to house, and every neighbour paid her with a story, a coin, or a piece of fruit.

She told me that the best part of the day was the walk back along the harbour. The fishing boats \
came in one by one, and the men shouted the names of the fish they had caught. Mackerel, bream, \
plaice and, on a lucky morning, a big silver bass that would be sold before noon.

Years later, when she moved to the city, she missed the sound of the water more than anything else. \
The city was loud in a different way. Buses, bells and people in a hurry filled every street, and \
nobody had time for a story. So she began to write her stories down, first on scraps of paper and \
then in a blue notebook that she kept beside her bed.

When I was a child, she would open that notebook and read to me. Some stories were funny, like the \
one about the goat that ate the mayor's hat. Some were sad, like the winter when the boats could not \
go out for six weeks and the whole town shared what little food it had. But my favourite was always \
the story of the lighthouse keeper, who kept his lamp burning through the worst storm in a hundred \
years, and saved a ship full of people he would never meet.

She wrote about ordinary things as well. How to mend a net, how to tell when bread is ready by \
tapping the bottom of the loaf, and how her father could smell a storm coming a whole day before \
the clouds appeared. She said that a good life was built from small skills, patiently learned, and \
that nobody is too old or too busy to learn one more.

On the last page, in careful letters, she wrote a short list of advice. Be kind to people who are \
tired. Keep your promises, even the small ones. Walk by the water whenever you can. And when \
somebody tells you a story, listen to the end, because the best part is often the last few words.

Now the blue notebook belongs to me. The pages are soft and the ink has faded, but I can still hear \
her voice in every line. Perhaps one day I will read it to my own children, and the little town by \
the sea will live on for one more generation.
"""


@dataclass(frozen=True)
class Case:
    """One benchmark run: a name, the words (or a recording with its transcript) and a photo."""

    name: str
    image: Path
    text: str | None = None
    audio: Path | None = None

    @property
    def transcript(self) -> str | None:
        """The words heard in the video, for alignment and word error rate."""
        if self.audio is not None:
            return self.audio.with_suffix(".txt").read_text().strip()
        return self.text


CASES = [
    Case("short", DEFAULT_FACE, text=SHORT),
    Case("medium", DEFAULT_FACE, text=MEDIUM),
    Case("long", DEFAULT_FACE, text=LONG),
    Case("two-minutes", DEFAULT_FACE, text=TWO_MINUTES),
    Case("recording", DEFAULT_FACE, audio=RECORDING),
    Case("gray-small", GRAYSCALE_SMALL, text=MEDIUM),
    Case("gray-small-short", GRAYSCALE_SMALL, text=SHORT),
    Case("gray-small-long", GRAYSCALE_SMALL, text=LONG),
    Case("gray-small-recording", GRAYSCALE_SMALL, audio=RECORDING),
    Case("group", GROUP, text=MEDIUM),
    Case("group-short", GROUP, text=SHORT),
    Case("group-long", GROUP, text=LONG),
    Case("group-recording", GROUP, audio=RECORDING),
]
QUICK = ("short", "recording", "gray-small")
