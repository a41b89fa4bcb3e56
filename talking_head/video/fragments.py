"""Fragmented MP4 as it is made: H.264 yuv420p + AAC, bytes handed out fragment by fragment.

The output is one ordinary fragmented MP4 (``empty_moov``: the init segment
first, then one ``moof``+``mdat`` per fragment), so it plays in a browser
through Media Source Extensions, pipes into a player, or decodes as a file.
Every fragment opens on a key frame; the first is short so a viewer sees
the face soon, the rest stay under half a second.

Audio and video share one clock: the caller queues audio samples with
`add_audio` and each video frame carries `sample_rate / fps` of them. The
AAC encoder's priming delay is left to the muxer, which shifts both tracks
by it (checked with a click against a white frame in the tests).
"""

from __future__ import annotations

from collections.abc import Callable

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from .encoder import add_streams, audio_frame, video_frame

FIRST_FRAGMENT_S = 0.2  # the first pictures leave early
FRAGMENT_S = 0.4  # then fragments of at most this long (the bound is about 0.5 s)
MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
# Low latency: a fragment is cut at every packet (a duration of 1 us), and video is not held back until the
# audio catches up (the AAC encoder delays its packets by 2048 samples, its priming and look-ahead). The
# interleaver passes a packet on once a later one comes and the muxer closes a fragment when the next packet
# comes, so frame k leaves while frame k + 1 is written, about when the audio at its start has been encoded
# (at 48 kHz). (frag_every_frame writes wrong decode times here.)
LOW_LATENCY_MOVFLAGS = "empty_moov+default_base_moof"
LOW_LATENCY_FRAGMENT_US = "1"
NO_INTERLEAVE_WAIT_US = "1"
# Opus instead of AAC (low latency): its packets leave 6.5 ms after their sound, not 2048 samples; at 10 ms a
# packet, audio past a frame's start is encoded with the frame itself, so the frame leaves during its own write.
OPUS_PACKET_MS = "10"
OPUS_RATE = 48000  # Hz: Opus in MP4 is always 48 kHz
# Low latency serves several live streams on a few cores, so its encoders trade bytes for time: x264 at
# ultrafast and AAC's fast coder encode a 512 frame with its audio in 3.7 against 6.7 ms, for about a third
# more bits (1.7 against 1.3 Mbit/s on a grainy face) and 1 dB less PSNR (39 dB).
LOW_LATENCY_PRESET = "ultrafast"
LOW_LATENCY_AAC_CODER = "fast"
H264_PROFILE = "high"
MIME_TYPES = {
    "aac": 'video/mp4; codecs="avc1.640028, mp4a.40.2"',
    "opus": 'video/mp4; codecs="avc1.640028, opus"',
}
"""What a browser's MediaSource is told, by audio codec: H.264 High up to level 4.0, with AAC-LC or Opus."""
MIME_TYPE = MIME_TYPES["aac"]


class _Sink:
    """The muxer's output file: hands every write on, never seeks (fragmented MP4 needs no seeking)."""

    def __init__(self, emit: Callable[[bytes], None]):
        self._emit = emit
        self.bytes_out = 0

    def write(self, data) -> int:
        data = bytes(data)
        self.bytes_out += len(data)
        self._emit(data)
        return len(data)


class FragmentWriter:
    """Encode RGB frames and mono audio into fragmented MP4, calling `emit(bytes)` as output appears.

    `low_latency`: fragments of at most one frame, each leaving during the next frame's `write` (at an audio
    rate of 32 kHz or more; with `audio_codec="opus"` during its own), instead of fragments of up to
    `FRAGMENT_S` that leave at the next key frame and wait for the audio. `audio_codec`: "aac" or "opus"
    (48 kHz only).
    """

    def __init__(
        self,
        emit: Callable[[bytes], None],
        width: int,
        height: int,
        fps: int,
        sample_rate: int,
        low_latency: bool = False,
        audio_codec: str = "aac",
    ):
        if width % 2 or height % 2:
            raise ValueError(f"yuv420p needs even frame sizes, got {width}x{height}")
        if audio_codec not in MIME_TYPES:
            raise ValueError(f"audio codec {audio_codec!r} is not one of {', '.join(MIME_TYPES)}")
        if audio_codec == "opus" and sample_rate != OPUS_RATE:
            raise ValueError(f"Opus in MP4 is {OPUS_RATE} Hz, not {sample_rate}")
        self.width, self.height, self.fps, self.sample_rate = width, height, fps, sample_rate
        self.frames_written = 0
        self._first_cut = max(1, round(FIRST_FRAGMENT_S * fps))
        self._every = max(1, int(FRAGMENT_S * fps))
        self._pending = np.zeros(0, np.float32)
        self._audio_sent = 0
        self._reformatter = VideoReformatter()
        self._sink = _Sink(emit)
        options = (
            {
                "movflags": LOW_LATENCY_MOVFLAGS,
                "frag_duration": LOW_LATENCY_FRAGMENT_US,
                "max_interleave_delta": NO_INTERLEAVE_WAIT_US,
            }
            if low_latency
            else {"movflags": MOVFLAGS}
        )
        self._container = av.open(self._sink, "w", format="mp4", options=options)
        self._held: list | None = [] if low_latency else None
        # zerolatency: no look-ahead and no B-frames, so each frame leaves the encoder at once.
        # Key frames only where a fragment starts (forced below); no scene-cut key frames. One thread:
        # several streams share the cores, and one 512 frame encodes in about 4 ms anyway.
        video_options = {
            "tune": "zerolatency",
            "profile": H264_PROFILE,
            "g": str(10 * fps),
            "sc_threshold": "0",
            "threads": "1",
        }
        audio: tuple = ("libopus", {"frame_duration": OPUS_PACKET_MS}) if audio_codec == "opus" else ()
        if low_latency:
            video_options["preset"] = LOW_LATENCY_PRESET
            audio = audio or ("aac", {"aac_coder": LOW_LATENCY_AAC_CODER})
        self._video, self._audio = add_streams(self._container, width, height, fps, sample_rate, video_options, *audio)

    @property
    def bytes_out(self) -> int:
        return self._sink.bytes_out

    def samples_for(self, frames: int) -> int:
        """The audio samples that `frames` frames from the start of the stream span."""
        return frames * self.sample_rate // self.fps

    def add_audio(self, samples: np.ndarray) -> None:
        """Queue audio to go with the frames that follow."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, np.float32)])

    def _fragment_starts(self, index: int) -> bool:
        return (
            index == 0
            or index == self._first_cut
            or (index > self._first_cut and (index - self._first_cut) % self._every == 0)
        )

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 frame of shape (height, width, 3) with its share of the queued audio."""
        if frame.shape != (self.height, self.width, 3):
            raise ValueError(f"frame shape {frame.shape} is not {(self.height, self.width, 3)}")
        picture = video_frame(frame, self.frames_written, self.fps, self._reformatter)
        if self._fragment_starts(self.frames_written):
            picture.pict_type = av.video.frame.PictureType.I
        packets = self._video.encode(picture)
        if self._held is not None:  # low latency, no audio packet out yet: see _send_audio
            self._held += packets
        else:
            self._container.mux(packets)
        self.frames_written += 1
        self._send_audio(self.samples_for(self.frames_written) - self._audio_sent)

    def _send_audio(self, count: int) -> None:
        if count <= 0:
            return
        chunk = self._pending[:count]
        if len(chunk) < count:  # the caller queued too little: the video's clock rules, fill with silence
            chunk = np.concatenate([chunk, np.zeros(count - len(chunk), np.float32)])
        self._pending = self._pending[count:]
        packets = self._audio.encode(audio_frame(chunk, self._audio_sent, self.sample_rate))
        self._container.mux(packets)
        if self._held is not None and packets:
            # The muxer shifts every track by the AAC priming it sees on the first packet: without interleaving
            # the first packet must still be audio's, or the audio plays a priming's length (21 ms at 48 kHz) late.
            self._container.mux(self._held)
            self._held = None
        self._audio_sent += count

    def close(self) -> None:
        """Flush both encoders and write the last fragment."""
        self._container.mux(self._audio.encode(None))
        if self._held:
            self._container.mux(self._held)
        self._container.mux(self._video.encode(None))
        self._container.close()

    def abort(self) -> None:
        try:
            self._container.close()
        except (av.error.FFmpegError, OSError, ValueError):  # a half-written stream: nothing more to save
            pass
