"""One benchmark case in a fresh process: `python -m bench.worker CASE OUT.mp4 [--engine E] [--timing T]`.

A fresh process per case keeps peak memory and model loading honest. Models
are loaded first and timed apart (`load_s`); then the case runs as it would
in a warm service. Prints one JSON object on standard output.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import sys
import time
from pathlib import Path

from .cases import CASES


def peak_rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not getrusage: Linux carries ru_maxrss over
    from the parent through fork and exec, so a child of a big parent would report the parent's."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _load_models(engine: str) -> None:
    """Everything a first call would load: face models, voice, recognisers, the engine."""
    from talking_head import engines
    from talking_head.face import load_models
    from talking_head.speech import align, tts

    load_models()
    tts.load_voice(None)
    for kind in ("align", "phones") if align.RECOGNISER else ():
        align._decoder(kind)
    for name in engines.engine_chain(engine, False):
        with contextlib.suppress(Exception):  # an engine that cannot load is the pipeline's to report
            engines.get_engine(name)


def run(case_name: str, output: str, engine: str, timing: str = "voice") -> dict:
    case = {c.name: c for c in CASES}[case_name]
    start = time.perf_counter()
    _load_models(engine)
    load_s = time.perf_counter() - start

    from talking_head.pipeline import TalkOptions, talk

    options = TalkOptions(engine=engine, captions="none", text_timing=timing)
    result = talk(
        text=case.text if case.audio is None else case.transcript,
        image=str(case.image),
        audio=str(case.audio) if case.audio else None,
        output=output,
        options=options,
    )
    record = result.to_dict()
    timings = dict(record["timings"])
    # A recording is decoded where a text is synthesized: one column for both.
    timings.setdefault("tts", timings.pop("audio", 0.0))
    return {
        "case": case_name,
        "timing": timing,
        "load_s": round(load_s, 3),
        "timings": timings,
        "peak_rss_mb": peak_rss_mb(),
        "result": record,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker", description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=[c.name for c in CASES])
    parser.add_argument("output", help="the .mp4 to write")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--timing", default="voice", choices=["voice", "forced"], help="how text is timed")
    args = parser.parse_args(argv)
    print(json.dumps(run(args.case, args.output, args.engine, args.timing)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
