"""`python -m bench.memory`: peak memory of a 1-minute and a 10-minute video, each in a fresh process.

Frames stream from the renderer to the encoder, so memory must not grow with
duration: the table shows peak RSS for both lengths and their ratio (the
1-minute run is the baseline), with the wall time and RTF of each.
`--audio` adds the same pair made from a recording (LibriVox, looped to length);
`--minutes` and `--size` change the lengths and the frame size. `--units` adds
texts of 5,000 characters that were each one unit: sentences, the same
words without punctuation (a transcript) and one endless word ('a' * 5000).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import wave
from pathlib import Path

from .cases import RECORDING, TWO_MINUTES
from .worker import peak_rss_mb

RESULTS = Path(__file__).parent / "results"
WORDS_PER_MINUTE = 210  # about what the bundled voice speaks


def text_of_minutes(minutes: float) -> str:
    words = TWO_MINUTES.split()
    wanted = int(minutes * WORDS_PER_MINUTE)
    return " ".join((words * (wanted // len(words) + 1))[:wanted]) + "."


def looped_recording(minutes: float, path: Path) -> Path:
    with wave.open(str(RECORDING)) as r:
        params, frames = r.getparams(), r.readframes(r.getnframes())
    pause = bytes(int(0.4 * params.framerate) * params.sampwidth)
    clip = frames + pause
    seconds = len(clip) / params.sampwidth / params.framerate
    with wave.open(str(path), "wb") as w:
        w.setparams(params)
        w.writeframes(clip * int(minutes * 60 / seconds + 1))
    return path


def long_units(chars: int = 5000) -> dict[str, str]:
    """Texts of `chars` characters: sentences, the same without punctuation, one endless word."""
    sentences = ((TWO_MINUTES + " ") * (chars // len(TWO_MINUTES) + 1))[:chars].rsplit(" ", 1)[0].rstrip(",;") + "."
    return {
        "sentences": sentences,
        "unpunctuated": re.sub(r"[^\w\s']", "", sentences).lower(),
        "one word": "a" * chars,
    }


def child(kind: str, source: str, output: str, size: str = "512") -> None:
    """Runs in the fresh process: make the video, print the record and this process's peak RSS."""
    from talking_head.pipeline import TalkOptions, talk
    from talking_head.settings import Settings

    settings = Settings(max_text_chars=200_000, max_audio_s=3600)
    options = TalkOptions(size=int(size))
    start = time.perf_counter()
    if kind == "text":
        result = talk(text=Path(source).read_text(), output=output, options=options, settings=settings)
    else:
        result = talk(audio=source, output=output, options=options, settings=settings)
    wall = time.perf_counter() - start
    print(
        json.dumps(
            {
                "duration_s": result.duration_s,
                "wall_s": wall,
                "peak_rss_mb": peak_rss_mb(),
                "engine": result.engine,
                "timings": result.timings,
            }
        )
    )


def run(kind: str, minutes: float, folder: Path, size: int, text: str | None = None, name: str = "") -> dict:
    if text is not None:
        kind, source = "text", folder / f"{name.replace(' ', '_')}.txt"
        source.write_text(text)
    elif kind == "text":
        source = folder / f"text_{minutes:g}min.txt"
        source.write_text(text_of_minutes(minutes))
    else:
        source = looped_recording(minutes, folder / f"audio_{minutes:g}min.wav")
    output = source.with_suffix(".mp4")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--child", kind, str(source), str(output), str(size)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--audio", action="store_true", help="also from a recording")
    parser.add_argument("--minutes", nargs="+", type=float, default=[1, 10], help="video lengths (first: baseline)")
    parser.add_argument("--size", type=int, default=512, help="frame size (default: %(default)s)")
    parser.add_argument("--units", action="store_true", help="also the 5,000-character texts (sentences, none, 'a')")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "SOURCE", "OUTPUT", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    folder = RESULTS / time.strftime("memory-%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["| input | video min | engine | wall s | RTF | peak RSS MB | RSS ratio |", "|---|---|---|---|---|---|---|"]
    records = {}
    for kind in ("text", "audio") if args.audio else ("text",):
        baseline = None
        for minutes in args.minutes:
            r = run(kind, minutes, folder, args.size)
            records[f"{kind}_{minutes}"] = r
            baseline = baseline or r["peak_rss_mb"]
            rows.append(
                f"| {kind} | {r['duration_s'] / 60:.1f} | {r['engine']} | {r['wall_s']:.1f} | "
                f"{r['wall_s'] / r['duration_s']:.3f} | {r['peak_rss_mb']:.0f} | {r['peak_rss_mb'] / baseline:.2f} |"
            )
    if args.units:
        rows += ["", "| 5,000 characters | video min | wall s | peak RSS MB |", "|---|---|---|---|"]
        for name, text in long_units().items():
            r = records[name] = run("text", 0, folder, args.size, text, name)
            rows.append(f"| {name} | {r['duration_s'] / 60:.1f} | {r['wall_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    (folder / "memory.json").write_text(json.dumps(records, indent=2))
    print("\n".join(rows))
    print(f"\nresults: {folder}")


if __name__ == "__main__":
    main()
