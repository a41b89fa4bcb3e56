"""`talking-head say|voices|serve|worker|eval|bench`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import Field, fields

from .errors import ConfigurationError, InputError, OutputError
from .options import TalkOptions, flag_of, option_fields
from .options import kind_of as option_kind
from .options import spec_of as option_spec
from .settings import Settings, default_of, env_name
from .settings import spec_of as setting_spec
from .version import __version__

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
EXIT_SIGNAL_BASE = 128  # stopped by signal N: exit 128 + N, as a shell reports a process it killed


class Stopped(KeyboardInterrupt):
    """SIGTERM (timeout, systemd, docker stop) raised where the program is, as Ctrl-C is,
    so that what is half-written is removed on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


class _StopOnSignal:
    """The SIGTERM handler: raise `Stopped` where the program is, and again at the next progress report.

    An exception raised inside a callback that a library calls from C can be swallowed there (it is
    "ignored", not raised); the signal is remembered so that the run still stops at the next frames.
    """

    def __init__(self) -> None:
        self.signum: int | None = None

    def __call__(self, signum, frame) -> None:
        self.signum = signum
        raise Stopped(signum)

    def check(self) -> None:
        if self.signum is not None:
            raise Stopped(self.signum)


def _add_say(sub) -> None:
    p = sub.add_parser(
        "say",
        help="make a talking-head video from text or recorded speech",
        description="Make a lip-synced talking-head MP4 (and captions beside it) from one photo "
        "and text, or from recorded speech.",
        epilog='examples:\n  talking-head say "Hello there!" -o hello.mp4\n'
        "  talking-head say --audio talk.m4a --image me.jpg -o me.mp4\n"
        "  talking-head say - < script.txt --image me.jpg --size 0\n"
        '  talking-head say "New words." --video clip.mp4 -o dubbed.mp4\n'
        '  talking-head say "Hello." --avatar me.avatar -o me.mp4\n'
        '  talking-head say "Hello, live." --stream | ffplay -\n'
        '  talking-head say "Hello, live." --stream --avatar me.avatar | ffplay -',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("text", nargs="?", help="words to speak ('-' reads standard input); with --audio, its transcript")
    p.add_argument("--image", help="portrait photo (default: the bundled face)")
    p.add_argument(
        "--video",
        metavar="CLIP",
        help="dub this clip of one person speaking: its own frames, a new mouth (footage engine)",
    )
    p.add_argument(
        "--avatar",
        metavar="NAME.avatar",
        help="speak with an avatar made by talking-head avatar make, from its idle loop (footage engine)",
    )
    p.add_argument(
        "--audio", help="speech recording to lip-sync instead of text to speech (wav, mp3, m4a, ogg, flac, webm)"
    )
    p.add_argument("-o", "--output", default="talking-head.mp4", help="output .mp4 (default: %(default)s)")
    _add_option_flags(p)
    p.add_argument("--json", action="store_true", help="print the result record as JSON on standard output")
    p.add_argument(
        "--stream",
        action="store_true",
        help="write a fragmented MP4 to standard output as it is made, in real time "
        "(e.g. | ffplay -); the builtin engine, or the footage engine with --avatar; no captions file",
    )
    _add_setting_flags(p)
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    p.set_defaults(run=_say)


def _group(parser: argparse.ArgumentParser, title: str | None):
    if title is None:
        return parser
    for group in parser._action_groups:
        if group.title == title:
            return group
    return parser.add_argument_group(title)


def _add_option_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per per-video option (options.py), with its default, bounds left to `validate`."""
    for spec in option_fields():
        about, default = option_spec(spec), spec.default
        if not about.cli:
            continue
        target = _group(parser, about.group)
        if option_kind(spec) is bool:
            target.add_argument(flag_of(spec), dest=spec.name, action="store_true", default=default, help=about.help)
            continue
        notes = [about.describe()] if about.minimum is not None else []
        notes += ["default: %(default)s"] if default is not None else []
        target.add_argument(
            flag_of(spec),
            dest=spec.name,
            type=about.parse or option_kind(spec),
            default=default,
            choices=about.choices,
            help=about.help + (f" ({'; '.join(notes)})" if notes else ""),
        )


def _setting_flags() -> list[tuple[Field, str]]:
    """The settings a `say` flag sets, each with its flag."""
    return [(spec, flag) for spec in fields(Settings) if (flag := setting_spec(spec).flag)]


def _add_setting_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that set a machine setting (settings.py) for this run; without one, its environment variable decides."""
    for spec, flag in _setting_flags():
        about, default = setting_spec(spec), default_of(spec)
        target = _group(parser, about.group)
        help = f"{about.help} (default: ${env_name(spec)}" + (f", else {default})" if default is not None else ")")
        if isinstance(default, bool):
            target.add_argument(flag, dest=spec.name, action="store_true", default=None, help=help)
        else:
            target.add_argument(
                flag,
                dest=spec.name,
                type=str if default is None else type(default),
                default=None,
                metavar=flag.lstrip("-").upper().replace("-", "_"),
                help=help,
            )


def _options(args: argparse.Namespace) -> TalkOptions:
    return TalkOptions(**{spec.name: getattr(args, spec.name) for spec in option_fields() if option_spec(spec).cli})


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env().override(**{spec.name: getattr(args, spec.name) for spec, _ in _setting_flags()})


def _add_voices(sub) -> None:
    p = sub.add_parser(
        "voices",
        help="list the installed voices",
        description="List the voices --voice takes by name: the bundled en_US-joe-medium and those in "
        "TALKING_HEAD_VOICES_DIR (see docs/voices.md to install more).",
    )
    p.add_argument("--json", action="store_true", help="print the list as JSON")
    p.set_defaults(run=_voices)


def _voices(args) -> int:
    from .speech.voices import list_voices

    found = list_voices(Settings.from_env().voices_dir)
    if args.json:
        print(json.dumps([v.to_dict() for v in found], indent=2))
        return EXIT_OK
    rows = [("NAME", "LANGUAGE", "QUALITY", "RATE", "SPEAKERS")]
    for v in found:
        speakers = str(len(v.speakers) or 1) + (
            f" ({', '.join(v.speakers[:4])}{', ...' if len(v.speakers) > 4 else ''})" if v.speakers else ""
        )
        rows.append(
            (
                v.name + (" (bundled)" if v.bundled else ""),
                f"{v.language} {v.language_name}",
                v.quality,
                f"{v.sample_rate} Hz",
                speakers,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    return EXIT_OK


def _progress_bar(stop: _StopOnSignal):
    """A progress callback (a bar on a terminal) that also stops the run once a signal came."""
    if not sys.stderr.isatty():
        return lambda fraction, stage: stop.check(), lambda: None
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", bar_format="{desc:<8} {bar} {percentage:3.0f}% {elapsed}", file=sys.stderr)

    def update(fraction: float, stage: str) -> None:
        stop.check()
        bar.set_description_str(stage, refresh=False)
        bar.update(round(fraction * 100) - bar.n)

    return update, bar.close


def _say(args) -> int:
    import signal

    stop = _StopOnSignal()
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return _say_stoppable(args, stop)
    finally:  # main() called from a program of its own leaves its handler as it was
        signal.signal(signal.SIGTERM, previous)


def _say_stoppable(args, stop: _StopOnSignal) -> int:
    from .pipeline import talk

    # Bytes that are not UTF-8 become U+FFFD (the text front end drops them), never a UnicodeDecodeError.
    text = sys.stdin.buffer.read().decode("utf-8", errors="replace") if args.text == "-" else args.text
    if text is None and args.audio is None:
        raise InputError("give the words to speak, or --audio FILE. See talking-head say --help.", field="text")
    settings = _settings(args)
    chosen = _options(args)
    if args.stream:
        if args.video:
            raise InputError(
                "--stream speaks from a photo or an avatar, not a clip to dub: make one first "
                "(talking-head avatar make CLIP -o NAME.avatar), then --stream --avatar NAME.avatar.",
                field="stream",
            )
        return _stream(args, text, chosen, settings)
    progress, finish = _progress_bar(stop)
    try:
        result = talk(
            text=text,
            image=args.image,
            audio=args.audio,
            output=args.output,
            options=chosen,
            progress=progress,
            settings=settings,
            video=args.video,
            avatar=args.avatar,
        )
    finally:
        finish()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        note = f" (fell back: {result.fallback_reason})" if result.fallback else ""
        print(
            f"{result.video_path}: {result.duration_s:.1f} s, {result.width}x{result.height}, engine {result.engine}{note}",
            file=sys.stderr,
        )
    return EXIT_OK


def _stream(args, text, options, settings) -> int:
    from .live.stream import stream_to

    if args.audio is not None:
        raise InputError(
            "--stream speaks text; a recording cannot be streamed. Drop --audio or --stream.", field="audio"
        )
    if sys.stdout.isatty():
        raise InputError(
            "--stream writes video to standard output: pipe it into a player or a file, "
            'e.g. talking-head say "Hi" --stream | ffplay -',
            field="stream",
        )
    seconds = stream_to(sys.stdout.buffer, text, args.image, options, settings=settings, avatar=args.avatar)
    print(f"streamed {seconds:.1f} s", file=sys.stderr)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="talking-head",
        description="One portrait photo plus text or speech becomes a lip-synced talking-head video.",
    )
    parser.add_argument("--version", action="version", version=f"talking-head {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_say(sub)
    _add_voices(sub)
    for register in _extra_commands():
        register(sub)
    return parser


_COMMAND_MODULES = {
    "talking_head.avatar.command": ("add_avatar_command",),
    "talking_head.evaluate.command": ("add_eval_command",),
    "talking_head.service.command": ("add_serve_command", "add_worker_command"),
}


def _extra_commands():
    """Sub-commands that live beside the modules they run."""
    import importlib
    import importlib.util

    registrars = []
    for module_name, functions in _COMMAND_MODULES.items():
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        registrars += [getattr(module, name) for name in functions]
    return registrars


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_BAD_INPUT
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ConfigurationError, OutputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        import signal

        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"stopped ({signal.Signals(signum).name}): nothing was written", file=sys.stderr)
        return EXIT_SIGNAL_BASE + signum
    except Exception as exc:  # the last line of defence: one line, not a traceback
        logging.getLogger(__name__).info("internal failure", exc_info=True)  # the traceback, with -v
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
