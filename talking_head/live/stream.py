"""The live pipeline: text in pieces -> units -> speech -> motion -> frames -> fragmented MP4, paced in real time.

One `LiveStream` is one viewer's stream. The photo is analysed and the
engine prepared once, when it opens. Text arrives with `add_text` (whole or
token by token, from any thread) and is cut into units; each unit is
synthesised in a helper thread while the one before is drawn, then drawn
frame by frame continuing the last unit's motion. When no text is waiting
the face listens (blinks, breathing, a little head motion, silence) in real
time, and the next unit starts where the idling stopped. `run` makes the
stream and hands out, through `emit`, the MP4 bytes and event dicts (each
unit and word with its times, progress, errors) in the order a viewer needs them.

Pacing: the stream's clock starts when the first media fragment is out;
frames are drawn at most `LEAD_S` ahead of it, so a viewer never gets
minutes of video in a burst and the server never renders far beyond what
anybody watches.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from ..engines import get_drawing_engine
from ..errors import InputError
from ..face import analyze_face
from ..motion.stream import MotionStream
from ..pipeline import DEFAULT_FACE, TalkOptions
from ..settings import Settings
from ..speech import Speech, check_text, speech_from_text
from ..speech.audio import ANALYSIS_RATE
from ..speech.tts import load_voice
from ..speech.voices import resolve_voice
from ..video.fragments import FragmentWriter
from .units import UnitCutter

log = logging.getLogger(__name__)

LEAD_S = 2.0  # frames are drawn at most this far ahead of the viewer's clock
IDLE_WHEN_AHEAD_S = 0.4  # with less than this left to show and nothing ready, the face listens
IDLE_STEP_FRAMES = 2  # idle is drawn a few frames at a time, so new speech starts soon
FIRST_OUT_WAIT_S = 1.0  # later units wait this long at most for the first fragment to be out
UNIT_PAUSE_S = 0.2  # silence after each unit, where the mouth rests
EDGE_FADE_S = 0.004  # a few milliseconds of fade at unit edges: no click where audio meets silence
ENGINES = ("auto", "builtin")

Emit = Callable[[bytes | dict], None]


def check_live_options(options: TalkOptions) -> None:
    """Raise `InputError` for options a live stream cannot use."""
    options.validate()
    if options.engine not in ENGINES:
        raise InputError(
            "live streams are drawn by the builtin engine (SadTalker is not real time on a CPU); "
            "leave engine unset or use builtin.",
            field="engine",
        )


@functools.lru_cache(maxsize=8)
def warm_up(voice: str | None, voices_dir: str | None) -> None:
    """Speak one word once per process and voice: the first synthesis loads and compiles the model (seconds)."""
    speech_from_text("Hello.", voice, voices_dir=voices_dir)


def _with_pause(speech: Speech, seconds: float) -> Speech:
    fade = max(1, int(EDGE_FADE_S * speech.sample_rate))
    audio = speech.audio.astype(np.float32).copy()
    ramp = np.linspace(0.0, 1.0, min(fade, len(audio)), dtype=np.float32)
    audio[: len(ramp)] *= ramp
    audio[len(audio) - len(ramp) :] *= ramp[::-1]
    audio = np.concatenate([audio, np.zeros(int(seconds * speech.sample_rate), np.float32)])
    audio_16k = np.concatenate([speech.audio_16k, np.zeros(int(seconds * ANALYSIS_RATE), np.float32)])
    return replace(speech, audio=audio, audio_16k=audio_16k)


class LiveStream:
    """One live stream of one face. Build it (slow: face analysis), feed it text, `run` it in a thread."""

    def __init__(
        self,
        image=None,
        options: TalkOptions | None = None,
        max_seconds: float = 600.0,
        lead_s: float = LEAD_S,
        clock: Callable[[], float] = time.monotonic,
        settings: Settings | None = None,
    ):
        self.options = options or TalkOptions()
        self.settings = settings or Settings()
        check_live_options(self.options)
        self.fps = self.options.fps
        self.face = analyze_face(DEFAULT_FACE if image is None else image, self.settings.max_image_pixels)
        self.engine = get_drawing_engine("builtin")
        self.prepared = self.engine.prepare(self.face, self.options, self.settings)
        voices_dir = self.settings.voices_dir
        self.sample_rate = load_voice(resolve_voice(self.options.voice, voices_dir)).sample_rate
        warm_up(self.options.voice, voices_dir)
        self.max_frames = int(max_seconds * self.fps)
        self.lead_s = lead_s
        self._clock = clock
        self._cutter = UnitCutter(clock)
        self._lock = threading.Lock()
        self._units: queue.Queue[Future] = queue.Queue()
        self._speaker = ThreadPoolExecutor(1, thread_name_prefix="talking-head-live-speech")
        self._ended = threading.Event()
        self._first_out = threading.Event()
        self._units_submitted = 0
        self._units_taken = 0
        self._taken = threading.Condition()
        self._finished = False  # run has returned: units still waiting their turn are never drawn
        self._stopped = threading.Event()
        self._motion = MotionStream(self.options, self.fps, self.max_frames)
        self.started_at: float | None = None
        """The viewer's clock: when the first media fragment went out."""
        self.units_spoken = 0
        self._frames_out = 0
        self._bytes_at_progress = 0
        self._speaking = False
        self._quiet_since = clock()

    @property
    def width(self) -> int:
        return self.prepared.width

    @property
    def height(self) -> int:
        return self.prepared.height

    @property
    def listening(self) -> bool:
        """Nothing left to say: no unit waiting, none being drawn, no text waiting for its end."""
        return not self._speaking and self._units.empty() and not self._cutter.pending

    def listening_for_s(self) -> float:
        """How long the face has had nothing to say (0 while it speaks or has text waiting)."""
        return self._clock() - self._quiet_since if self.listening else 0.0

    @property
    def media_s(self) -> float:
        """Seconds of stream drawn and encoded so far (motion may already be planned further)."""
        return self._frames_out / self.fps

    def add_text(self, piece: str) -> None:
        """More text to speak; units are cut from it as their ends arrive."""
        if self._ended.is_set():
            raise InputError("the stream has ended; text after the end is not spoken.", field="text")
        with self._lock:
            for unit in self._cutter.add(piece):
                self._submit(unit)

    def end(self) -> None:
        """No more text: speak what is left, then finish the stream."""
        with self._lock:
            for unit in self._cutter.flush():
                self._submit(unit)
            self._ended.set()

    def stop(self) -> None:
        """Stop at once (the viewer left); `run` returns after the frame it is drawing."""
        self._stopped.set()
        self._ended.set()
        with self._taken:
            self._taken.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _submit(self, unit: str) -> None:
        self._units.put(self._speaker.submit(self._synthesise, unit, self._units_submitted))
        self._units_submitted += 1

    def _synthesise(self, unit: str, index: int) -> Speech | None:
        # Just in time: a unit is synthesised while the one before it is drawn, not all at once when a
        # long text arrives, so several streams' syntheses do not pile up on the cores together.
        # The first fragment is what a viewer waits for: the second unit waits for it too (it has the
        # rest of the first unit to finish in).
        with self._taken:
            self._taken.wait_for(lambda: self._units_taken >= index or self._stopped.is_set() or self._finished)
        if index > 0:
            self._first_out.wait(FIRST_OUT_WAIT_S)
        if self._stopped.is_set() or self._finished:
            return None
        options, settings = self.options, self.settings
        return speech_from_text(
            unit,
            options.voice,
            settings.max_text_chars,
            speed=options.speed,
            speaker=options.speaker,
            seed=options.seed,
            voices_dir=settings.voices_dir,
        )

    def _due_units(self) -> None:
        with self._lock:
            if self._cutter.due():
                for unit in self._cutter.flush():
                    self._submit(unit)

    def _ahead_s(self) -> float:
        """How far the frames made run ahead of what a viewer shows now."""
        if self.started_at is None:
            return 0.0
        return self.media_s - (self._clock() - self.started_at)

    def _pace(self) -> bool:
        """Wait until the next frame may be drawn; False when the stream was stopped meanwhile."""
        while not self._stopped.is_set():
            wait = self._ahead_s() - self.lead_s
            if wait <= 0:
                return True
            self._stopped.wait(min(wait, 0.05))
        return False

    def run(self, emit: Emit) -> None:
        """Make the whole stream, handing bytes and events to `emit` as they are ready; return at its end."""

        def media(data: bytes) -> None:
            if self.started_at is None and writer.frames_written > 0:  # past the init segment
                self.started_at = self._clock()
                self._first_out.set()
            emit(data)

        writer = FragmentWriter(media, self.width, self.height, self.fps, self.sample_rate)
        try:
            while not self._stopped.is_set():
                self._due_units()
                unit = self._ready_unit()
                if unit is not None:
                    spoken = self._speak(unit, writer, emit)
                    self._speaking, self._quiet_since = False, self._clock()
                    if not spoken:
                        break
                elif self._ended.is_set() and self._units.empty():
                    break
                elif self.started_at is not None and self._ahead_s() < IDLE_WHEN_AHEAD_S:
                    if self._motion.frames_left < IDLE_STEP_FRAMES:
                        emit(self._too_long())
                        break
                    self._idle(writer, emit)
            if not self._stopped.is_set():
                writer.close()
                emit(self._progress())
        except BaseException:
            writer.abort()
            raise
        finally:
            with self._taken:
                self._finished = True
                self._taken.notify_all()
            self._speaker.shutdown(wait=False, cancel_futures=True)

    def _progress(self) -> dict:
        return {
            "type": "progress",
            "media_s": round(self.media_s, 3),
            "units": self.units_spoken,
            "waiting_units": self._units.qsize(),
        }

    def _too_long(self) -> dict:
        return {
            "type": "error",
            "code": "too_long",
            "message": f"the stream reached its limit of {self.max_frames / self.fps:.0f} s. "
            "Start a new stream to go on.",
        }

    def _ready_unit(self) -> Future | None:
        """The next unit once its speech is made; waits a moment for it unless the viewer would run dry."""
        try:
            future = self._units.queue[0]
        except IndexError:
            self._stopped.wait(0.01)
            return None
        if not future.done():
            self._stopped.wait(0.005)
            return None
        self._speaking = True
        with self._taken:
            self._units_taken += 1
            self._taken.notify_all()
        return self._units.get()

    def _speak(self, unit: Future, writer: FragmentWriter, emit: Emit) -> bool:
        """Draw one unit; False when the stream must end (its length limit, or stopped)."""
        try:
            speech = unit.result()
        except InputError as exc:
            emit({"type": "error", "code": "invalid_input", "message": str(exc), "field": exc.field})
            return True
        if speech is None:  # stopped while it waited its turn
            return False
        speech = _with_pause(speech, UNIT_PAUSE_S)
        if speech.frame_count(self.fps) > self._motion.frames_left:
            emit(self._too_long())
            return False
        start = self._motion.frame
        motion = self._motion.speech(speech)
        n = motion.n_frames
        # The unit's audio spans exactly its frames: the pause at its end is trimmed or padded.
        samples = writer.samples_for(start + n) - writer.samples_for(start)
        audio = np.zeros(samples, np.float32)
        audio[: min(samples, len(speech.audio))] = speech.audio[:samples]
        writer.add_audio(audio)
        offset = start / self.fps
        emit({"type": "unit", "text": speech.text, "start": round(offset, 3), "end": round((start + n) / self.fps, 3)})
        for word in speech.words:
            emit(
                {
                    "type": "word",
                    "text": word.text,
                    "start": round(offset + word.start, 3),
                    "end": round(offset + word.end, 3),
                }
            )
        self.units_spoken += 1
        for i in range(n):
            if not self._pace():
                return False
            self._draw(motion.frame(i), writer, emit)
        return True

    def _idle(self, writer: FragmentWriter, emit: Emit) -> None:
        start = self._motion.frame
        motion = self._motion.idle(IDLE_STEP_FRAMES)
        writer.add_audio(np.zeros(writer.samples_for(start + motion.n_frames) - writer.samples_for(start), np.float32))
        for i in range(motion.n_frames):
            self._draw(motion.frame(i), writer, emit)

    def _draw(self, pose: dict, writer: FragmentWriter, emit: Emit) -> None:
        """Draw and encode one frame; after each fragment that leaves, say how far the stream has got."""
        writer.write(self.engine.draw(self.prepared, pose))
        self._frames_out += 1
        if writer.bytes_out > self._bytes_at_progress and self.started_at is not None:
            self._bytes_at_progress = writer.bytes_out
            emit(self._progress())


def stream_to(
    out,
    text: str,
    image=None,
    options: TalkOptions | None = None,
    lead_s: float = LEAD_S,
    settings: Settings | None = None,
) -> float:
    """Speak `text` as one live stream into the binary file `out` (e.g. standard output), flushing each
    fragment as it is made; return the stream's length in seconds. Problems with a piece of the text
    (nothing to say in it) are logged; the rest is spoken."""
    settings = settings or Settings()
    text = check_text(text, settings.max_text_chars)
    stream = LiveStream(image, options, max_seconds=settings.max_audio_s, lead_s=lead_s, settings=settings)

    def emit(item) -> None:
        if isinstance(item, bytes):
            out.write(item)
            out.flush()
        elif item["type"] == "error":
            log.warning("%s", item["message"])

    stream.add_text(text)
    stream.end()
    stream.run(emit)
    return stream.media_s
