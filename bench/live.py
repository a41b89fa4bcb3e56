"""Live streams on a real server: first-fragment latency, real-time delivery with concurrent streams, batch RTF.

    python -m bench.live [--runs 20] [--streams 1,2,3,4] [--sizes 512,256] [--skip-batch]

Starts `talking-head serve` on 127.0.0.1 and talks to `/v1/live` with the
WebSocket client a user would use. Nothing is asserted: it measures.

- Latency: from sending the first text message to the first media fragment
  (the first complete ``moof`` box), on a warm server (one stream
  made first), `--runs` times per size; p50 and p95; and the server's CPU
  seconds in that time (not inflated by other load on the machine).
- Real time: N streams at once, each speaking TEXT_LONG. A player that starts
  0.5 s after its first fragment arrives shows media time m at
  first + 0.5 + m; a fragment is late when it arrives after the moment its
  first frame is due. Reported: late fragments, the worst lateness, and how
  far ahead of that player the stream ran at its worst; and the server's CPU
  seconds per second of stream (cores busy), which other load on the machine
  does not inflate: 2 / cores_per_stream is how many streams 2 free cores carry.
- Batch: `talk()` on TEXT_LONG in this process (RTF = seconds to make / seconds
  of video), and the same text made as one unpaced live stream (units:
  synthesis of the next unit overlaps drawing of this one) for the ratio.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import struct
import tempfile
import threading
import time
from pathlib import Path

from websockets.sync.client import connect

from .service_load import clean_env, start_server, stop

TEXT_SHORT = "Hello there, how can I help you today?"
TEXT_LONG = (
    "Good morning, and welcome to the weekly update. The weather will stay dry until Thursday, "
    "when a band of rain moves in from the west. Temperatures stay mild, around fifteen degrees. "
    "On Friday the wind picks up along the coast, so take care if you are out on the water. "
    "The weekend looks bright and calm, a good time for a walk in the hills."
)
PLAYER_DELAY_S = 0.5


def _boxes(data: bytes, start: int = 0, end: int | None = None):
    """(type, payload start, box end) of the ISO-BMFF boxes in data[start:end]."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start : start + 8])
        header = 8
        if size == 1:
            size, header = struct.unpack(">Q", data[start + 8 : start + 16])[0], 16
        if size < header or start + size > end:
            return
        yield kind, start + header, start + size
        start += size


def _child(data: bytes, kind: bytes, start: int, end: int) -> tuple[int, int] | None:
    return next(((s, e) for k, s, e in _boxes(data, start, end) if k == kind), None)


class FragmentClock:
    """Reads a fragmented MP4 as its bytes arrive: the media time each fragment's video starts at.

    The times come from the stream itself (``tfdt`` of the video track, in the
    timescale its ``mdhd`` declares), so the bench measures what a player sees.
    """

    def __init__(self):
        self._data = b""
        self._video_track: int | None = None
        self._timescale = 1

    def feed(self, data: bytes) -> list[float]:
        """Add bytes; return the start times (seconds) of the fragments completed by them."""
        self._data += data
        starts, used = [], 0
        for kind, payload, end in _boxes(self._data):
            if kind == b"moov":
                self._read_tracks(payload, end)
            elif kind == b"moof":
                starts += self._video_start(payload, end)
            used = end
        self._data = self._data[used:]
        return starts

    def _read_tracks(self, start: int, end: int) -> None:
        data = self._data
        for kind, s, e in _boxes(data, start, end):
            if kind != b"trak":
                continue
            tkhd, mdia = _child(data, b"tkhd", s, e), _child(data, b"mdia", s, e)
            hdlr, mdhd = _child(data, b"hdlr", *mdia), _child(data, b"mdhd", *mdia)
            if data[hdlr[0] + 8 : hdlr[0] + 12] != b"vide":
                continue
            long = data[tkhd[0]] == 1
            self._video_track = struct.unpack(">I", data[tkhd[0] + (20 if long else 12) :][:4])[0]
            long = data[mdhd[0]] == 1
            self._timescale = struct.unpack(">I", data[mdhd[0] + (20 if long else 12) :][:4])[0]

    def _video_start(self, start: int, end: int) -> list[float]:
        data = self._data
        for kind, s, e in _boxes(data, start, end):
            tfhd, tfdt = (_child(data, b"tfhd", s, e), _child(data, b"tfdt", s, e)) if kind == b"traf" else (None, None)
            if tfhd and tfdt and struct.unpack(">I", data[tfhd[0] + 4 : tfhd[0] + 8])[0] == self._video_track:
                decode_time = data[tfdt[0] + 4 : tfdt[1]]
                value = struct.unpack(">Q" if len(decode_time) == 8 else ">I", decode_time)[0]
                return [value / self._timescale]
        return []


def cpu_s(pid: int) -> float:
    """CPU seconds a process and the processes under it have used (all their threads, and the children they
    have reaped), from /proc: a measure that other load does not inflate. The server's live streams run in
    processes of their own, children of its fork server."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        stats[int(stat.parent.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    tree = {pid}
    for _ in range(8):  # a generation at a time (the server, its fork server, the streams' processes)
        tree |= {p for p, (parent, _) in stats.items() if parent in tree}
    total = sum(stats[p][1] for p in tree if p in stats)
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def one_stream(
    url: str, size: int, text: str, barrier: threading.Barrier | None = None, pid: int | None = None
) -> dict:
    """One stream: start, wait for ready, send `text` and end, record every arrival."""
    with connect(url, max_size=None, open_timeout=120) as socket:
        socket.send(json.dumps({"start": {"size": size}}))
        first = json.loads(socket.recv(300))
        if first["type"] != "ready":
            raise SystemExit(f"the server refused the stream: {first}")
        if barrier is not None:
            barrier.wait()
        sent = time.monotonic()
        cpu_at_send = cpu_s(pid) if pid else None
        cpu_to_first = None
        socket.send(json.dumps({"text": text}))
        socket.send(json.dumps({"end": True}))
        fragments = []  # (arrival, media time the fragment's video starts at)
        clock = FragmentClock()
        first_fragment = None
        end = None
        for message in socket:
            now = time.monotonic()
            if isinstance(message, bytes):
                for media_start in clock.feed(message):
                    if first_fragment is None and pid:
                        cpu_to_first = cpu_s(pid) - cpu_at_send
                    first_fragment = first_fragment or now
                    fragments.append((now, media_start))
                continue
            event = json.loads(message)
            if event["type"] == "end":
                end = event
    return {
        "sent": sent,
        "first_fragment": first_fragment,
        "fragments": fragments,
        "media_s": end["media_s"],
        "cpu_to_first_s": cpu_to_first,
    }


def latency(url: str, size: int, runs: int, pid: int) -> dict:
    one_stream(url, size, TEXT_SHORT)  # warm: models loaded, the photo analysed once
    seconds, cpu = [], []
    for _ in range(runs):
        record = one_stream(url, size, TEXT_SHORT, pid=pid)
        seconds.append(record["first_fragment"] - record["sent"])
        cpu.append(record["cpu_to_first_s"])
    return {
        "size": size,
        "runs": runs,
        "p50_s": round(statistics.median(seconds), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "max_s": round(max(seconds), 3),
        "server_cpu_p50_s": round(statistics.median(cpu), 3),
    }


def real_time(url: str, size: int, streams: int, pid: int) -> dict:
    cpu_before = cpu_s(pid)
    barrier = threading.Barrier(streams)
    records: list[dict | None] = [None] * streams

    def run(i: int) -> None:
        records[i] = one_stream(url, size, TEXT_LONG, barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(streams)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    late, worst, ahead, count = 0, 0.0, 0.0, 0
    for record in records:
        start = record["first_fragment"] + PLAYER_DELAY_S
        first_media = record["fragments"][0][1]
        for arrival, media_start in record["fragments"]:
            lateness = arrival - (start + media_start - first_media)
            count += 1
            late += lateness > 0
            worst = max(worst, lateness)
            ahead = max(ahead, -lateness)
    first = [r["first_fragment"] - r["sent"] for r in records]
    media_s = sum(r["media_s"] for r in records)
    cores = (cpu_s(pid) - cpu_before) / records[0]["media_s"]
    return {
        "size": size,
        "streams": streams,
        "fragments": count,
        "late": late,
        "cores_busy": round(cores, 2),
        "cores_per_stream": round(cores / streams, 2),
        "worst_late_s": round(max(worst, 0.0), 3),
        "most_ahead_s": round(ahead, 3),
        "first_fragment_max_s": round(max(first), 3),
        "media_s": round(media_s / streams, 2),
    }


def batch(size: int) -> dict:
    from talking_head.live.stream import LiveStream
    from talking_head.pipeline import TalkOptions, talk

    options = TalkOptions(size=size, engine="builtin", captions="none")
    with tempfile.TemporaryDirectory() as folder:
        talk(TEXT_SHORT, output=Path(folder) / "warm.mp4", options=options)  # models loaded
        started = time.perf_counter()
        result = talk(TEXT_LONG, output=Path(folder) / "batch.mp4", options=options)
        batch_s = time.perf_counter() - started
    started = time.perf_counter()
    stream = LiveStream(options=options, lead_s=float("inf"))
    prepare_s = time.perf_counter() - started
    out = io.BytesIO()
    started = time.perf_counter()
    stream.add_text(TEXT_LONG)
    stream.end()
    stream.run(lambda item: out.write(item) if isinstance(item, bytes) else None)
    units_s = time.perf_counter() - started
    return {
        "size": size,
        "video_s": round(result.duration_s, 2),
        "batch_s": round(batch_s, 2),
        "batch_rtf": round(batch_s / result.duration_s, 3),
        "units_s": round(units_s, 2),
        "units_rtf": round(units_s / stream.media_s, 3),
        "units_video_s": round(stream.media_s, 2),
        "units_prepare_s": round(prepare_s, 2),
        "units_vs_batch": round((units_s / stream.media_s) / (batch_s / result.duration_s), 3),
    }


def table(rows: list[dict]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(row[k]) for k in keys) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="latency runs per size (default: %(default)s)")
    parser.add_argument("--sizes", default="512,256", help="frame sizes (default: %(default)s)")
    parser.add_argument("--streams", default="1,2,3,4", help="concurrent stream counts (default: %(default)s)")
    parser.add_argument("--stream-sizes", default="512", help="sizes for the concurrent runs (default: %(default)s)")
    parser.add_argument("--skip-batch", action="store_true", help="leave out the batch RTF comparison")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    counts = [int(n) for n in args.streams.split(",") if n]
    with tempfile.TemporaryDirectory() as folder:
        env = clean_env({"TALKING_HEAD_LIVE_SESSIONS": max(counts + [1]), "TALKING_HEAD_LIVE_MAX_S": 300})
        process, http_url = start_server(Path(folder), env)
        url = http_url.replace("http://", "ws://") + "/v1/live"
        try:
            if not args.skip_latency:
                rows = [latency(url, size, args.runs, process.pid) for size in sizes]
                print(
                    "## First text message to first media fragment (warm server)\n\n" + table(rows) + "\n", flush=True
                )
            rows = []
            for size in [int(s) for s in args.stream_sizes.split(",") if s]:
                one_stream(url, size, TEXT_SHORT)  # warm at this size
                for n in counts:
                    rows.append(real_time(url, size, n, process.pid))
                    print(rows[-1], flush=True)
            if rows:
                print(
                    f"\n## Concurrent streams: fragments later than a player started {PLAYER_DELAY_S} s after the "
                    "first fragment would show them\n\n" + table(rows) + "\n",
                    flush=True,
                )
        finally:
            stop(process)
    if not args.skip_batch:
        rows = [batch(size) for size in sizes]
        print("## Batch talk() against the same text made in units (this process, unpaced)\n\n" + table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
