"""An `AgentStream` in a process of its own: the server's streams draw side by side, not in turns.

A frame is made by Python code between NumPy, OpenCV and the encoders, and one
interpreter runs Python on one core at a time (the GIL). Streams drawn by
threads of the server's process therefore take turns, and on 2 cores four
streams at 512 fell seconds behind while four processes, each with one stream,
kept time (`bench/agent.py`; docs/live.md). So the server gives each audio
stream a process: the face is prepared there, PCM and controls go to it
through a pipe, and the MP4 bytes and events come back the same way.

`AgentProcess` has the interface the WebSocket uses of an `AgentStream`
(`run(emit)`, `feed`, `interrupt`, `end_of_segment`, `end`, `stop`,
`listening_for_s`, `media_s`). Processes come from a fork server that has
imported the drawing code once (spawned where there is none), so a new
stream starts in about the time its face takes to prepare.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

import cv2

from ..errors import InputError
from .agent import AgentFace
from .agent_stream import AgentStream, refused_chunk
from .audio_in import pcm_samples
from .output import Emit

log = logging.getLogger(__name__)

START_LIMIT_S = 120.0  # a face that takes longer than this to prepare is given up
STOP_WAIT_S = 5.0  # after `stop`, the process has this long to finish its frame and leave, then it is ended
PRELOAD = ["talking_head.live.agent_stream"]  # what the fork server imports before it forks streams

_context: Any = None  # the fork server's or spawn's context (typeshed's BaseContext lacks `Process`)
_context_lock = threading.Lock()


def _process_context() -> Any:
    global _context
    with _context_lock:
        if _context is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                _context = multiprocessing.get_context("forkserver")
                _context.set_forkserver_preload(PRELOAD)
            else:  # Windows
                _context = multiprocessing.get_context("spawn")
        return _context


class AgentProcess:
    """An `AgentStream` (an `AgentFace` of `face_args`, fed at `input_rate`) run in a process of its own.

    Building it prepares the face in that process and waits for it (slow, like `AgentFace`); a face that
    cannot be made raises here as it would in process (`InputError` for the caller's input).
    """

    def __init__(self, face_args: dict, input_rate: int, audio_codec: str = "aac", clock=time.monotonic):
        self.input_rate = input_rate
        self.audio_codec = audio_codec
        self._clock = clock
        self._send_lock = threading.Lock()
        self._stopped = threading.Event()
        self._quiet_since = clock()
        self._quiet = True
        self.media_s = 0.0
        context = _process_context()
        self._conn, theirs = context.Pipe()
        self._process = context.Process(
            target=serve, args=(theirs, face_args, input_rate, audio_codec), name="talking-head-live", daemon=True
        )
        self._process.start()
        theirs.close()
        try:
            if not self._conn.poll(START_LIMIT_S):
                raise RuntimeError(f"the face was not ready within {START_LIMIT_S:.0f} s")
            kind, *details = self._conn.recv()
        except (EOFError, OSError) as exc:
            self.close()
            raise RuntimeError(f"the stream's process ended before its face was ready ({exc})") from exc
        except BaseException:
            self.close()
            raise
        if kind == "refused":
            self.close()
            message, field, status = details
            raise InputError(message, field=field, status=status)
        if kind != "ready":
            self.close()
            raise RuntimeError(f"the stream could not start: {details[0]}")
        info = details[0]
        self.width, self.height, self.fps = info["width"], info["height"], info["fps"]
        self.sample_rate, self.lookahead_s = info["sample_rate"], info["lookahead_s"]

    # -- to the process, from the WebSocket's listener --

    def _send(self, *message) -> None:
        if self._stopped.is_set() and message[0] != "stop":
            return
        try:
            with self._send_lock:
                self._conn.send(message)
        except (OSError, ValueError):  # the process has ended: nothing more to tell it
            pass

    def feed(self, pcm: bytes) -> dict | None:
        """Send a chunk of PCM; the ``error`` event when it is not whole samples. A chunk refused by the
        face (its buffer full) has its event come back with the stream's output."""
        try:
            pcm_samples(pcm)
        except InputError as exc:
            return refused_chunk(exc)
        self._send("audio", bytes(pcm))
        return None

    def interrupt(self) -> None:
        self._send("interrupt")

    def end_of_segment(self) -> None:
        self._send("end_of_segment")

    def end(self) -> None:
        self._send("end")

    def stop(self) -> None:
        """Stop at once (the client left); `run` returns once the process has ended."""
        self._send("stop")
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def alive(self) -> bool:
        """Whether its process is still running."""
        return self._process.is_alive()

    def listening_for_s(self) -> float:
        """How long the face has had nothing to say, as of the last frame the process sent."""
        return 0.0 if not self._quiet else self._clock() - self._quiet_since

    # -- from the process --

    def run(self, emit: Emit) -> None:
        """Hand the process's MP4 bytes and events to `emit` until the stream ends; raise if it failed."""
        try:
            while True:
                try:
                    kind, *details = self._conn.recv()
                except (EOFError, OSError):
                    if self._stopped.is_set():
                        return
                    raise RuntimeError("the stream's process ended unexpectedly") from None
                if kind == "item":
                    item, self.media_s, quiet = details
                    if quiet and not self._quiet:
                        self._quiet_since = self._clock()
                    self._quiet = quiet
                    emit(item)
                elif kind == "done":
                    return
                else:  # "failed"
                    raise RuntimeError(details[0])
        finally:
            self.close()

    def close(self) -> None:
        """End the process, whether `run` was called or not (the client left before the stream began)."""
        self._stopped.set()
        self._conn.close()  # its input ends (it stops) and what it still sends goes nowhere
        self._process.join(STOP_WAIT_S)
        if self._process.is_alive():
            log.warning("a live stream's process did not end; ending it")
            self._process.kill()
            self._process.join()


def serve(conn: Connection, face_args: dict, input_rate: int, audio_codec: str) -> None:
    """The process's side: prepare the face, then stream until the end or `stop`."""
    # One thread for OpenCV, as for x264: the streams' processes already share the cores, and OpenCV's own
    # threads then only add their hand-offs (5 % more CPU for four streams at 512, bench.agent).
    cv2.setNumThreads(1)
    try:
        stream = AgentStream(AgentFace(**face_args), input_rate, audio_codec=audio_codec)
    except InputError as exc:
        conn.send(("refused", str(exc), exc.field, exc.status))
        return
    except Exception as exc:  # ours: the parent says so to the client
        log.exception("live stream could not start")
        conn.send(("failed", str(exc)))
        return
    conn.send(
        (
            "ready",
            {
                "width": stream.width,
                "height": stream.height,
                "fps": stream.fps,
                "sample_rate": stream.sample_rate,
                "lookahead_s": stream.lookahead_s,
            },
        )
    )
    lock = threading.Lock()

    def tell(*message) -> None:
        try:
            with lock:
                conn.send(message)
        except OSError:  # the server is gone: the input side stops the stream
            pass

    def send(item) -> None:
        tell("item", item, stream.media_s, stream.listening)

    def listen() -> None:
        while True:
            try:
                kind, *details = conn.recv()
            except (EOFError, OSError):  # the server is gone
                stream.stop()
                return
            if kind == "audio":
                refused = stream.feed(details[0])
                if refused is not None:
                    send(refused)
            elif kind == "interrupt":
                stream.interrupt()
            elif kind == "end_of_segment":
                stream.end_of_segment()
            elif kind == "end":
                stream.end()
            else:  # "stop"
                stream.stop()
                return

    threading.Thread(target=listen, name="talking-head-live-input", daemon=True).start()
    try:
        stream.run(send)
    except Exception as exc:
        log.exception("live stream failed")
        tell("failed", str(exc))
    else:
        tell("done")
