"""`talking-head say|voices|serve|worker|eval|bench`."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from . import __version__
from .errors import ConfigurationError, InputError, OutputError

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _keyframes(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected degrees separated by commas, got {value!r}") from None


def _add_say(sub) -> None:
    p = sub.add_parser(
        "say",
        help="make a talking-head video from text or recorded speech",
        description="Make a lip-synced talking-head MP4 (and captions beside it) from one photo "
        "and text, or from recorded speech.",
        epilog='examples:\n  talking-head say "Hello there!" -o hello.mp4\n'
        "  talking-head say --audio talk.m4a --image me.jpg -o me.mp4\n"
        "  talking-head say - < script.txt --image me.jpg --size 0\n"
        '  talking-head say "Hello, live." --stream | ffplay -',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("text", nargs="?", help="words to speak ('-' reads standard input); with --audio, its transcript")
    p.add_argument("--image", help="portrait photo (default: the bundled face)")
    p.add_argument("--audio", help="speech recording to lip-sync instead of text to speech (wav, mp3, m4a, ogg, flac, webm)")
    p.add_argument("-o", "--output", default="talking-head.mp4", help="output .mp4 (default: %(default)s)")
    p.add_argument("--engine", default="auto", choices=["auto", "builtin", "sadtalker", "still"],
                   help="auto: sadtalker when its checkpoints are configured, else builtin (default)")
    p.add_argument("--fps", type=int, default=25, help="frames per second (default: %(default)s)")
    p.add_argument("--size", type=int, default=512, help="square frame side around the face; 0 keeps the whole photo (default: %(default)s)")
    p.add_argument("--voice", help="voice name (talking-head voices lists them) or a Piper voice .onnx path "
                   "(its .onnx.json beside it); default: en_US-joe-medium")
    p.add_argument("--speed", type=float, default=1.0, help="speaking rate, 0.5 to 2: 1.25 is a quarter faster (default: %(default)s)")
    p.add_argument("--speaker", help="speaker name or number, for a voice with several speakers")
    p.add_argument("--language", help="language of the --audio recording (en, de, ...): an English one without "
                   "a transcript is captioned from word recognition")
    p.add_argument("--audio-reading", default="auto", choices=["auto", "recognition", "sound"],
                   help="how a recording's mouth shapes are read: PocketSphinx phone recognition, or the sound's "
                   "spectrum and energy (any language, no recogniser); auto: recognition when installed")
    p.add_argument("--captions", default="vtt", choices=["vtt", "srt", "none"], help="caption file beside the video (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed for everything random: the voice's noise, blinks, head "
                   "motion; the same seed gives the same video (default: %(default)s)")
    p.add_argument("--still", action="store_true", help="keep the head still; only the face moves")
    p.add_argument("--expression-scale", type=float, default=1.0, help="scale of mouth and brow motion (default: %(default)s)")
    p.add_argument("--pose-style", type=int, default=0, help="head motion character, 0-45 (default: %(default)s)")
    p.add_argument("--strict", action="store_true", help="fail instead of falling back to a simpler engine; an engine that is "
                   "unavailable or misconfigured (e.g. no SadTalker checkpoints) is then exit 2")
    p.add_argument("--json", action="store_true", help="print the result record as JSON on standard output")
    p.add_argument("--stream", action="store_true",
                   help="write a fragmented MP4 to standard output as it is made, in real time "
                        "(e.g. | ffplay -); built-in engine, no captions file")
    p.add_argument("--max-text-chars", type=int, help="longest text accepted (default: 5000)")
    g = p.add_argument_group("SadTalker engine")
    g.add_argument("--sadtalker-dir", help="folder with SadTalker_V0.0.2_256.safetensors (or _512) and the mapping files")
    g.add_argument("--preprocess", dest="sadtalker_preprocess", default="crop", choices=["crop", "resize", "full"],
                   help="crop around the face, resize the photo, or paste back into the full photo (default: %(default)s)")
    g.add_argument("--batch-size", type=int, default=8, help="frames rendered per batch (default: %(default)s)")
    g.add_argument("--half", action="store_true", help="half precision on a GPU")
    g.add_argument("--device", help="cuda, mps or cpu (default: the best available)")
    g.add_argument("--yaw", type=_keyframes, help="head yaw keyframes in degrees, e.g. 0,20,-20")
    g.add_argument("--pitch", type=_keyframes, help="head pitch keyframes in degrees")
    g.add_argument("--roll", type=_keyframes, help="head roll keyframes in degrees")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    p.set_defaults(run=_say)


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
    from .settings import Settings
    from .speech.voices import list_voices

    found = list_voices(Settings.from_env().voices_dir)
    if args.json:
        print(json.dumps([v.to_dict() for v in found], indent=2))
        return EXIT_OK
    rows = [("NAME", "LANGUAGE", "QUALITY", "RATE", "SPEAKERS")]
    for v in found:
        speakers = str(len(v.speakers) or 1) + (f" ({', '.join(v.speakers[:4])}{', ...' if len(v.speakers) > 4 else ''})"
                                                 if v.speakers else "")
        rows.append((v.name + (" (bundled)" if v.bundled else ""), f"{v.language} {v.language_name}", v.quality,
                     f"{v.sample_rate} Hz", speakers))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])
    return EXIT_OK


def _progress_bar():
    if not sys.stderr.isatty():
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=100, unit="%", bar_format="{desc:<8} {bar} {percentage:3.0f}% {elapsed}", file=sys.stderr)

    def update(fraction: float, stage: str) -> None:
        bar.set_description_str(stage, refresh=False)
        bar.update(round(fraction * 100) - bar.n)

    return update, bar.close


def _say(args) -> int:
    from .pipeline import TalkOptions, talk
    from .settings import Settings

    # Bytes that are not UTF-8 become U+FFFD (the text front end drops them), never a UnicodeDecodeError.
    text = sys.stdin.buffer.read().decode("utf-8", errors="replace") if args.text == "-" else args.text
    if text is None and args.audio is None:
        raise InputError("give the words to speak, or --audio FILE. See talking-head say --help.", field="text")
    settings = Settings.from_env()
    options = TalkOptions.from_settings(
        settings,
        fps=args.fps, size=args.size, engine=args.engine, voice=args.voice, still=args.still,
        speed=args.speed, speaker=args.speaker, language=args.language, audio_reading=args.audio_reading,
        expression_scale=args.expression_scale, pose_style=args.pose_style, seed=args.seed,
        strict=args.strict, captions=args.captions, max_text_chars=args.max_text_chars,
        sadtalker_dir=args.sadtalker_dir, sadtalker_preprocess=args.sadtalker_preprocess,
        batch_size=args.batch_size, half=args.half, device=args.device,
        yaw=args.yaw, pitch=args.pitch, roll=args.roll,
    )
    if args.stream:
        return _stream(args, text, options)
    progress, finish = _progress_bar()
    try:
        result = talk(text=text, image=args.image, audio=args.audio, output=args.output, options=options, progress=progress)
    finally:
        finish()
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        note = f" (fell back: {result.fallback_reason})" if result.fallback else ""
        print(f"{result.video_path}: {result.duration_s:.1f} s, {result.width}x{result.height}, engine {result.engine}{note}",
              file=sys.stderr)
    return EXIT_OK


def _stream(args, text, options) -> int:
    from .live.stream import stream_to

    if args.audio is not None:
        raise InputError("--stream speaks text; a recording cannot be streamed. Drop --audio or --stream.",
                         field="audio")
    if sys.stdout.isatty():
        raise InputError("--stream writes video to standard output: pipe it into a player or a file, "
                         "e.g. talking-head say \"Hi\" --stream | ffplay -", field="stream")
    seconds = stream_to(sys.stdout.buffer, text, args.image, options)
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
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, not a traceback
        logging.getLogger(__name__).debug("internal failure", exc_info=True)
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
