"""The face of a voice agent: audio pushed in 20 ms chunks at real-time pace, frames out. Latency, interrupts, load.

    python -m bench.agent [--runs 20] [--sizes 512,256] [--streams 1,2,3,4] [--codecs aac,opus]
                          [--skip-process] [--skip-socket] [--threads-baseline]

Real speech (a reading from ../shared/speech, 16 kHz) is pushed as 16-bit
PCM in 20 ms chunks at real-time pace, as a voice agent's TTS would. Nothing
is asserted: it measures.

- In process (`AgentFace`): from pushing a segment's first chunk to the frame
  that shows its first sample leaving `frames()` (p50, p95 over `--runs`
  segments on one warm face, random pauses between so the chunk lands
  anywhere in a frame period). Interrupt: speech frames still shown after
  `interrupt()` was called, counted on the face's own clock (frames due after
  that moment that still carry speech), and the time to the first silent
  frame leaving.
- Over the WebSocket (`/v1/live` audio mode, a `talking-head serve` on
  loopback, the package's client): from sending the first chunk to the
  arrival of the fragment that holds the frame showing it (its media time
  read from the fragment's ``tfdt``). Interrupt: the frames between the last
  frame received when the interrupt was sent and the first silent frame, and
  the time until that silent frame arrives. Once per audio codec of `--codecs`
  (`audio_codec` in the start message: with AAC a frame leaves while the next
  is encoded, with Opus while it is encoded itself).
- Streams in real time: N streams at once on one server, each 3 s of speech,
  0.5 s of listening, 3 s of speech. A player started `PLAYER_DELAY_S` after a
  stream's first fragment arrived shows media time m at first + delay + m; a
  fragment is late when it arrives after that. Also the server's CPU seconds
  per second of stream (its processes together, not inflated by other load):
  2 / cores_per_stream is what two free cores carry. The server draws each
  stream in a process of its own; `--threads-baseline` runs the same streams
  (first codec) on a server that draws them in its threads, for comparison.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from talking_head.live import connect
from talking_head.speech.audio import read_audio

from .live import FragmentClock, cpu_s, percentile, table
from .service_load import clean_env, start_server, stop

SPEECH = Path(__file__).resolve().parents[1] / ".." / "shared" / "speech" / "librivox_sense_and_sensibility_0870.wav"
RATE = 16000
CHUNK_S = 0.02
SEGMENT_S = 0.6  # each latency run pushes this much speech
INTERRUPT_AFTER_S = 0.6  # interrupt runs: speech pushed before the interrupt
PAUSE_S = (0.3, 0.7)  # random listening between runs
PLAYER_DELAY_S = 0.2
FPS = 25  # the streams' (the default)
LOAD_SPEECH_S = 3.0


def speech_pcm(seconds: float, offset_s: float = 0.5) -> bytes:
    audio, rate = read_audio(SPEECH)
    if rate != RATE:
        raise SystemExit(f"{SPEECH} is at {rate} Hz, expected {RATE}")
    start = int(offset_s * RATE)
    return np.round(audio[start : start + int(seconds * RATE)] * 32767).astype("<i2").tobytes()


def push_in_real_time(push, pcm: bytes, stop_after_s: float | None = None) -> float:
    """Push `pcm` in 20 ms chunks at real-time pace; return when the first chunk went."""
    step = int(CHUNK_S * RATE) * 2
    first = time.monotonic()
    for i, at in enumerate(range(0, len(pcm), step)):
        if stop_after_s is not None and i * CHUNK_S >= stop_after_s:
            break
        push(pcm[at : at + step])
        time.sleep(max(0.0, first + (i + 1) * CHUNK_S - time.monotonic()))
    return first


def summary(values: list[float], unit: float = 1000.0) -> dict:
    return {
        "p50": round(statistics.median(values) * unit, 1),
        "p95": round(percentile(values, 95) * unit, 1),
        "max": round(max(values) * unit, 1),
    }


# -- in process --


def in_process(size: int, runs: int) -> tuple[dict, dict]:
    from talking_head.live.agent import AgentFace
    from talking_head.pipeline import TalkOptions

    face = AgentFace(options=TalkOptions(size=size, seed=1, fps=FPS), sample_rate=RATE)
    frames: list[tuple[float, int, tuple, bool]] = []  # (left at, index, events, speaking)
    ended = threading.Event()

    def consume() -> None:
        for frame in face.frames():
            frames.append((time.monotonic(), frame.index, frame.events, frame.speaking))
            if any(e["type"] in ("segment_end", "interrupted") for e in frame.events):
                ended.set()

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    pcm = speech_pcm(SEGMENT_S)
    rng = random.Random(7)
    pushed = []
    for _ in range(runs + 1):  # the first is a warm-up
        time.sleep(rng.uniform(*PAUSE_S))
        ended.clear()
        pushed.append(push_in_real_time(lambda chunk: face.push_audio(chunk, RATE), pcm))
        face.end_of_segment()
        ended.wait(10)
    starts = {e["segment"]: t for t, _, events, _ in frames for e in events if e["type"] == "segment_start"}
    latencies = [starts[k] - pushed[k] for k in range(1, runs + 1)]

    long_pcm = speech_pcm(2 * INTERRUPT_AFTER_S)
    after, to_silent = [], []
    for _ in range(max(5, runs // 2)):
        time.sleep(rng.uniform(*PAUSE_S))
        ended.clear()
        push_in_real_time(lambda chunk: face.push_audio(chunk, RATE), long_pcm, stop_after_s=INTERRUPT_AFTER_S)
        asked = time.monotonic()
        face.interrupt()
        ended.wait(10)
        time.sleep(0.1)
        viewer = (asked - face.pacer.started_at) * face.fps  # frame being shown when the interrupt came
        cut = next(i for t, i, events, _ in frames if any(e["type"] == "interrupted" for e in events) and t >= asked)
        left = next(t for t, i, _, _ in frames if i == cut)
        after.append(sum(1 for _, i, _, speaking in frames if speaking and i + 1 > viewer and i < cut))
        to_silent.append(left - asked)
    face.close()
    consumer.join(5)
    latency = {"size": size, "runs": runs, **{f"{k}_ms": v for k, v in summary(latencies).items()}}
    interrupt = {
        "size": size,
        "runs": len(after),
        "speech_frames_after_max": max(after),
        "speech_frames_after_p50": statistics.median(after),
        **{f"to_silent_frame_{k}_ms": v for k, v in summary(to_silent).items()},
    }
    return latency, interrupt


# -- over the WebSocket --


class Listener:
    """Reads one stream's messages in a thread: when each frame's fragment arrived, and the events."""

    def __init__(self, live):
        self.live = live
        self.arrived: dict[float, float] = {}  # media start of a fragment's video -> arrival
        self.events: list[tuple[float, dict]] = []
        self.first_fragment: float | None = None
        self._clock = FragmentClock()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for item in self.live:
            now = time.monotonic()
            if isinstance(item, bytes):
                for decode_time in self._clock.feed(item):
                    # The muxer shifts frames after the first by the AAC priming (under a frame): frame k is
                    # decoded at k / fps + shift, so its index is the whole frames in its decode time.
                    frame = int(decode_time * FPS + 1e-6)
                    self.arrived[round(frame / FPS, 3)] = now
                    self.first_fragment = self.first_fragment or now
            else:
                self.events.append((now, item))

    def wait_for(self, kind: str, count: int, limit_s: float = 15.0) -> dict:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            found = [e for _, e in self.events if e["type"] == kind]
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.005)
        raise SystemExit(f"no {kind} #{count} within {limit_s} s: {self.events[-5:]}")

    def arrival(self, media_s: float, limit_s: float = 5.0) -> float:
        deadline = time.monotonic() + limit_s
        while round(media_s, 3) not in self.arrived:
            if time.monotonic() > deadline:
                raise SystemExit(f"the fragment at {media_s} s never came")
            time.sleep(0.005)
        return self.arrived[round(media_s, 3)]

    def join(self) -> None:
        self._thread.join(30)


def over_socket(url: str, size: int, runs: int, codec: str = "aac") -> tuple[dict, dict]:
    pcm = speech_pcm(SEGMENT_S)
    rng = random.Random(11)
    options = {"input": "audio", "sample_rate": RATE, "audio_codec": codec}
    with connect(url, size=size, seed=1, open_timeout_s=120, **options) as live:
        listener = Listener(live)
        listener.wait_for("ready", 1)
        latencies = []
        for k in range(runs + 1):
            time.sleep(rng.uniform(*PAUSE_S))
            first = push_in_real_time(live.send_audio, pcm)
            live.end_of_segment()
            start = listener.wait_for("segment_start", k + 1)
            listener.wait_for("segment_end", k + 1)
            if k:
                latencies.append(listener.arrival(start["media_s"]) - first)
        long_pcm = speech_pcm(2 * INTERRUPT_AFTER_S)
        after, to_silent = [], []
        for k in range(max(5, runs // 2)):
            time.sleep(rng.uniform(*PAUSE_S))
            push_in_real_time(live.send_audio, long_pcm, stop_after_s=INTERRUPT_AFTER_S)
            asked = time.monotonic()
            received = max(m for m, t in list(listener.arrived.items()) if t <= asked)
            live.interrupt()
            cut = listener.wait_for("interrupted", k + 1)["media_s"]
            to_silent.append(listener.arrival(cut) - asked)
            after.append(round((cut - received) * FPS) - 1)
        live.end()
        listener.join()
    latency = {"size": size, "codec": codec, "runs": runs, **{f"{k}_ms": v for k, v in summary(latencies).items()}}
    interrupt = {
        "size": size,
        "codec": codec,
        "runs": len(after),
        "frames_after_last_received_max": max(after),
        "frames_after_last_received_p50": statistics.median(after),
        **{f"to_silent_frame_{k}_ms": v for k, v in summary(to_silent).items()},
    }
    return latency, interrupt


def load(url: str, size: int, streams: int, pid: int, codec: str = "aac") -> dict:
    pcm = speech_pcm(LOAD_SPEECH_S)
    barrier = threading.Barrier(streams)
    listeners: list[Listener | None] = [None] * streams

    def run(i: int) -> None:
        options = {"input": "audio", "sample_rate": RATE, "audio_codec": codec}
        with connect(url, size=size, seed=i, open_timeout_s=120, **options) as live:
            listener = listeners[i] = Listener(live)
            listener.wait_for("ready", 1, 120)
            barrier.wait()
            time.sleep(0.3)
            push_in_real_time(live.send_audio, pcm)
            live.end_of_segment()
            time.sleep(0.5)
            push_in_real_time(live.send_audio, pcm)
            live.end_of_segment()
            live.end()
            listener.join()

    cpu_before = cpu_s(pid)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    late, count, worst = 0, 0, 0.0
    media = 0.0
    for listener in listeners:
        assert listener is not None
        start = listener.first_fragment + PLAYER_DELAY_S
        first_media = min(listener.arrived)
        for media_start, arrival in listener.arrived.items():
            lateness = arrival - (start + media_start - first_media)
            count += 1
            late += lateness > 0
            worst = max(worst, lateness)
        media = max(media, max(listener.arrived))
        errors = [e for _, e in listener.events if e["type"] == "error"]
        if errors:
            print("errors:", errors, flush=True)
    cores = (cpu_s(pid) - cpu_before) / media
    return {
        "size": size,
        "codec": codec,
        "streams": streams,
        "frames": count,
        "late": late,
        "worst_late_ms": round(max(worst, 0.0) * 1000, 1),
        "cores_busy": round(cores, 2),
        "cores_per_stream": round(cores / streams, 2),
    }


def latency(url: str, sizes: list[int], codecs: list[str], runs: int) -> None:
    results = [over_socket(url, size, runs, codec) for codec in codecs for size in sizes]
    print("## WebSocket on loopback: first chunk sent to the fragment showing it arriving (ms)\n")
    print(table([r[0] for r in results]) + "\n")
    print("## WebSocket: interrupt sent to the first silent frame (frames after the last one received)\n")
    print(table([r[1] for r in results]) + "\n", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="latency runs per size (default: %(default)s)")
    parser.add_argument("--sizes", default="512,256", help="frame sizes (default: %(default)s)")
    parser.add_argument("--streams", default="1,2,3,4", help="concurrent streams at --load-size (default: %(default)s)")
    parser.add_argument("--load-size", type=int, default=512)
    parser.add_argument("--codecs", default="aac", help="audio codecs of the WebSocket runs (default: %(default)s)")
    parser.add_argument("--skip-process", action="store_true", help="leave out the in-process core")
    parser.add_argument("--skip-socket", action="store_true", help="leave out the WebSocket runs")
    parser.add_argument(
        "--threads-baseline",
        action="store_true",
        help="also run the streams on a server that draws them in its own threads (TALKING_HEAD_LIVE_PROCESSES=false)",
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    counts = [int(n) for n in args.streams.split(",") if n]
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}", flush=True)
    if not args.skip_process:
        results = [in_process(size, args.runs) for size in sizes]
        print("## In process: first chunk pushed to the frame showing it leaving frames() (ms)\n")
        print(table([r[0] for r in results]) + "\n")
        print("## In process: interrupt() to silence (speech frames due after the call; time to the silent frame)\n")
        print(table([r[1] for r in results]) + "\n", flush=True)
    if not args.skip_socket:
        codecs = [c for c in args.codecs.split(",") if c]
        rows = []
        for draw in ["processes", "threads"] if args.threads_baseline else ["processes"]:
            env = {
                "TALKING_HEAD_LIVE_SESSIONS": max(counts + [1]),
                "TALKING_HEAD_LIVE_MAX_S": 300,
                "TALKING_HEAD_LIVE_PROCESSES": str(draw == "processes").lower(),
            }
            with tempfile.TemporaryDirectory() as folder:
                process, http_url = start_server(Path(folder), clean_env(env))
                url = http_url.replace("http://", "ws://") + "/v1/live"
                try:
                    if draw == "processes":
                        latency(url, sizes, codecs, args.runs)
                    else:
                        load(url, args.load_size, 1, process.pid, codecs[0])  # warm, as the latency runs do
                    for codec in codecs if draw == "processes" else codecs[:1]:
                        for n in counts:
                            rows.append({"draw": draw, **load(url, args.load_size, n, process.pid, codec)})
                            print(json.dumps(rows[-1]), flush=True)
                finally:
                    stop(process)
        print(
            f"\n## Streams at once: frames later than a player started {PLAYER_DELAY_S} s after the first "
            "would show them\n\n" + table(rows) + "\n"
        )
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
