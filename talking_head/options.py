"""The per-video options, declared once.

Each field of `TalkOptions` is one option: its type and default, and an
`option(...)` with its help text, its bounds or choices, whether a service
request may set it, and its `say` flag. `TalkOptions.validate`, the CLI's
`say` flags (`cli.py`) and the service's form fields (and so the OpenAPI
schema, `service/forms.py`) are all built from these fields: adding an
option is adding one field here. What belongs to the machine rather than to
one video (limits, folders, the SadTalker checkpoints and device) is in
`settings.Settings`.
"""

from __future__ import annotations

import argparse
import math
import typing
from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields

from .engines.registry import ENGINE_NAMES
from .errors import InputError

CAPTION_KINDS = ("vtt", "srt", "none")
AUDIO_READINGS = ("auto", "recognition", "sound")
TEXT_TIMINGS = ("voice", "forced")
MAX_SPEAKER_CHARS = 100
MAX_LANGUAGE_CHARS = 20
SADTALKER_FRAMINGS = ("crop", "resize", "full")
MOTION_LEVELS = ("calm", "natural", "lively")
MIN_SIZE_PX, MAX_SIZE_PX = 64, 2048
# The speaking rate (Piper's 1 / length_scale) the voice is asked for: the speed option, an SSML
# <prosody rate>, and the two together.
MIN_SPEED, MAX_SPEED = 0.5, 2.0
MAX_SEED = 2**31 - 1
MAX_VOICE_NAME_CHARS = 100
SIZE_RULE = f"0 (whole photo) or between {MIN_SIZE_PX} and {MAX_SIZE_PX}"

Check = tuple[Callable[[typing.Any], bool], str]


@dataclass(frozen=True)
class OptionSpec:
    """How one option is checked, explained, and offered on the command line and in a request."""

    help: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None
    rule: str | None = None
    """How the valid values read in an error ("... must be RULE"); default: from the bounds or choices."""
    checks: tuple[Check, ...] = ()
    """Further (predicate, rule) pairs, checked after the bounds and choices."""
    request: bool = True
    """A service request may set it."""
    cli: bool = True
    """`talking-head say` has a flag for it."""
    request_help: str | None = None
    """The request field's description, when it differs from `help` (e.g. a name, not a path)."""
    max_length: int | None = None
    """Longest string a request may send."""
    flag: str | None = None
    """The `say` flag; default ``--`` and the name with dashes."""
    group: str | None = None
    """The `say --help` section."""
    parse: Callable[[str], typing.Any] | None = None
    """Turns the flag's text into the value, when the type alone does not say how."""
    json_schema: dict | None = None
    """What a request's schema adds to the bounds and choices: the `checks` in JSON Schema."""

    def allows(self, value: typing.Any) -> bool:
        """Whether `value` is one of the choices and within the bounds (those the option has)."""
        if self.choices and value not in self.choices:
            return False
        if self.minimum is None:
            return True
        return self.minimum <= value <= (math.inf if self.maximum is None else self.maximum)

    def describe(self) -> str:
        if self.rule:
            return self.rule
        if self.choices:
            return ", ".join(self.choices[:-1]) + " or " + self.choices[-1]
        return f"between {_number(self.minimum)} and {_number(self.maximum)}"


def option(default, help: str, **spec):
    """A `TalkOptions` field: its default, and what `OptionSpec` says about it."""
    return field(default=default, metadata={"option": OptionSpec(help, **spec)})


def _number(value: float | None) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def keyframes(value: str) -> tuple[float, ...]:
    """``0,20,-20`` -> (0.0, 20.0, -20.0)."""
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected degrees separated by commas, got {value!r}") from None


@dataclass
class TalkOptions:
    """Everything that shapes one video; the CLI, the service and the Python API all build one."""

    engine: str = option(
        "auto",
        "auto: sadtalker when its checkpoints are configured, else builtin; footage given a clip or an avatar",
        choices=ENGINE_NAMES,
    )
    fps: int = option(25, "frames per second", minimum=1, maximum=60)
    size: int = option(
        512,
        "square frame side in pixels around the face (even); 0 keeps the whole photo",
        minimum=0,
        maximum=MAX_SIZE_PX,
        rule=SIZE_RULE,
        checks=(
            (lambda v: v == 0 or v >= MIN_SIZE_PX, SIZE_RULE),
            (lambda v: v % 2 == 0, "even (H.264 with yuv420p needs even sides)"),
        ),
        json_schema={"anyOf": [{"const": 0}, {"minimum": MIN_SIZE_PX, "multipleOf": 2}]},
    )
    voice: str | None = option(
        None,
        "voice name (talking-head voices lists them) or a Piper voice .onnx path (its .onnx.json beside it); "
        "default: en_US-joe-medium",
        request_help="A voice name from `GET /v1/voices`; default en_US-joe-medium.",
        max_length=MAX_VOICE_NAME_CHARS,
    )
    speed: float = option(
        1.0, "speaking rate: 1.25 is a quarter faster, 0.8 slower", minimum=MIN_SPEED, maximum=MAX_SPEED
    )
    speaker: str | None = option(
        None,
        "speaker name or number, for a voice with several speakers",
        request_help="Speaker name or number of a multi-speaker voice.",
        max_length=MAX_SPEAKER_CHARS,
    )
    language: str | None = option(
        None,
        "language of the --audio recording (en, de, ...): an English one without a transcript is captioned "
        "from word recognition",
        request_help="Language of the recording (`en`, `de`, ...): `en` is captioned from recognition.",
        max_length=MAX_LANGUAGE_CHARS,
    )
    audio_reading: str = option(
        "auto",
        "how a recording's mouth shapes are read: PocketSphinx phone recognition, or the sound's spectrum "
        "and energy (any language, no recogniser); auto: recognition when installed",
        choices=AUDIO_READINGS,
        request=False,
    )
    text_timing: str = option(
        "voice",
        "how text is timed: the voice's own durations, or forced alignment by PocketSphinx (English "
        "only, slower; for comparison in bench/)",
        choices=TEXT_TIMINGS,
        request=False,
        cli=False,
    )
    captions: str = option("vtt", "caption file beside the video", choices=CAPTION_KINDS)
    seed: int = option(
        0,
        "seed for everything random: the voice's noise, blinks, head motion; the same seed gives the same video",
        minimum=0,
        maximum=MAX_SEED,
        request_help="Fixes the voice's noise, blinks and head motion: the same request and seed give the same video.",
    )
    still: bool = option(False, "keep the head still; only the face moves")
    motion: str = option(
        "natural",
        "how much the head and brows move: calm, natural (a typical speaker's, fitted to real footage) or lively",
        choices=MOTION_LEVELS,
    )
    expression_scale: float = option(1.0, "scale of mouth and brow motion", minimum=0.0, maximum=3.0)
    pose_style: int = option(0, "head motion character", minimum=0, maximum=45)
    strict: bool = option(
        False,
        "fail instead of falling back to a simpler engine; an engine that is unavailable "
        "or misconfigured (e.g. no SadTalker checkpoints) is then exit 2",
        request=False,
    )
    sadtalker_preprocess: str = option(
        "crop",
        "crop around the face, resize the photo, or paste back into the full photo",
        choices=SADTALKER_FRAMINGS,
        request=False,
        flag="--preprocess",
        group="SadTalker engine",
    )
    yaw: tuple[float, ...] | None = option(
        None, "head yaw keyframes in degrees, e.g. 0,20,-20", request=False, group="SadTalker engine", parse=keyframes
    )
    pitch: tuple[float, ...] | None = option(
        None, "head pitch keyframes in degrees", request=False, group="SadTalker engine", parse=keyframes
    )
    roll: tuple[float, ...] | None = option(
        None, "head roll keyframes in degrees", request=False, group="SadTalker engine", parse=keyframes
    )
    """Head-pose keyframes (SadTalker) are spread evenly over the video."""

    def validate(self) -> None:
        """Raise `InputError` for an option outside its range or choices."""
        for spec in option_fields():
            value, about = getattr(self, spec.name), spec_of(spec)
            if value is None:
                continue
            checks: list[Check] = [(about.allows, about.describe())]
            for ok, rule in [*checks, *about.checks]:
                if not ok(value):
                    raise InputError(f"{spec.name} must be {rule}.", field=spec.name)


def option_fields() -> tuple[Field, ...]:
    return fields(TalkOptions)


def request_fields() -> tuple[Field, ...]:
    """The options a service request may set."""
    return tuple(spec for spec in option_fields() if spec_of(spec).request)


def spec_of(spec: Field) -> OptionSpec:
    return spec.metadata["option"]


def kind_of(spec: Field) -> type:
    """The option's type without `| None`: int, float, bool, str or tuple."""
    hint = typing.get_type_hints(TalkOptions)[spec.name]
    args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
    if typing.get_origin(hint) is not None and len(args) == 1:
        hint = args[0]
    return typing.get_origin(hint) or hint


def flag_of(spec: Field) -> str:
    return spec_of(spec).flag or "--" + spec.name.replace("_", "-")
