"""Synthesis ahead: a text stream's units are spoken in a helper thread while the one before is drawn.

Just in time, not all at once: a unit is synthesised only once the unit
before it has been taken for drawing, so a long text does not pile its
syntheses (and several streams' syntheses) onto the cores together. The
first fragment is what a viewer waits for: the second unit also waits (at
most `FIRST_OUT_WAIT_S`) until it is out, having the rest of the first unit
to be made in.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from ..speech import Speech

FIRST_OUT_WAIT_S = 1.0  # later units wait this long at most for the first fragment to be out
READY_POLL_S = 0.005  # how long `ready` waits on a unit still being synthesised


class SpeechAhead:
    """Units in, `Speech` out in order, one synthesis at a time, each just before it is needed."""

    def __init__(self, speak: Callable[[str], Speech], first_out: threading.Event, stopped: threading.Event):
        self._speak = speak
        self._first_out = first_out
        self._stopped = stopped
        self._units: queue.Queue[Future] = queue.Queue()
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="talking-head-live-speech")
        self._submitted = 0
        self._taken = 0
        self._turn = threading.Condition()
        self._closed = False  # the stream is over: units still waiting their turn are never drawn
        self._lengths: deque[int] = deque()  # characters of each unit not yet taken, in order

    @property
    def empty(self) -> bool:
        return self._units.empty()

    @property
    def waiting(self) -> int:
        """Units submitted and not yet taken for drawing."""
        return self._units.qsize()

    @property
    def waiting_chars(self) -> int:
        """Characters of the units submitted and not yet taken for drawing."""
        return sum(self._lengths)

    def submit(self, unit: str) -> None:
        self._lengths.append(len(unit))
        self._units.put(self._pool.submit(self._synthesise, unit, self._submitted))
        self._submitted += 1

    def _synthesise(self, unit: str, index: int) -> Speech | None:
        with self._turn:
            self._turn.wait_for(lambda: self._taken >= index or self._stopped.is_set() or self._closed)
        if index > 0:
            self._first_out.wait(FIRST_OUT_WAIT_S)
        if self._stopped.is_set() or self._closed:
            return None
        return self._speak(unit)

    def ready(self) -> Future | None:
        """The next unit once its speech is made (taken for drawing), else None after a short wait."""
        try:
            future = self._units.queue[0]
        except IndexError:
            self._stopped.wait(0.01)
            return None
        if not future.done():
            self._stopped.wait(READY_POLL_S)
            return None
        with self._turn:
            self._taken += 1
            self._turn.notify_all()
        self._lengths.popleft()
        return self._units.get()

    def wake(self) -> None:
        """The stream was stopped: let a unit waiting its turn see it."""
        with self._turn:
            self._turn.notify_all()

    def close(self) -> None:
        """The stream is over: units waiting their turn are dropped, the helper thread ends."""
        with self._turn:
            self._closed = True
            self._turn.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)
