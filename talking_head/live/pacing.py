"""The viewer's clock: when a stream's first picture went out, and how far ahead of it frames may be made.

A stream is made just ahead of the person watching it: never minutes of
video in a burst (the server would render far beyond what anybody watches),
never behind (the picture would stall). The clock starts when the first
media fragment leaves; a frame may be made while the stream is less than
`lead_s` ahead of it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

LEAD_S = 2.0  # frames are made at most this far ahead of the viewer's clock
POLL_S = 0.05  # the longest single wait, so a stop is noticed soon


class Pacer:
    """One stream's viewer clock and lead; `stopped` ends every wait at once."""

    def __init__(
        self,
        lead_s: float = LEAD_S,
        clock: Callable[[], float] = time.monotonic,
        stopped: threading.Event | None = None,
    ):
        self.lead_s = lead_s
        self.clock = clock
        self.stopped = stopped or threading.Event()
        self.started_at: float | None = None
        """When the first media fragment went out (the viewer's clock starts there)."""
        self.first_out = threading.Event()

    def start(self) -> None:
        """The first media fragment is out: the viewer's clock starts now (later calls change nothing)."""
        if self.started_at is None:
            self.started_at = self.clock()
            self.first_out.set()

    def viewer_s(self) -> float:
        """Where the viewer is in the stream, in seconds of media (0 before the first fragment)."""
        return 0.0 if self.started_at is None else self.clock() - self.started_at

    def ahead_s(self, media_s: float) -> float:
        """How far `media_s` of frames made runs ahead of what the viewer shows now."""
        return 0.0 if self.started_at is None else media_s - self.viewer_s()

    def wait(self, media_s: float) -> bool:
        """Wait until a frame after `media_s` of stream may be made; False when stopped meanwhile."""
        while not self.stopped.is_set():
            wait = self.ahead_s(media_s) - self.lead_s
            if wait <= 0:
                return True
            self.stopped.wait(min(wait, POLL_S))
        return False
