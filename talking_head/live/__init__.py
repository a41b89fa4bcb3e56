"""Live talking heads: text in pieces becomes a fragmented MP4 stream as it is spoken.

`connect` opens a stream on a server (`/v1/live`); `talking_head.live.stream`
is the pipeline itself, for making a stream in this process.
"""

from .client import LiveClient, LiveError, connect

__all__ = ["LiveClient", "LiveError", "connect"]
