"""`/v1/live` on a real server with a real WebSocket client: the assembled stream, its seams, errors, leaving.

One stream is recorded once (two texts with a pause between, so the face
idles) and measured on the decoded file: length, audio continuity, lip
sync, and motion at the unit borders.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import socket as socket_module
import time

import av
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.sync.client import connect as ws_connect

from talking_head.evaluate.decode import (
    iter_frames,
    probe,
    read_audio_16k,
    top_level_boxes,
)
from talking_head.evaluate.lipsync import envelope, lipsync
from talking_head.evaluate.tracking import FaceSeries, FaceTracker
from talking_head.live import LiveError, connect
from talking_head.live.units import MAX_UNIT_WORDS

from .support import API_KEY, CORS_ORIGIN, OTHER_KEY, Stack, png

SIZE = 256
FPS = 25
FIRST = "Good morning, my name is Joe. I am a talking head."
SECOND = "Maybe we will meet again soon."
IDLE_S = 2.0  # the client's silence between the two texts
MAX_UPLOAD_BYTES = 3_000_000  # a photo; a live message may be its base64 and 1 MB more (5.05 MB)
PENDING_CHARS = 600  # text a stream holds unspoken (the setting), small so that a flood reaches it at once
MAX_SERVER_MB = 1000  # the API process while a stream is flooded (one 3,000-character unit took it to 5.85 GB)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    env = {
        "TALKING_HEAD_LIVE_SESSIONS": "1",
        "TALKING_HEAD_LIVE_IDLE_TIMEOUT_S": "5",
        "TALKING_HEAD_LIVE_MAX_S": "120",
        "TALKING_HEAD_CORS_ORIGINS": CORS_ORIGIN,
        "TALKING_HEAD_API_KEY": f"{API_KEY},{OTHER_KEY}",  # two callers: each key opens a stream
        "TALKING_HEAD_LIVE_MAX_PENDING_CHARS": str(PENDING_CHARS),
        "TALKING_HEAD_MAX_UPLOAD_BYTES": str(MAX_UPLOAD_BYTES),
    }
    stack = Stack(tmp_path_factory.mktemp("live"), "local", env=env, api_key=API_KEY).start()
    yield stack.server
    stack.stop()


def ws_url(server) -> str:
    return server.url.replace("http://", "ws://") + "/v1/live"


def messages(socket, limit_s: float = 120):
    """Everything the server sends until it closes: (arrival time, bytes or event)."""
    got = []
    deadline = time.monotonic() + limit_s
    try:
        for message in socket:
            got.append((time.monotonic(), message if isinstance(message, bytes) else json.loads(message)))
            assert time.monotonic() < deadline, "the server kept sending past the time limit"
    except ConnectionClosedError:
        pass  # closed with a code that says why (policy violation, try again later), after the end frame
    return got


def events(got, kind=None):
    return [m for _, m in got if isinstance(m, dict) and (kind is None or m["type"] == kind)]


@pytest.fixture(scope="module")
def recorded(live_server, tmp_path_factory):
    """One stream: FIRST, the face idling for IDLE_S, SECOND, end; saved as it arrived."""
    got = []
    with connect(ws_url(live_server), api_key=API_KEY, size=SIZE, seed=3) as live:
        sent_second = False
        for item in live:
            got.append((time.monotonic(), item))
            if isinstance(item, dict) and item["type"] == "ready":
                live.send(FIRST)
            # Once FIRST is spoken and the face has listened for IDLE_S, send the rest.
            if not sent_second and isinstance(item, dict) and item["type"] == "progress":
                last = [w for w in events(got, "word") if w["text"] == "head."]
                if last and item["media_s"] > last[0]["end"] + IDLE_S:
                    live.send(SECOND)
                    live.end()
                    sent_second = True
    path = tmp_path_factory.mktemp("recorded") / "live.mp4"
    path.write_bytes(b"".join(m for _, m in got if isinstance(m, bytes)))
    return {"path": path, "got": got}


@pytest.fixture(scope="module")
def decoded(recorded):
    path = recorded["path"]
    tracker, series = FaceTracker(), FaceSeries()
    for t, frame in iter_frames(path):
        series.append(t, tracker.find(frame))
    with av.open(str(path)) as container:
        frames = [(frame.pts, frame.samples, frame.to_ndarray()[0]) for frame in container.decode(audio=0)]
        rate = container.streams.audio[0].rate
    return {"series": series, "audio_frames": frames, "rate": rate, "streams": probe(path)}


def test_the_stream_is_one_playable_mp4_as_long_as_the_speech(recorded, decoded):
    got = recorded["got"]
    kinds = [m["type"] for _, m in got if isinstance(m, dict)]
    assert kinds[0] == "ready" and kinds[-1] == "end" and "error" not in kinds, events(got, "error")
    assert top_level_boxes(recorded["path"])[:2] == ["ftyp", "moov"]
    streams = decoded["streams"]
    assert (streams.video.codec, streams.video.pixel_format, streams.audio.codec) == ("h264", "yuv420p", "aac")
    assert (streams.video.width, streams.video.height) == (SIZE, SIZE)
    words = events(got, "word")
    assert " ".join(w["text"] for w in words) == FIRST + " " + SECOND  # captions as written
    end = events(got, "end")[0]
    # As long as what was made: the speech, the idling between, the pause after the last unit.
    assert abs(streams.video.duration_s - end["media_s"]) < 0.1
    assert abs(streams.audio.duration_s - streams.video.duration_s) < 0.1
    assert words[-1]["end"] < end["media_s"] < words[-1]["end"] + 1.0
    # Media went out while the rest was still being made: the first fragment long before the end.
    media_at = [t for t, m in got if isinstance(m, bytes)]
    assert len(media_at) >= 10
    assert media_at[1] < got[-1][0] - end["media_s"] / 2


def test_audio_runs_on_without_gaps_or_repeats_across_unit_borders(recorded, decoded):
    frames, rate = decoded["audio_frames"], decoded["rate"]
    # Every decoded audio frame starts where the one before ended: nothing missing, nothing twice.
    for (pts, samples, _), (next_pts, _, _) in itertools.pairwise(frames):
        assert next_pts == pts + samples
    audio = np.concatenate([f[2] for f in frames])
    units = events(recorded["got"], "unit")
    assert len(units) >= 3
    for before, after in itertools.pairwise(units):
        assert after["start"] >= before["end"] - 1e-6  # units follow each other on one clock
    # No click at a seam: the sample-to-sample step there is no larger than inside speech.
    step = np.abs(np.diff(audio))
    speech_step = np.percentile(step, 99.9)
    for unit in units[1:]:
        at = int(unit["start"] * rate)
        assert step[max(0, at - 256) : at + 256].max() <= speech_step


def test_lips_follow_the_voice_across_the_whole_stream(decoded, recorded):
    series = decoded["series"]
    assert series.found.mean() > 0.95
    audio, start = read_audio_16k(recorded["path"])
    env = envelope(audio, start, np.asarray(series.times), FPS)
    sync = lipsync(series.opening, env)
    assert sync["r"] is not None and sync["r"] >= 0.6, sync


def test_head_and_mouth_do_not_jump_at_unit_borders(decoded, recorded):
    series = decoded["series"]
    times = np.asarray(series.times)
    centre = np.asarray(series.centre, float) / series.iod
    opening = np.asarray(series.opening, float)
    head_step = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    mouth_step = np.abs(np.diff(opening))
    # Units start on whole frames of the stream: the step into a unit's first frame is the border's.
    borders = np.zeros(len(times) - 1, bool)
    for unit in events(recorded["got"], "unit")[1:]:
        borders[round(unit["start"] * FPS) - 1] = True
    assert borders.any()
    for name, step in (("head", head_step), ("mouth", mouth_step)):
        ok = np.isfinite(step)
        assert np.nanmax(step[borders & ok]) <= np.nanmax(step[~borders & ok]), name


def test_between_texts_the_face_idles_in_silence(decoded, recorded):
    units = events(recorded["got"], "unit")
    gaps = [(a["end"], b["start"]) for a, b in itertools.pairwise(units) if b["start"] - a["end"] > 1.0]
    assert gaps, "the face never idled between the two texts"
    idle_from, idle_to = gaps[0]
    series = decoded["series"]
    times = np.asarray(series.times)
    idle = (times >= idle_from) & (times < idle_to)
    assert np.all(np.diff(times[idle]) < 1.5 / FPS)  # video frames all through the idling
    audio, start = read_audio_16k(recorded["path"])
    quiet = audio[int((idle_from - start) * 16000) : int((idle_to - start) * 16000)]
    assert len(quiet) > 8000 and np.sqrt(np.mean(quiet**2)) < 0.003
    centre = np.asarray(series.centre, float)[idle]
    assert np.nanstd(centre[:, 1]) > 0.01  # breathing and a little drift: not a frozen picture


def send_start(socket, start: dict) -> None:
    try:
        socket.send(json.dumps(start))
    except ConnectionClosedError:
        pass  # a busy server says so and closes without waiting for the options


def _first_event(url, start, headers=None, wait_for_slot_s: float = 30):
    """The first event of a stream that ends by itself; a busy server (the last test's viewer still leaving)
    is asked again until `wait_for_slot_s` has passed."""
    deadline = time.monotonic() + wait_for_slot_s
    while True:
        with ws_connect(url, additional_headers=headers) as socket:
            send_start(socket, start)
            got = messages(socket, 60)
        kinds = [m["type"] for _, m in got if isinstance(m, dict)]
        assert kinds[-1] == "end"
        first = events(got)[0]
        if first.get("code") != "busy" or time.monotonic() >= deadline:
            return first
        time.sleep(0.3)


AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.mark.parametrize(
    "start, field, words",
    [
        ({"start": {"size": 13}}, "size", "64"),
        ({"start": {"size": 257}}, "size", "even"),
        ({"start": {"colour": "red"}}, "colour", "extra"),
        ({"start": {"voice": "nobody"}}, "voice", "en_US-joe-medium"),
        ({"start": {"engine": "sadtalker"}}, "engine", "builtin"),
        ({"start": {"image": "not base64!"}}, "image", "base64"),
        ({"start": {"image": base64.b64encode(b"a text file").decode()}}, "image", "JPEG"),
        ({"start": {"image": base64.b64encode(png(300, 300)).decode()}}, "image", "face"),
    ],
)
def test_bad_options_get_an_error_frame_naming_them(live_server, start, field, words):
    error = _first_event(ws_url(live_server), start, AUTH)
    assert error["type"] == "error" and error["field"] == field
    assert words.lower() in error["message"].lower()


def test_the_api_key_and_allowed_origins_apply(live_server):
    error = _first_event(ws_url(live_server), {"start": {}})
    assert error["code"] == "unauthorized"
    with pytest.raises(LiveError) as refused:  # at connect, not as a bare ConnectionClosedError later
        connect(ws_url(live_server), api_key="wrong")
    assert refused.value.code == "unauthorized" and refused.value.close_code == 1008
    assert "API key" in str(refused.value)
    with pytest.raises(InvalidStatus) as forbidden:
        ws_connect(ws_url(live_server), origin="https://elsewhere.example")
    assert forbidden.value.response.status_code == 403
    with opened(live_server, {"api_key": API_KEY, "size": SIZE}, headers={}, origin=CORS_ORIGIN):
        pass  # ready: an allowed origin with the key in the start message
    # The second of two configured keys, in the start message and in the header, as the first.
    with opened(live_server, {"api_key": OTHER_KEY, "size": SIZE}, headers={}):
        pass
    with opened(live_server, {"size": SIZE}, headers={"Authorization": f"Bearer {OTHER_KEY}"}):
        pass


def opened(server, start: dict, limit_s: float = 30, headers: dict = AUTH, origin: str | None = None):
    """A stream that got its `ready`, once the server's one slot is free (a viewer just gone frees it)."""
    deadline = time.monotonic() + limit_s
    while True:
        socket = ws_connect(ws_url(server), additional_headers=headers, origin=origin).__enter__()
        send_start(socket, {"start": start})
        first = json.loads(socket.recv(60))
        if first["type"] == "ready":
            return socket
        socket.close()
        assert first["code"] == "busy" and time.monotonic() < deadline, first
        time.sleep(0.3)


def test_a_bad_message_mid_stream_is_reported_and_the_stream_goes_on(live_server):
    with opened(live_server, {"size": SIZE}) as socket:
        socket.send("not json")
        socket.send(json.dumps({"txt": "typo"}))
        socket.send(json.dumps({"text": "Hi."}))
        socket.send(json.dumps({"end": True}))
        got = messages(socket)
    errors = events(got, "error")
    assert [e["code"] for e in errors] == ["invalid_input", "invalid_input"]
    assert [w["text"] for w in events(got, "word")] == ["Hi."]
    assert sum(len(m) for _, m in got if isinstance(m, bytes)) > 1000


def test_a_silent_client_is_timed_out_and_a_second_viewer_waits_for_a_free_slot(live_server):
    with opened(live_server, {"size": SIZE}) as socket:
        # The one slot is taken: a second viewer is told so.
        busy = _first_event(ws_url(live_server), {"start": {}}, AUTH, wait_for_slot_s=0)
        assert busy["code"] == "busy"
        with pytest.raises(LiveError) as refused:  # the bundled client says so too, with the server's words
            connect(ws_url(live_server), api_key=API_KEY, image=png(300, 300))
        assert refused.value.code == "busy" and refused.value.close_code == 1013
        assert "Try again" in str(refused.value)
        got = messages(socket, 30)  # nothing sent: the idle timeout (5 s) ends it
    assert [e["code"] for e in events(got, "error")] == ["idle_timeout"]
    assert events(got)[-1]["type"] == "end"


def test_a_stream_that_ends_or_is_refused_frees_the_slot_before_it_says_end(live_server):
    with opened(live_server, {"size": SIZE}) as socket:  # once the last test's viewer has gone
        socket.send(json.dumps({"end": True}))
        assert events(messages(socket))[-1]["type"] == "end"
    error = _first_event(ws_url(live_server), {"start": {"size": 13}}, AUTH, wait_for_slot_s=0)
    assert error["field"] == "size"
    opened(live_server, {"size": SIZE}, limit_s=0).close()  # at once: no busy in between


def test_a_viewer_who_leaves_frees_the_slot(live_server):
    with opened(live_server, {"size": SIZE}) as socket:
        socket.send(json.dumps({"text": "This sentence is cut short when the viewer leaves. And so is this one."}))
        while not isinstance(socket.recv(60), bytes):
            pass
    # Gone mid-stream: the slot comes free (opened() retries while the server still says busy).
    opened(live_server, {"size": SIZE}, limit_s=15).close()


def _raw_websocket(server) -> socket_module.socket:
    """A WebSocket opened by hand on a socket with a tiny receive window, so nothing reads for it."""
    raw = socket_module.socket()
    raw.setsockopt(socket_module.SOL_SOCKET, socket_module.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET /v1/live HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {API_KEY}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += raw.recv(1)
    assert response.startswith(b"HTTP/1.1 101")
    return raw


def _send_text_frame(raw: socket_module.socket, text: str) -> None:
    payload, mask = text.encode(), os.urandom(4)
    length = len(payload)
    header = bytes([0x81]) + (
        bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + length.to_bytes(2, "big")
    )
    raw.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def test_a_client_that_stops_reading_is_dropped_and_frees_its_slot(live_server):
    raw = _raw_websocket(live_server)
    try:
        _send_text_frame(raw, json.dumps({"start": {"size": SIZE}}))
        for _ in range(5):  # over a minute of speech: the stream would not end by itself within the wait below
            _send_text_frame(raw, json.dumps({"text": "This is a long text that nobody reads. " * 6}))
        # Unanswered keepalive pings (or a backlog past SLOW_CLIENT_S) end it; the next viewer gets the slot.
        opened(live_server, {"size": SIZE}, limit_s=60).close()
    finally:
        raw.close()


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def test_a_flood_of_text_is_refused_past_its_cap_and_the_server_stays_small(live_server):
    """1,000 messages as fast as they go: units stay short, one error frame says the rest was refused,
    and the API process (where live streams are made) does not grow."""
    pid = live_server.process.pid
    with opened(live_server, {"size": 64}) as socket:
        for _ in range(1000):
            socket.send(json.dumps({"text": "hi "}))
        got, peak_mb = [], _rss_mb(pid)
        deadline = time.monotonic() + 30  # until 3 s of the first unit (9 s long) are out
        while time.monotonic() < deadline and not any(e["media_s"] >= 3 for e in events(got, "progress")):
            message = socket.recv(10)
            got.append((time.monotonic(), message if isinstance(message, bytes) else json.loads(message)))
            peak_mb = max(peak_mb, _rss_mb(pid))
    errors = events(got, "error")
    assert [e["code"] for e in errors] == ["queue_full"], errors  # one frame for the run of refusals
    assert str(PENDING_CHARS) in errors[0]["message"] and errors[0]["field"] == "text"
    units = events(got, "unit")
    assert units and all(len(unit["text"].split()) <= MAX_UNIT_WORDS for unit in units)
    assert peak_mb <= MAX_SERVER_MB, f"the server grew to {peak_mb:.0f} MB"
    opened(live_server, {"size": SIZE}, limit_s=15).close()  # gone: the slot is free again


def test_a_message_over_the_size_limit_is_closed_with_1009(live_server):
    # Once the one slot is ours (the last test's viewer may still be leaving, and a busy server says 1013).
    with opened(live_server, {"size": SIZE}) as socket:
        # The server may close while the 6 MB are still going out: the close then shows in the send.
        with pytest.raises(ConnectionClosedError) as closed:
            socket.send(json.dumps({"text": "x" * 6_000_000}))
            while True:  # idle media may come first; the close ends the loop
                socket.recv(30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
