"""The one entry point: a request in, a finished MP4 and a `TalkResult` out.

face -> speech -> motion -> engine -> encoder, each timed; engines are tried
best first and every step down the chain is recorded with its reason.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from . import engines
from .errors import ConfigurationError, EngineError, InputError, OutputError
from .face import Face, analyze_face
from .motion import build_motion
from .settings import Settings
from .speech import Speech, speech_from_audio, speech_from_text
from .timing import timed
from .video import VideoWriter, write_captions

log = logging.getLogger(__name__)

DEFAULT_FACE = Path(__file__).parent / "assets" / "default_face.png"
CAPTION_KINDS = ("vtt", "srt", "none")
MAX_SIZE_PX = 2048
FRAMES_AHEAD = 8  # frames drawn ahead of the encoder

Progress = Callable[[float, str], None]


@dataclass
class TalkOptions:
    """Everything that shapes a video; the CLI, the service and the Python API all build one."""

    fps: int = 25
    size: int = 512
    """Square frame side in pixels around the face; 0 keeps the whole photo."""
    engine: str = "auto"
    voice: str | None = None
    """A voice name (the bundled en_US-joe-medium, or one in `voices_dir`) or a Piper `.onnx` path
    (its `.onnx.json` beside it); None is the bundled voice."""
    voices_dir: str | None = None
    """Folder of extra Piper voices offered by name (`TALKING_HEAD_VOICES_DIR`)."""
    speed: float = 1.0
    """Speaking rate: 1.25 is a quarter faster, 0.8 slower (0.5 to 2)."""
    speaker: str | None = None
    """Speaker name or number of a multi-speaker voice; None is its default speaker."""
    audio_reading: str = "auto"
    """How a recording's mouth shapes are read: ``recognition`` (PocketSphinx phones, or the transcript
    force-aligned), ``sound`` (from the sound's spectrum and energy, any language, no recogniser), or
    ``auto``: recognition when PocketSphinx is installed (it measured better, on German speech too)."""
    text_timing: str = "voice"
    """How text is timed: ``voice`` (the voice's own durations, any language) or ``forced``
    (PocketSphinx aligns the speech back to its text: English only, slower; for comparison)."""
    language: str | None = None
    """Language of a recording (``en``, ``de``, ...); None is unknown. An English recording without a
    transcript is captioned from word recognition; others get no captions (and a warning why)."""
    still: bool = False
    """Keep the head still (the mouth, eyes and brows still move)."""
    expression_scale: float = 1.0
    pose_style: int = 0
    seed: int = 0
    """Fixes everything random: the voice's noise, blinks and head motion. The same request with the
    same seed gives the same audio and frames, bit for bit (on the same machine and versions)."""
    strict: bool = False
    """Raise instead of falling back to a simpler engine."""
    captions: str = "vtt"
    max_text_chars: int = Settings.max_text_chars
    max_audio_s: float = Settings.max_audio_s
    max_image_pixels: int = Settings.max_image_pixels
    sadtalker_dir: str | None = None
    sadtalker_preprocess: str = "crop"
    """SadTalker framing: ``crop``, ``resize`` or ``full`` (paste back into the whole photo)."""
    batch_size: int = 8
    half: bool = False
    device: str | None = None
    yaw: tuple[float, ...] | None = None
    pitch: tuple[float, ...] | None = None
    roll: tuple[float, ...] | None = None
    """Optional head-pose keyframes in degrees (SadTalker), spread evenly over the video."""

    @classmethod
    def from_settings(cls, settings: Settings, **overrides) -> "TalkOptions":
        base = cls(
            max_text_chars=settings.max_text_chars,
            max_audio_s=settings.max_audio_s,
            max_image_pixels=settings.max_image_pixels,
            sadtalker_dir=str(settings.sadtalker_dir) if settings.sadtalker_dir else None,
            voices_dir=str(settings.voices_dir) if settings.voices_dir else None,
        )
        return replace(base, **{k: v for k, v in overrides.items() if v is not None})

    def validate(self) -> None:
        """Raise `InputError` for an option outside its range."""
        checks = [
            (1 <= self.fps <= 60, "fps", "fps must be between 1 and 60"),
            (self.size == 0 or 64 <= self.size <= MAX_SIZE_PX, "size",
             f"size must be 0 (whole photo) or between 64 and {MAX_SIZE_PX}"),
            (self.size % 2 == 0, "size", "size must be even (H.264 with yuv420p needs even sides)"),
            (self.engine in engines.ENGINE_NAMES, "engine", f"engine must be one of {', '.join(engines.ENGINE_NAMES)}"),
            (self.captions in CAPTION_KINDS, "captions", "captions must be vtt, srt or none"),
            (0.0 <= self.expression_scale <= 3.0, "expression_scale", "expression_scale must be between 0 and 3"),
            (0 <= self.pose_style <= 45, "pose_style", "pose_style must be between 0 and 45"),
            (self.sadtalker_preprocess in ("crop", "resize", "full"), "sadtalker_preprocess",
             "sadtalker_preprocess must be crop, resize or full"),
            (1 <= self.batch_size <= 256, "batch_size", "batch_size must be between 1 and 256"),
            (0.5 <= self.speed <= 2.0, "speed", "speed must be between 0.5 and 2"),
            (self.text_timing in ("voice", "forced"), "text_timing", "text_timing must be voice or forced"),
            (self.audio_reading in ("auto", "recognition", "sound"), "audio_reading",
             "audio_reading must be auto, recognition or sound"),
        ]
        for ok, name, message in checks:
            if not ok:
                raise InputError(message + ".", field=name)


@dataclass
class TalkResult:
    """What was made, by which engine, and how long each stage took (seconds)."""

    video_path: Path
    captions_path: Path | None
    engine: str
    fallback: bool
    fallback_reason: str | None
    duration_s: float
    fps: int
    frames: int
    width: int
    height: int
    faces_found: int
    alignment: str
    framing: str | None = None
    """How the photo was framed: inside, shifted, tightened, extended (past its edge) or whole."""
    captions_source: str | None = None
    """Where the caption words came from: ``text`` (as written), ``recognition``, or None."""
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The result record shared by the Python API, `--json` and the service."""
        record = asdict(self)
        record["video_path"] = str(self.video_path)
        record["captions_path"] = str(self.captions_path) if self.captions_path else None
        record["video_url"] = self.video_path.resolve().as_uri()
        return record


def _drawn_ahead(frames: Iterator[np.ndarray], timings: dict[str, float]) -> Iterator[np.ndarray]:
    """Draw frames in a thread while the caller encodes them, so the two share the cores.

    At most `FRAMES_AHEAD` frames wait in between: memory stays flat. An
    exception in the drawing thread is raised here, in the caller's.
    """
    handoff: queue.Queue = queue.Queue(maxsize=FRAMES_AHEAD)
    stop = threading.Event()
    done = object()

    def put(item) -> None:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def draw() -> None:
        try:
            iterator = iter(frames)
            while not stop.is_set():
                with timed(timings, "render"):
                    frame = next(iterator, done)
                put(frame)
                if frame is done:
                    return
        except BaseException as exc:  # handed to the caller, who decides
            put(exc)

    thread = threading.Thread(target=draw, name="talking-head-render", daemon=True)
    thread.start()
    try:
        while True:
            item = handoff.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _render(engine, face: Face, speech: Speech, motion, options: TalkOptions, output: Path,
            timings: dict[str, float], progress: Progress | None) -> tuple[int, int, int, str | None]:
    with timed(timings, "prepare"):
        prepared = engine.prepare(face, options)
    frames = 0
    with VideoWriter(output, prepared.width, prepared.height, options.fps, speech.audio, speech.sample_rate) as writer:
        for frame in _drawn_ahead(engine.render(prepared, speech, motion), timings):
            with timed(timings, "encode"):
                writer.write(frame)
            frames += 1
            if progress and frames % 10 == 0:
                progress(0.2 + 0.8 * frames / motion.n_frames, "render")
        if frames != motion.n_frames:
            raise EngineError(f"{engine.name} drew {frames} frames for {motion.n_frames} wanted")
    return frames, prepared.width, prepared.height, getattr(prepared, "framed", None)


def _read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def talk(
    text: str | None = None,
    image=None,
    audio: str | Path | None = None,
    output: str | Path = "talking-head.mp4",
    options: TalkOptions | None = None,
    progress: Progress | None = None,
) -> TalkResult:
    """Make a talking-head video of `image` (path, bytes, array; None: the default face)
    saying `text`, or lip-syncing `audio` (with `text` as its transcript if given).
    """
    options = options or TalkOptions()
    options.validate()
    output = Path(output)
    if output.suffix.lower() != ".mp4":
        raise InputError(f"the output must be an .mp4 file, got {output.name}", field="output")
    if not output.parent.is_dir():
        raise InputError(f"the output folder {output.parent} does not exist. Create it first.", field="output")
    if not os.access(output.parent, os.W_OK):
        # Before any work: a read-only or foreign folder is known now, not after the render.
        code = errno.EROFS if _read_only(output.parent) else errno.EACCES
        raise OutputError.writing(output, OSError(code, os.strerror(code)))
    started = time.perf_counter()
    timings: dict[str, float] = {}
    report = progress or (lambda fraction, stage: None)

    # The photo first: a photo without a face should fail before any speech is made.
    report(0.0, "face")
    with timed(timings, "face"):
        face = analyze_face(DEFAULT_FACE if image is None else image, options.max_image_pixels)
    report(0.05, "speech")
    if audio is not None:
        speech = speech_from_audio(audio, text, options.max_audio_s, options.max_text_chars, timings,
                                   language=options.language, reading=options.audio_reading)
    else:
        speech = speech_from_text(text, options.voice, options.max_text_chars, timings, speed=options.speed,
                                  speaker=options.speaker, seed=options.seed, voices_dir=options.voices_dir,
                                  timing=options.text_timing)
    report(0.15, "motion")
    with timed(timings, "motion"):
        motion = build_motion(speech, options)

    reasons: list[str] = []
    chain = engines.engine_chain(options.engine, bool(options.sadtalker_dir))
    for name in chain[:1] if options.strict else chain:
        try:
            engine = engines.get_engine(name)
            reason = engine.unavailable(options)
            if reason:  # the user's set-up to fix: with --strict, exit 2 and the reason, not an internal error
                raise ConfigurationError(reason)
            frames, width, height, framed = _render(engine, face, speech, motion, options, output, timings, progress)
        except (InputError, OutputError):  # the caller's input or the disk: another engine cannot help
            raise
        except Exception as exc:
            if options.strict:
                raise
            message = f"{name}: {exc}"
            log.warning("engine %s failed, falling back: %s", name, exc)
            reasons.append(message)
            continue
        break
    else:
        raise EngineError("every engine failed: " + "; ".join(reasons))

    with timed(timings, "captions"):
        captions = write_captions(speech.words, output, options.captions)
    timings["total"] = time.perf_counter() - started
    report(1.0, "done")
    return TalkResult(
        video_path=output,
        captions_path=captions,
        engine=name,
        fallback=bool(reasons),
        fallback_reason="; ".join(reasons) or None,
        duration_s=frames / options.fps,
        fps=options.fps,
        frames=frames,
        width=width,
        height=height,
        faces_found=face.faces_found,
        alignment=speech.alignment,
        framing=framed,
        captions_source=speech.captions_source if captions else None,
        warnings=[w for w in speech.warnings if options.captions != "none" or not w.startswith("no captions")],
        timings={k: round(v, 4) for k, v in timings.items()},
    )
