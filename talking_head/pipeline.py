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
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np

from . import engines
from .errors import ConfigurationError, EngineError, InputError, OutputError
from .face import analyze_face
from .motion import build_motion
from .options import TalkOptions
from .settings import Settings
from .speech import Speech, WarningCode, speech_from_audio, speech_from_text
from .timing import timed
from .video import VideoWriter, write_captions

log = logging.getLogger(__name__)

DEFAULT_FACE = Path(__file__).parent / "assets" / "default_face.png"
FRAMES_AHEAD = 8  # frames drawn ahead of the encoder

Progress = Callable[[float, str], None]

__all__ = ["DEFAULT_FACE", "Progress", "TalkOptions", "TalkResult", "talk"]


def _about(help: str, **kwargs):
    """A `TalkResult` field with its description (the API's result schema shows it)."""
    return field(metadata={"help": help}, **kwargs)


@dataclass
class TalkResult:
    """What was made, by which engine, and how long each stage took (seconds).

    The one result schema: `--json`, the Python API and the service's job
    record (its `TalkResultRecord` and the fields a job stores) are built from
    these fields; the service leaves out `LOCAL_FIELDS` (paths on this machine).
    """

    LOCAL_FIELDS: ClassVar[tuple[str, ...]] = ("video_path", "captions_path")

    video_path: Path = _about("The MP4 on this machine.")
    captions_path: Path | None = _about("The captions beside it, unless captions=none.")
    engine: str = _about("The engine that drew the video: `footage`, `sadtalker`, `builtin` or `still`.")
    fallback: bool = _about("True when a better engine failed and a simpler one took over.")
    fallback_reason: str | None = _about("Why each better engine failed.")
    duration_s: float = _about("Length of the video in seconds.")
    fps: int = _about("Frames per second.")
    frames: int = _about("Frames in the video.")
    width: int = _about("Frame width in pixels.")
    height: int = _about("Frame height in pixels.")
    faces_found: int = _about("Faces seen in the photo or clip (the largest one talks).")
    alignment: str = _about(
        "How the lips were timed: `voice` (the voice's own timing), `forced`, `recognized`, "
        "`mixed`, `acoustic` or `none`."
    )
    framing: str | None = _about(
        "How the photo was framed: `inside` it, `shifted` or `tightened` to stay inside, `extended` past its edge "
        "(a face cut by it), or `whole`; `footage` for a clip or an avatar drawn by the footage engine.",
        default=None,
    )
    captions_source: str | None = _about(
        "Where the caption words came from: `text` (as written) or `recognition`; null when there are no captions.",
        default=None,
    )
    warnings: list[str] = _about(
        "What to know about the result (several faces in a clip, letters the voice cannot read, why a recording "
        "has no captions).",
        default_factory=list,
    )
    timings: dict[str, float] = _about("Seconds spent in each stage.", default_factory=dict)

    @classmethod
    def shared_fields(cls) -> tuple[str, ...]:
        """The fields a service job stores and shows: all but the local paths."""
        return tuple(spec.name for spec in fields(cls) if spec.name not in cls.LOCAL_FIELDS)

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


def _render(
    engine: engines.Engine,
    face,
    speech: Speech,
    motion,
    options: TalkOptions,
    settings: Settings,
    output: Path,
    timings: dict[str, float],
    progress: Progress | None,
) -> tuple[int, int, int, str | None]:
    with timed(timings, "prepare"):
        prepared = engine.prepare(face, options, settings)
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
    return frames, prepared.width, prepared.height, prepared.framed


def _read_only(folder: Path) -> bool:
    return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)


def speak(
    text: str | None, options: TalkOptions, settings: Settings, timings: dict[str, float] | None = None
) -> Speech:
    """`text` spoken as `options` ask (voice, speed, speaker, seed, timing) within `settings`' limits:
    a video's speech, and each unit of a live stream's."""
    return speech_from_text(
        text,
        options.voice,
        settings.max_text_chars,
        timings,
        speed=options.speed,
        speaker=options.speaker,
        seed=options.seed,
        voices_dir=settings.voices_dir,
        timing=options.text_timing,
    )


def talk(
    text: str | None = None,
    image=None,
    audio: str | Path | None = None,
    output: str | Path = "talking-head.mp4",
    options: TalkOptions | None = None,
    progress: Progress | None = None,
    settings: Settings | None = None,
    video: str | Path | None = None,
    avatar=None,
) -> TalkResult:
    """Make a talking-head video of `image` (path, bytes, array; None: the default face)
    saying `text`, or lip-syncing `audio` (with `text` as its transcript if given).

    `video` (a clip of one person speaking) dubs that clip: its frames in order,
    a new mouth; `avatar` (an `.avatar` path or an `avatar.Avatar`) speaks from
    its idle loop. Either makes the `footage` engine the first choice.
    `options` shape the video; `settings` are the machine's (limits, SadTalker
    checkpoints and device): None is the defaults, not the environment.
    """
    options = options or TalkOptions()
    settings = settings or Settings()
    options.validate()
    footage = video is not None or avatar is not None
    if footage and image is not None:
        raise InputError("give a photo (--image) or footage (--video or --avatar), not both.", field="image")
    if video is not None and avatar is not None:
        raise InputError("give a clip to dub (--video) or an avatar (--avatar), not both.", field="video")
    if options.engine == "footage" and not footage:
        raise InputError(
            "the footage engine draws from a clip: give --video CLIP or --avatar NAME.avatar, or choose another engine.",
            field="engine",
        )
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

    # The photo (or footage) first: one without a face should fail before any speech is made.
    report(0.0, "face")
    warnings: list[str] = []
    person = None
    if footage:
        from .avatar import Avatar, load_avatar, make_avatar

        with timed(timings, "avatar"):
            if video is not None:
                person = make_avatar(video, settings)
            else:
                person = avatar if isinstance(avatar, Avatar) else load_avatar(avatar)
        warnings += person.warnings
        with timed(timings, "face"):
            face = person.face()
    else:
        with timed(timings, "face"):
            face = analyze_face(DEFAULT_FACE if image is None else image, settings.max_image_pixels)
    report(0.05, "speech")
    if audio is not None:
        speech = speech_from_audio(
            audio,
            text,
            settings.max_audio_s,
            settings.max_text_chars,
            timings,
            language=options.language,
            reading=options.audio_reading,
        )
    else:
        speech = speak(text, options, settings, timings)
    report(0.15, "motion")
    with timed(timings, "motion"):
        motion = build_motion(speech, options)

    reasons: list[str] = []
    chain = engines.engine_chain(options.engine, bool(settings.sadtalker_dir), footage)
    for name in chain[:1] if options.strict else chain:
        try:
            engine = engines.get_engine(name)
            reason = engine.unavailable(options, settings)
            if reason:  # the user's set-up to fix: with --strict, exit 2 and the reason, not an internal error
                raise ConfigurationError(reason)
            drawn_from = person if getattr(engine, "takes_avatar", False) else face
            frames, width, height, framed = _render(
                engine, drawn_from, speech, motion, options, settings, output, timings, progress
            )
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
        warnings=warnings
        + [w.message for w in speech.warnings if options.captions != "none" or w.code != WarningCode.NO_CAPTIONS],
        timings={k: round(v, 4) for k, v in timings.items()},
    )
