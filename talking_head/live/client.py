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

from ..errors import InputError


class LiveError(Exception):
    """The server refused the stream (its `error` frame came before any media)."""

    def __init__(self, event: dict):
        super().__init__(event.get("message", "the live stream failed"))
        self.event = event
        self.code = event.get("code")


class LiveClient:
    """One live stream over one WebSocket; iterate it for bytes (the MP4) and dicts (events)."""

    def __init__(
        self,
        url: str,
        image: str | Path | bytes | None = None,
        api_key: str | None = None,
        open_timeout_s: float = 30.0,
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
        self._socket.send(json.dumps({"start": start}))
        self.ready: dict | None = None
        self.ended = False

    def send(self, text: str) -> None:
        """More text to speak (whole sentences or single tokens)."""
        if not text:
            return
        self._socket.send(json.dumps({"text": text}))

    def send_audio(self, pcm: bytes) -> None:
        """A chunk of 16-bit little-endian mono PCM at the start's `sample_rate` (audio input)."""
        self._socket.send(bytes(pcm))

    def end_of_segment(self) -> None:
        """Audio input: the utterance sent since the last one is complete."""
        self._socket.send(json.dumps({"end_of_segment": True}))

    def interrupt(self) -> None:
        """Audio input: drop what the server has not shown yet; the face listens again."""
        self._socket.send(json.dumps({"interrupt": True}))

    def end(self) -> None:
        """No more input: the server speaks (or plays) what is left, sends the rest of the video and closes."""
        self._socket.send(json.dumps({"end": True}))

    def __iter__(self) -> Iterator[bytes | dict]:
        from websockets.exceptions import ConnectionClosed

        media_seen = False
        try:
            for message in self._socket:
                if isinstance(message, bytes):
                    media_seen = True
                    yield message
                    continue
                event = json.loads(message)
                if event.get("type") == "ready":
                    self.ready = event
                if event.get("type") == "error" and not media_seen and self.ready is None:
                    raise LiveError(event)
                yield event
                if event.get("type") == "end":
                    self.ended = True
                    return
        except ConnectionClosed:
            if not self.ended:
                raise

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
