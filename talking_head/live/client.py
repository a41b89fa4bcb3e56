"""A small client for `/v1/live`: send text, get the MP4 bytes and the events as they come.

    from talking_head.live import connect

    with connect("ws://127.0.0.1:8000/v1/live", image="me.jpg") as live:
        live.send("Hello there! ")
        live.send("Nice to meet you.")
        live.end()
        with open("live.mp4", "wb") as out:
            for item in live:
                if isinstance(item, bytes):
                    out.write(item)          # the fragmented MP4, in order
                else:
                    print(item)              # {"type": "word" | "progress" | "error" | "end", ...}

`connect` returns once the server is ready (its ``ready`` event is the first
item iterated); a refusal (busy, unauthorized, bad options, no face) raises
`LiveError` with the server's code and message, then or at any later call.
`send` may be called from another thread while this one iterates, so text
from a language model can go out token by token as the video comes back.

Driven by a voice agent's audio instead (``input="audio"``)::

    with connect(url, input="audio", sample_rate=24000) as live:
        live.send_audio(pcm_chunk)   # 16-bit little-endian mono bytes, as they come (20 ms chunks are fine)
        live.end_of_segment()        # the utterance is complete
        live.interrupt()             # the user cut in: the face stops talking at once
        live.end()                   # play what is waiting, then finish
        for item in live: ...        # MP4 bytes; events segment_start / segment_end / interrupted / error / end
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from ..errors import InputError

# What a close without an error frame means (RFC 6455 codes the server uses).
CLOSE_CODES = {
    1008: ("refused", "the server refused the stream (policy)"),
    1009: ("too_big", "a message was larger than the server accepts"),
    1011: ("internal", "the server failed"),
    1013: ("busy", "the server is busy; try again in a moment"),
}


class LiveError(Exception):
    """The server refused or ended the stream: `code` and the message of its `error` frame
    (or, when it closed without one, of its close frame), and `close_code` where it closed."""

    def __init__(self, event: dict, close_code: int | None = None):
        message = event.get("message") or "the live stream failed"
        super().__init__(f"{message} ({event['code']})" if event.get("code") else message)
        self.event = event
        self.code = event.get("code")
        self.close_code = close_code

    @classmethod
    def closed(cls, closed: ConnectionClosed, error: dict | None = None) -> LiveError:
        """From a `ConnectionClosed`: the error frame that came before it, else what the close says."""
        frame = closed.rcvd
        close_code: int | None = frame.code if frame is not None else None
        if error is None:
            code, message = CLOSE_CODES.get(close_code or 0, ("closed", "the server closed the connection"))
            reason = frame.reason if frame is not None and frame.reason else message
            where = f" (close code {close_code})" if close_code else " (no close frame)"
            error = {"type": "error", "code": code, "message": reason + where}
        return cls(error, close_code)


class LiveClient:
    """One live stream over one WebSocket; iterate it for bytes (the MP4) and dicts (events)."""

    def __init__(
        self,
        url: str,
        image: str | Path | bytes | None = None,
        api_key: str | None = None,
        open_timeout_s: float = 30.0,
        ready_timeout_s: float = 120.0,
        **options,
    ):
        from websockets.sync.client import connect as ws_connect

        start = {key: value for key, value in options.items() if value is not None}
        if image is not None:
            data = image if isinstance(image, bytes) else Path(image).read_bytes()
            start["image"] = base64.b64encode(data).decode()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self._socket = ws_connect(
            url, additional_headers=headers, open_timeout=open_timeout_s, max_size=None, compression=None
        ).__enter__()
        self.ready: dict = {}
        self.ended = False
        self._error: dict | None = None
        try:
            self._socket.send(json.dumps({"start": start}))
            first = json.loads(self._socket.recv(ready_timeout_s))
        except ConnectionClosed as closed:  # refused before it read the start (busy, origin, too big)
            self.close()
            raise self._refusal(closed) from None
        except TimeoutError:
            self.close()
            raise LiveError(
                {"type": "error", "code": "timeout", "message": f"no answer to the start in {ready_timeout_s:.0f} s"}
            ) from None
        if first.get("type") != "ready":  # an error frame: refused (unauthorized, bad options, no face)
            self._error = first
            self._drain()
            raise LiveError(first, self._close_code())
        self.ready = first  # the server's ``ready`` event (size, fps, MIME type)

    def send(self, text: str) -> None:
        """More text to speak (whole sentences or single tokens)."""
        if text:
            self._send(json.dumps({"text": text}))

    def send_audio(self, pcm: bytes) -> None:
        """A chunk of 16-bit little-endian mono PCM at the start's `sample_rate` (audio input)."""
        self._send(bytes(pcm))

    def end_of_segment(self) -> None:
        """Audio input: the utterance sent since the last one is complete."""
        self._send(json.dumps({"end_of_segment": True}))

    def interrupt(self) -> None:
        """Audio input: drop what the server has not shown yet; the face listens again."""
        self._send(json.dumps({"interrupt": True}))

    def end(self) -> None:
        """No more input: the server speaks (or plays) what is left, sends the rest of the video and closes."""
        self._send(json.dumps({"end": True}))

    def _send(self, message: str | bytes) -> None:
        try:
            self._socket.send(message)
        except ConnectionClosed as closed:  # the server ended the stream: say why, not just that
            raise self._refusal(closed) from None

    def __iter__(self) -> Iterator[bytes | dict]:
        """The `ready` event, then MP4 bytes and events until ``end``; a `LiveError` if the
        server closes the stream without one (its last error frame, else its close code)."""
        yield self.ready
        try:
            for message in self._socket:
                if isinstance(message, bytes):
                    yield message
                    continue
                event = json.loads(message)
                if event.get("type") == "error":
                    self._error = event
                yield event
                if event.get("type") == "end":
                    self.ended = True
                    return
        except ConnectionClosed as closed:
            if not self.ended:
                raise self._refusal(closed) from None

    def _refusal(self, closed: ConnectionClosed) -> LiveError:
        self._drain()
        return LiveError.closed(closed, self._error)

    def _drain(self) -> None:
        """Read what the server sent before it closed (its error frame, most of all)."""
        try:
            while True:
                message = self._socket.recv(0)
                if isinstance(message, str) and json.loads(message).get("type") == "error":
                    self._error = json.loads(message)
        except (ConnectionClosed, TimeoutError):
            pass

    def _close_code(self) -> int | None:
        self.close()
        return self._socket.close_code

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(url: str, image: str | Path | bytes | None = None, api_key: str | None = None, **options) -> LiveClient:
    """Open a live stream at `url` (``ws://HOST:PORT/v1/live``) with the start options (size, fps, voice, ...)."""
    if not url.startswith(("ws://", "wss://")):
        raise InputError(f"a live URL starts with ws:// or wss://, got {url!r}", field="url")
    return LiveClient(url, image, api_key, **options)
