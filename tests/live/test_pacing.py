"""A live stream runs a little ahead of its viewer, never far ahead and never stalled at a unit border."""

from __future__ import annotations

import time

from talking_head.live.stream import LiveStream
from talking_head.pipeline import TalkOptions
from talking_head.video.fragments import FRAGMENT_S

TEXT = "Good morning, and welcome to the weekly update."  # two units: a clause, then 2 s of speech
LEAD_S = 0.5
SLOW_CLOCK = 0.5  # the viewer's clock runs at half speed: the machine has twice its speed to spare


def test_frames_stay_within_the_lead_and_keep_up_across_unit_borders():
    origin = time.monotonic()
    stream = LiveStream(
        options=TalkOptions(size=256, seed=1), lead_s=LEAD_S, clock=lambda: (time.monotonic() - origin) * SLOW_CLOCK
    )
    aheads, units = [], []

    def emit(item) -> None:
        if isinstance(item, dict):
            if item["type"] == "unit":
                units.append(item)
            return
        if stream.started_at is not None:
            aheads.append(stream.media_s - (stream._clock() - stream.started_at))

    stream.add_text(TEXT)
    stream.end()
    stream.run(emit)

    assert len(units) >= 2 and max(u["end"] - u["start"] for u in units) > 3 * LEAD_S
    # Never more than the lead ahead (plus the frames of the fragment that was leaving).
    assert max(aheads) <= LEAD_S + FRAGMENT_S + 2 / stream.fps
    # Never behind the viewer: a unit longer than the lead starts at once, not when the viewer's clock
    # nears its end (the planned motion of a whole unit is not frames made).
    assert min(aheads) > -0.25
