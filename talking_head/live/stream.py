"""The live pipeline: text in pieces -> units -> speech -> motion -> frames -> fragmented MP4, paced in real time.

One `LiveStream` is one viewer's stream. The photo is analysed (or the
avatar loaded) and the engine prepared once, when it opens (`drawing`). Text arrives with `add_text` (whole or
token by token, from any thread) and is cut into units; each unit is
synthesised in a helper thread while the one before is drawn, then drawn
frame by frame continuing the last unit's motion. When no text is waiting
the face listens (blinks, breathing, a little head motion, silence) in real
time, and the next unit starts where the idling stopped. `run` makes the
stream and hands out, through `emit`, the MP4 bytes and event dicts (each
unit and word with its times, progress, errors) in the order a viewer needs them.

Its parts, one module each: `units` cuts the text, `synthesis` speaks each
unit just ahead of its turn, `pacing` keeps the frames just ahead of the
viewer's clock, `output` encodes them into fragments.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace

import numpy as np

from ..errors import InputError
from ..motion.stream import MotionStream
from ..pipeline import TalkOptions, speak
from ..settings import Settings
from ..speech import Speech, check_text, speech_from_text
from ..speech.audio import ANALYSIS_RATE
from ..speech.tts import load_voice
from ..speech.voices import resolve_voice
from . import events
from .drawing import LIVE_ENGINES, check_engine, prepare_drawing
from .output import Emit, LiveOutput
from .pacing import LEAD_S, Pacer
from .synthesis import SpeechAhead
from .units import UnitCutter

log = logging.getLogger(__name__)

IDLE_WHEN_AHEAD_S = 0.4  # with less than this left to show and nothing ready, the face listens
IDLE_STEP_FRAMES = 2  # idle is drawn a few frames at a time, so new speech starts soon
UNIT_PAUSE_S = 0.2  # silence after each unit, where the mouth rests
EDGE_FADE_S = 0.004  # a few milliseconds of fade at unit edges: no click where audio meets silence
ENGINES = LIVE_ENGINES


def check_live_options(options: TalkOptions, avatar: bool = False) -> None:
    """Raise `InputError` for options a live stream cannot use (of a photo, or of an avatar)."""
    options.validate()
    check_engine(options, avatar)


@functools.lru_cache(maxsize=8)
def warm_up(voice: str | None, voices_dir: str | None) -> None:
    """Speak one word once per process and voice: the first synthesis loads and compiles the model (seconds)."""
    speech_from_text("Hello.", voice, voices_dir=voices_dir)


def _with_pause(speech: Speech, seconds: float) -> Speech:
    fade = max(1, int(EDGE_FADE_S * speech.sample_rate))
    audio = np.array(speech.audio, np.float32)  # a unit's: short, read whole
    ramp = np.linspace(0.0, 1.0, min(fade, len(audio)), dtype=np.float32)
    audio[: len(ramp)] *= ramp
    audio[len(audio) - len(ramp) :] *= ramp[::-1]
    audio = np.concatenate([audio, np.zeros(int(seconds * speech.sample_rate), np.float32)])
    audio_16k = np.concatenate([np.asarray(speech.audio_16k), np.zeros(int(seconds * ANALYSIS_RATE), np.float32)])
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
        avatar=None,
    ):
        self.options = options or TalkOptions()
        self.settings = settings or Settings()
        check_live_options(self.options, avatar is not None)
        self.fps = self.options.fps
        self.engine, self.prepared = prepare_drawing(image, avatar, self.options, self.settings)
        voices_dir = self.settings.voices_dir
        self.sample_rate = load_voice(resolve_voice(self.options.voice, voices_dir)).sample_rate
        warm_up(self.options.voice, voices_dir)
        self.max_frames = int(max_seconds * self.fps)
        self._clock = clock
        self._cutter = UnitCutter(clock)
        self._lock = threading.Lock()
        self._ended = threading.Event()
        self._stopped = threading.Event()
        self.pacer = Pacer(lead_s, clock, self._stopped)
        self._ahead = SpeechAhead(self._synthesise, self.pacer.first_out, self._stopped)
        self._motion = MotionStream(self.options, self.fps, self.max_frames)
        self._output: LiveOutput | None = None
        self.units_spoken = 0
        self._speaking = False
        self._quiet_since = clock()

    @property
    def width(self) -> int:
        return self.prepared.width

    @property
    def height(self) -> int:
        return self.prepared.height

    @property
    def lead_s(self) -> float:
        return self.pacer.lead_s

    @property
    def started_at(self) -> float | None:
        """The viewer's clock: when the first media fragment went out."""
        return self.pacer.started_at

    @property
    def listening(self) -> bool:
        """Nothing left to say: no unit waiting, none being drawn, no text waiting for its end."""
        return not self._speaking and self._ahead.empty and not self._cutter.pending

    def listening_for_s(self) -> float:
        """How long the face has had nothing to say (0 while it speaks or has text waiting)."""
        return self._clock() - self._quiet_since if self.listening else 0.0

    @property
    def media_s(self) -> float:
        """Seconds of stream drawn and encoded so far (motion may already be planned further)."""
        return 0.0 if self._output is None else self._output.media_s

    @property
    def pending_chars(self) -> int:
        """Text received and not yet being spoken: waiting for its end, or in units waiting their turn."""
        return len(self._cutter.pending) + self._ahead.waiting_chars

    def add_text(self, piece: str) -> None:
        """More text to speak; units are cut from it as their ends arrive.

        Refused (`InputError`, status 429) when it would bring the text waiting to be
        spoken past the live_max_pending_chars setting: a client sending faster than the
        face speaks must wait, not fill the server's memory.
        """
        if self._ended.is_set():
            raise InputError("the stream has ended; text after the end is not spoken.", field="text")
        limit = self.settings.live_max_pending_chars
        if self.pending_chars + len(piece) > limit:
            raise InputError(
                f"text refused: {self.pending_chars} characters are still waiting to be spoken and this "
                f"message would take them past the limit of {limit}. Send more once the face has said them "
                "(watch the unit events).",
                field="text",
                status=429,
            )
        with self._lock:
            for unit in self._cutter.add(piece):
                self._ahead.submit(unit)

    def end(self) -> None:
        """No more text: speak what is left, then finish the stream."""
        with self._lock:
            for unit in self._cutter.flush():
                self._ahead.submit(unit)
            self._ended.set()

    def stop(self) -> None:
        """Stop at once (the viewer left); `run` returns after the frame it is drawing."""
        self._stopped.set()
        self._ended.set()
        self._ahead.wake()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _synthesise(self, unit: str) -> Speech:
        return speak(unit, self.options, self.settings)

    def _due_units(self) -> None:
        with self._lock:
            if self._cutter.due():
                for unit in self._cutter.flush():
                    self._ahead.submit(unit)

    def run(self, emit: Emit) -> None:
        """Make the whole stream, handing bytes and events to `emit` as they are ready; return at its end."""
        output = LiveOutput(emit, self.width, self.height, self.fps, self.sample_rate, self.pacer, self._progress)
        self._output = output
        try:
            while not self._stopped.is_set():
                self._due_units()
                unit = self._ahead.ready()
                if unit is not None:
                    self._speaking = True
                    spoken = self._speak(unit, output, emit)
                    self._speaking, self._quiet_since = False, self._clock()
                    if not spoken:
                        break
                elif self._ended.is_set() and self._ahead.empty:
                    break
                elif self.started_at is not None and self.pacer.ahead_s(output.media_s) < IDLE_WHEN_AHEAD_S:
                    if self._motion.frames_left < IDLE_STEP_FRAMES:
                        emit(self._too_long())
                        break
                    self._idle(output)
            if not self._stopped.is_set():
                output.close()
        except BaseException:
            output.abort()
            raise
        finally:
            self._ahead.close()

    def _progress(self) -> dict:
        return {
            "type": "progress",
            "media_s": round(self.media_s, 3),
            "units": self.units_spoken,
            "waiting_units": self._ahead.waiting,
        }

    def _too_long(self) -> dict:
        return events.too_long(self.max_frames / self.fps)

    def _speak(self, unit: Future, output: LiveOutput, emit: Emit) -> bool:
        """Draw one unit; False when the stream must end (its length limit, or stopped)."""
        try:
            speech = unit.result()
        except InputError as exc:
            emit(events.error("invalid_input", str(exc), exc.field))
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
        samples = output.samples_of(start, n)
        audio = np.zeros(samples, np.float32)
        audio[: min(samples, len(speech.audio))] = speech.audio[:samples]
        output.add_audio(audio)
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
            if not self.pacer.wait(output.media_s):
                return False
            output.write(self.engine.draw(self.prepared, motion.frame(i)))
        return True

    def _idle(self, output: LiveOutput) -> None:
        start = self._motion.frame
        motion = self._motion.idle(IDLE_STEP_FRAMES)
        output.add_audio(np.zeros(output.samples_of(start, motion.n_frames), np.float32))
        for i in range(motion.n_frames):
            output.write(self.engine.draw(self.prepared, motion.frame(i)))


def stream_to(
    out,
    text: str,
    image=None,
    options: TalkOptions | None = None,
    lead_s: float = LEAD_S,
    settings: Settings | None = None,
    avatar=None,
) -> float:
    """Speak `text` as one live stream into the binary file `out` (e.g. standard output), flushing each
    fragment as it is made; return the stream's length in seconds. `avatar` (a `.avatar` file) speaks
    with that person's footage instead of the photo. Problems with a piece of the text (nothing to say
    in it) are logged; the rest is spoken."""
    settings = settings or Settings()
    text = check_text(text, settings.max_text_chars)
    stream = LiveStream(
        image, options, max_seconds=settings.max_audio_s, lead_s=lead_s, settings=settings, avatar=avatar
    )

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
