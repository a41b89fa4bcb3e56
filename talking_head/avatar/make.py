"""From a clip of one person speaking to an `Avatar`: tracked, banked, looped; and back from a `.avatar` file.

One pass tracks the face on every frame (our face analysis, `face.tracking`);
a second cuts each usable frame's lower face into the canonical position for
the mouth bank. The loop plan comes from the tracked upper face.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ..errors import InputError
from ..face import Face, regions
from ..face.detection import detect_faces
from ..face.tracking import FaceTracker
from ..settings import Settings
from ..version import __version__
from .bank import MouthBank, encode_sample
from .bundle import FORMAT_VERSION, npz_arrays, npz_bytes, read_bundle, write_bundle
from .canonical import Canonical, apply, descriptors
from .clip import FrameSource, iter_clip, probe_clip
from .loops import LoopPlan

log = logging.getLogger(__name__)

WORK_MAX_SIDE_PX = 1024  # frames are kept at most this large
MIN_CLIP_S = 4.0
MIN_USABLE_S = 3.0  # seconds of frames with a frontal face the bank and the loop plan need
MIN_USABLE_SHARE = 0.5  # below this the face is turned away or covered for most of the clip
MAX_TURN_IOD = 0.3  # nose tip this far (IOD) beside the eyes' midpoint: turned too far to use
IOD_JUMP = 0.25  # a face this much larger or smaller than usual is a tracking slip, not the person
LOST_LOOK_EVERY = 5  # frames: how often a lost face is looked for again
FACE_COUNT_EVERY_S = 2.0  # how often faces are counted (the detector is the slow part)
MAX_BANK_SAMPLES = 1500  # one minute of mouths at 25 fps: plenty for unit selection
MAX_LOOP_FRAMES = 1500  # the loop plan (and a bundle's footage) covers at most a minute
FOOTAGE_CRF = 12  # the avatar's footage, re-encoded nearly losslessly...
FOOTAGE_GOP = 12  # ...with a key frame every half second, so the loop plan's jumps decode fast

Progress = Callable[[float, str], None]


@dataclass
class Avatar:
    """A person's footage made ready to speak.

    `landmarks` (frames, 478, 3) in the frames' pixels (NaN where no usable
    face); `usable` marks frames with a frontal face; `bank` the mouth samples;
    `loop` the loop plan; `frames` gives frame i of the footage. `dubbing`:
    play the footage from frame 0 in order (a clip given to dub), else start
    from the idle loop (a built avatar).
    """

    name: str
    fps: float
    width: int
    height: int
    landmarks: np.ndarray
    usable: np.ndarray
    canonical: Canonical
    bank: MouthBank
    loop: LoopPlan
    frames: FrameSource
    faces_found: int = 1
    warnings: list[str] = field(default_factory=list)
    dubbing: bool = False
    digest: str = ""
    footage: bytes | None = field(default=None, repr=False)
    """The re-encoded footage a bundle stores (`make_avatar(..., for_bundle=True)`)."""

    @property
    def n_frames(self) -> int:
        return len(self.landmarks)

    @property
    def iod(self) -> float:
        return self.canonical.iod_px

    def face(self) -> Face:
        """A `Face` from one of the footage's frames, for the photo engines (a fallback)."""
        index = self.loop.offset + self.loop.idle_start
        landmarks = self.landmarks[index].astype(np.float32)
        return Face(self.frames.get(index).copy(), landmarks, self.faces_found, self.digest or self.name)

    def header(self) -> dict:
        return {
            "format": "talking-head avatar",
            "made_by": f"talking-head {__version__}",
            "name": self.name,
            "fps": self.fps,
            "width": self.width,
            "height": self.height,
            "frames": self.n_frames,
            "usable_frames": int(self.usable.sum()),
            "mouth_samples": len(self.bank),
            "loop_jumps": len(self.loop.jumps),
            "faces_found": self.faces_found,
            "warnings": self.warnings,
            "canonical": self.canonical.to_dict(),
        }


def _work_size(width: int, height: int) -> tuple[int, int]:
    scale = min(1.0, WORK_MAX_SIDE_PX / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _frontal(landmarks: np.ndarray) -> tuple[bool, float]:
    """Whether the face looks at the camera (nose tip between the eyes), and its inter-ocular distance."""
    right, left = regions.eye_centres(landmarks)
    iod = float(np.linalg.norm(left - right))
    across = (left - right) / max(iod, 1e-6)
    nose = landmarks[regions.NOSE_TIP, :2] - (left + right) / 2
    return abs(float(nose @ across)) / max(iod, 1e-6) <= MAX_TURN_IOD, iod


def _encoder(buffer: io.BytesIO, width: int, height: int, fps: float):
    container = av.open(buffer, "w", format="mp4")
    rate = Fraction(fps).limit_denominator(1001)
    stream = container.add_stream("libx264", rate=rate)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {
        "crf": str(FOOTAGE_CRF),
        "preset": "veryfast",
        "x264-params": f"keyint={FOOTAGE_GOP}:min-keyint={FOOTAGE_GOP}:scenecut=0",
    }
    return container, stream


def make_avatar(
    clip: str | Path,
    settings: Settings | None = None,
    *,
    for_bundle: bool = False,
    progress: Progress | None = None,
) -> Avatar:
    """Track, bank and loop `clip`. `for_bundle`: re-encode the footage the loop plan uses, for `save_avatar`.

    Raises `InputError` for a clip that is too long or short, unreadable,
    audio-only, without a face, or with too little frontal footage.
    """
    settings = settings or Settings()
    clip = Path(clip)
    facts = probe_clip(clip)
    if facts.duration_s > settings.max_clip_s:
        raise InputError(
            f"{clip.name} is {facts.duration_s:.0f} s long; the limit is {settings.max_clip_s} s "
            f"(TALKING_HEAD_MAX_CLIP_S). Cut it shorter: a minute of the person speaking is plenty.",
            field="video",
        )
    if 0 < facts.duration_s < MIN_CLIP_S:
        raise InputError(
            f"{clip.name} is only {facts.duration_s:.1f} s long. Give at least {MIN_CLIP_S:.0f} s of the person "
            "speaking to the camera.",
            field="video",
        )
    width, height = _work_size(facts.width, facts.height)
    report = progress or (lambda fraction, stage: None)
    expected = max(1, round(facts.duration_s * facts.fps))

    # Pass 1: the face on every frame.
    tracker = FaceTracker()
    tracks: list[np.ndarray | None] = []
    faces_seen = 0
    count_every = max(1, round(FACE_COUNT_EVERY_S * facts.fps))
    buffer = io.BytesIO() if for_bundle else None
    encoder = _encoder(buffer, width, height, facts.fps) if buffer is not None else None
    try:
        for i, frame in enumerate(iter_clip(clip, width, height)):
            if i % count_every == 0:
                faces_seen = max(faces_seen, len(detect_faces(frame)))
            # While the face is lost, look for it only now and then: a long turned-away stretch costs little.
            lost = bool(tracks) and tracks[-1] is None
            tracks.append(tracker.find(frame) if not lost or i % LOST_LOOK_EVERY == 0 else None)
            if encoder is not None and i < MAX_LOOP_FRAMES:
                container, stream = encoder
                video = av.VideoFrame.from_ndarray(frame, format="rgb24")
                video.pts = i
                container.mux(stream.encode(video))
            if i % 25 == 0:
                report(0.6 * min(1.0, i / expected), "tracking")
        if encoder is not None:
            container, stream = encoder
            container.mux(stream.encode(None))
            container.close()
    except BaseException:
        if encoder is not None:
            encoder[0].close()
        raise
    n = len(tracks)
    landmarks = np.full((n, 478, 3), np.nan, np.float32)
    usable = np.zeros(n, bool)
    iods = np.full(n, np.nan)
    for i, found in enumerate(tracks):
        if found is None:
            continue
        landmarks[i] = found
        usable[i], iods[i] = _frontal(found)
    if not np.isfinite(iods).any():
        raise InputError(
            f"no face found in any of the {n} frames of {clip.name}. Give a clip in which one person's face is "
            "clearly visible, facing the camera.",
            field="video",
        )
    iod = float(np.nanmedian(iods[usable] if usable.any() else iods))
    usable &= np.abs(iods / iod - 1) <= IOD_JUMP
    if usable.mean() < MIN_USABLE_SHARE:
        raise InputError(
            f"the face in {clip.name} is turned away, covered or missing in most of the clip (usable in "
            f"{usable.sum()} of {n} frames). Give a clip in which the face looks at the camera most of the time.",
            field="video",
        )
    if usable.sum() < MIN_USABLE_S * facts.fps:
        raise InputError(
            f"too little usable footage in {clip.name}: {usable.sum() / facts.fps:.1f} s with the face toward the "
            f"camera, {MIN_USABLE_S:.0f} s needed. Give a longer clip of the person speaking to the camera.",
            field="video",
        )
    warnings = []
    if faces_seen > 1:
        warnings.append(f"{faces_seen} faces in {clip.name}: the largest one speaks")
    report(0.6, "mouth bank")

    good = np.flatnonzero(usable)
    canonical = Canonical.for_clip([landmarks[i] for i in good[:: max(1, len(good) // 300)]], iod)
    banked = set(good[:MAX_BANK_SAMPLES].tolist())
    frames, shapes, points, jpegs = [], [], [], []
    for i, frame in enumerate(iter_clip(clip, width, height)):
        if i not in banked:
            continue
        matrix = canonical.fit(landmarks[i])
        # Cubic: the crop is resampled once more when drawn, and bilinear twice smooths away skin and lip texture.
        crop = cv2.warpAffine(
            frame, matrix, (canonical.width, canonical.height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        at = apply(matrix, landmarks[i]).astype(np.float32)
        frames.append(i)
        shapes.append(descriptors(at, crop, canonical.iod_px))
        points.append(at)
        jpegs.append(encode_sample(crop))
        if len(frames) % 25 == 0:
            report(0.6 + 0.3 * len(frames) / len(banked), "mouth bank")
    bank = MouthBank.from_samples(frames, shapes, points, jpegs)

    report(0.9, "loop plan")
    offset = 0 if for_bundle else max(0, n - MAX_LOOP_FRAMES)
    span = slice(offset, min(n, offset + MAX_LOOP_FRAMES))
    loop = LoopPlan.build(landmarks[span], usable[span], offset)
    footage = buffer.getvalue() if buffer is not None else None
    source = FrameSource(footage if footage is not None else clip, width, height, facts.fps)
    digest = hashlib.sha256(clip.read_bytes()).hexdigest() if clip.stat().st_size < 2**31 else clip.name
    avatar = Avatar(
        name=clip.stem,
        fps=facts.fps,
        width=width,
        height=height,
        landmarks=landmarks,
        usable=usable,
        canonical=canonical,
        bank=bank,
        loop=loop,
        frames=source,
        faces_found=max(1, faces_seen),
        warnings=warnings,
        dubbing=not for_bundle,
        digest=digest,
        footage=footage,
    )
    report(1.0, "done")
    return avatar


def save_avatar(avatar: Avatar, path: str | Path) -> Path:
    """Write `avatar` (made with `for_bundle=True`) as one `.avatar` bundle; nothing half-written on failure."""
    footage = avatar.footage
    if footage is None:
        raise ValueError("only an avatar made with for_bundle=True carries its footage")
    kept = min(avatar.n_frames, MAX_LOOP_FRAMES)
    members = {
        "tracks.npz": npz_bytes({"landmarks": avatar.landmarks[:kept], "usable": avatar.usable[:kept]}),
        "bank.npz": npz_bytes(avatar.bank.arrays()),
        "loop.npz": npz_bytes(avatar.loop.arrays()),
        "footage.mp4": footage,
    }
    header = {**avatar.header(), "frames": kept, "digest": avatar.digest}
    return write_bundle(path, header, members)


def load_avatar(path: str | Path) -> Avatar:
    """An avatar from its `.avatar` file; `InputError` for a file that is changed, damaged or of another version."""
    header, members = read_bundle(path)
    tracks = npz_arrays(members["tracks.npz"])
    return Avatar(
        name=header["name"],
        fps=float(header["fps"]),
        width=int(header["width"]),
        height=int(header["height"]),
        landmarks=tracks["landmarks"],
        usable=tracks["usable"].astype(bool),
        canonical=Canonical.from_dict(header["canonical"]),
        bank=MouthBank.from_arrays(npz_arrays(members["bank.npz"])),
        loop=LoopPlan.from_arrays(npz_arrays(members["loop.npz"])),
        frames=FrameSource(members["footage.mp4"], int(header["width"]), int(header["height"]), float(header["fps"])),
        faces_found=int(header["faces_found"]),
        warnings=list(header["warnings"]),
        dubbing=False,
        digest=header.get("digest", ""),
    )


__all__ = ["FORMAT_VERSION", "Avatar", "load_avatar", "make_avatar", "save_avatar"]
