"""`talking-head avatar make CLIP -o NAME.avatar`: build an avatar from a clip of one person speaking."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..errors import InputError


def add_avatar_command(sub) -> None:
    p = sub.add_parser(
        "avatar",
        help="make an avatar from a clip of yourself speaking (for say --avatar)",
        description="Avatars from footage: a clip of one person speaking to the camera (4 s to 10 min, any "
        "format PyAV reads) becomes one .avatar file: the face tracked on every frame, a bank of mouths cut "
        "from it, and a loop plan for the rest of the face. talking-head say --avatar NAME.avatar makes it speak.",
        epilog="examples:\n  talking-head avatar make me.mp4 -o me.avatar\n"
        '  talking-head say "Hello." --avatar me.avatar -o hello.mp4',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(title="actions", metavar="ACTION")
    make = actions.add_parser("make", help="build an avatar from a clip", description="Build an avatar from a clip.")
    make.add_argument("clip", help="a video of one person speaking to the camera")
    make.add_argument("-o", "--output", help="the .avatar file to write (default: the clip's name, .avatar)")
    make.add_argument("--json", action="store_true", help="print what was built as JSON on standard output")
    make.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    make.set_defaults(run=_make)
    p.set_defaults(run=lambda args: (p.print_help(), 2)[1])


def _make(args) -> int:
    from ..settings import Settings
    from .make import make_avatar, save_avatar

    output = Path(args.output) if args.output else Path(args.clip).with_suffix(".avatar").name
    output = Path(output)
    if output.suffix != ".avatar":
        raise InputError(f"the output must be a .avatar file, got {output.name}", field="output")
    if not output.parent.is_dir():
        raise InputError(f"the output folder {output.parent} does not exist. Create it first.", field="output")
    started = time.perf_counter()
    avatar = make_avatar(args.clip, Settings.from_env(), for_bundle=True)
    save_avatar(avatar, output)
    seconds = time.perf_counter() - started
    made = {**avatar.header(), "path": str(output), "bytes": output.stat().st_size, "seconds": round(seconds, 2)}
    made.pop("canonical")
    if args.json:
        print(json.dumps(made, indent=2))
    else:
        notes = "".join(f"; {w}" for w in avatar.warnings)
        print(
            f"{output}: {made['usable_frames']} of {made['frames']} frames usable, {made['mouth_samples']} mouths, "
            f"{made['loop_jumps']} loop jumps, {made['bytes'] / 1e6:.1f} MB in {seconds:.1f} s{notes}",
            file=sys.stderr,
        )
    return 0
