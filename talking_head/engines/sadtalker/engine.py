"""The `sadtalker` engine: SadTalker's networks, our implementation, the user's released checkpoints.

prepare: frame the photo (crop / resize / full), fit the 3DMM to its face,
encode it for the renderer. render: audio -> coefficients for the whole clip
(small), then frames in batches of `batch_size`, resized (and pasted back) on
the device, handed out one at a time, so memory stays flat however long the
speech. Networks stay loaded between calls. torch is imported only here,
lazily: `unavailable()` works without it.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import ConfigurationError
from ...face import Face
from ...motion.track import MotionTrack
from ...options import SADTALKER_FRAMINGS, TalkOptions
from ...settings import Settings
from ...speech import Speech
from ..framing import FULL_MAX_SIDE_PX, WHOLE

if TYPE_CHECKING:  # torch is optional: imported at run time only when the engine is used
    import torch
    from torch import nn

    from .animate import Animator
    from .checkpoints import Networks

REQUIRED_MODULES = ("torch", "safetensors")
MAX_BATCH_SIZE = 256  # frames per network pass


def _import_torch():
    # Big CPU tensors (hundreds of MB per batch) would otherwise be page-faulted in 4 kB at a time
    # on every allocation; with transparent huge pages that costs a fraction. Read by torch at its
    # first large allocation; harmless elsewhere.
    os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")
    import torch

    return torch


def pick_device(requested: str | None):
    """`requested` if given (and present), else CUDA, then Apple MPS, then the CPU."""
    torch = _import_torch()
    if requested:
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ConfigurationError(f"device {requested!r} was asked for, but CUDA is not available here.")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ConfigurationError(f"device {requested!r} was asked for, but Apple MPS is not available here.")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _signature(*paths: Path) -> tuple:
    """Changes when any of the files is replaced or rewritten."""
    out: list[tuple[str, int | None, int | None]] = []
    for path in paths:
        try:
            stat = path.stat()
            out.append((str(path.resolve()), stat.st_size, stat.st_mtime_ns))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


@dataclass
class Prepared:
    """One photo, framed, fitted and encoded, plus how each frame is finished."""

    width: int
    height: int
    mode: str
    animator: Animator
    networks: Networks
    source: np.ndarray  # the 73 coefficients of the photo
    options: TalkOptions
    device: torch.device
    batch_size: int
    photo: torch.Tensor | None = None  # full mode: the photo at output size, (3, H, W) float on the device
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # full mode: the face square in output pixels
    alpha: torch.Tensor | None = None  # full mode: (1, 1, h, w) feathered paste mask on the device
    coefficients: np.ndarray | None = field(default=None, repr=False)  # set by render, for inspection
    framed: str = "whole"  # how the photo was framed (engines.framing.FRAMINGS)


class SadTalkerEngine:
    """An `engines.Engine`: SadTalker's networks on the user's checkpoints (`Settings.sadtalker_dir`).

    unavailable: no folder, no torch, or damaged files (those raise `ConfigurationError`). prepare and
    render: as this module says; networks stay loaded between calls.
    """

    name = "sadtalker"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._checked: dict[tuple, object] = {}  # file signature -> MappingNet (CPU), checked and built
        self._networks: tuple | None = None  # (key, Networks): the most recent main file, on its device
        self._mappings: dict[tuple, object] = {}  # (signature, device) -> MappingNet on that device

    # -- availability and checkpoints -------------------------------------------------------------

    def unavailable(self, options: TalkOptions, settings: Settings) -> str | None:
        """A reason this engine cannot run, or None. Damaged checkpoints raise `ConfigurationError`."""
        if not settings.sadtalker_dir:
            return (
                "no SadTalker checkpoints configured: give --sadtalker-dir DIR "
                "(or set TALKING_HEAD_SADTALKER_DIR) with SadTalker's released files"
            )
        if not 1 <= settings.sadtalker_batch_size <= MAX_BATCH_SIZE:
            raise ConfigurationError(
                f"the SadTalker batch size (--batch-size, TALKING_HEAD_SADTALKER_BATCH_SIZE) "
                f"must be between 1 and {MAX_BATCH_SIZE}, got {settings.sadtalker_batch_size}"
            )
        missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
        if missing:
            return f"{' and '.join(missing)} not installed: pip install 'talking-head[sadtalker]'"
        self._checked_mapping(self._files(options, settings))
        return None

    def _files(self, options, settings):
        from .checkpoints import choose_files

        coeff_nc = 73 if options.sadtalker_preprocess == "full" else 70
        return choose_files(settings.sadtalker_dir, options.size, coeff_nc)

    def _checked_mapping(self, files):
        """Check the files (once per version of them); return their MappingNet, on the CPU."""
        _import_torch()
        from .checkpoints import build_mapping, check_files

        key = _signature(files.main, files.mapping)
        with self._lock:
            if key not in self._checked:
                self._checked.clear()
                self._checked[key] = build_mapping(check_files(files), files.coeff_nc)
            return self._checked[key]

    def _models(self, files, device, dtype):
        """(Networks, MappingNet) on `device`; the main file is read only when it or the device changed."""
        from .checkpoints import load_networks

        mapping_cpu = self._checked_mapping(files)
        torch = _import_torch()
        key = (_signature(files.main), str(device), dtype)
        with self._lock:
            if self._networks is None or self._networks[0] != key:
                self._networks = None  # free the old ones before reading the new
                nets = load_networks(files.main)
                net: nn.Module
                for net in (nets.audio2exp, nets.audio2pose, nets.face_recon):
                    net.to(device)
                for net in (nets.kp_detector, nets.generator):
                    net.to(device, dtype)
                self._networks = (key, nets)
            mapping_key = (_signature(files.mapping), str(device))
            if mapping_key not in self._mappings:
                self._mappings[mapping_key] = mapping_cpu.to(device) if device.type != "cpu" else mapping_cpu
            if device.type == "cuda":
                torch.backends.cuda.matmul.allow_tf32 = False  # TF32 errors are ~1e-3: visible in the frames
                torch.backends.cudnn.allow_tf32 = False
                torch.backends.cudnn.benchmark = True
            return self._networks[1], self._mappings[mapping_key]

    # -- the engine interface ---------------------------------------------------------------------

    def prepare(self, face: Face, options: TalkOptions, settings: Settings) -> Prepared:
        torch = _import_torch()
        from . import preprocess
        from .animate import Animator
        from .landmarks68 import ibug68

        mode = options.sadtalker_preprocess
        if mode not in SADTALKER_FRAMINGS:
            raise ConfigurationError(f"preprocess must be one of {', '.join(SADTALKER_FRAMINGS)}, got {mode!r}")
        files = self._files(options, settings)
        device = pick_device(settings.sadtalker_device)
        half = settings.sadtalker_half and device.type in ("cuda", "mps")
        dtype = torch.float16 if half else torch.float32
        batch = settings.sadtalker_batch_size
        nets, mapping = self._models(files, device, dtype)
        size = files.size
        lm68 = ibug68(face.landmarks)
        photo_h, photo_w = face.image.shape[:2]
        if mode == "resize":
            box = (0, 0, photo_w, photo_h)
            image, framed = preprocess.resize(face.image, size, size), WHOLE
        else:
            box = preprocess.face_box(lm68)
            image, framed = preprocess.crop_square(face.image, box, size)
        recon_face, crop_params = preprocess.align_for_recon(image, preprocess.to_box(lm68, box, size, size))
        with torch.inference_mode():
            recon = nets.face_recon(torch.from_numpy(recon_face.transpose(2, 0, 1).copy())[None].to(device))
        source = preprocess.coefficients_73(recon.float().cpu().numpy(), crop_params)
        animator = Animator(nets.kp_detector, nets.generator, mapping, image, source, mode == "full", device, dtype)

        if mode == "crop":
            side = options.size or size
            return Prepared(side, side, mode, animator, nets, source, options, device, batch, framed=framed)
        width, height, scale = preprocess.output_size(photo_w, photo_h, options.size, FULL_MAX_SIDE_PX)
        if mode == "resize":
            return Prepared(width, height, mode, animator, nets, source, options, device, batch)
        photo = preprocess.resize(face.image, width, height)
        x0, y0, x1, y1 = (int(round(v * scale)) for v in box)
        alpha = preprocess.feather_mask(y1 - y0, x1 - x0)
        with torch.inference_mode():
            photo_t = torch.from_numpy(photo.transpose(2, 0, 1).astype(np.float32) / 255).to(device)
            alpha_t = torch.from_numpy(alpha)[None, None].to(device)
        # Full mode shows the whole photo: whatever of the square lay past its edge is not pasted back.
        return Prepared(
            width,
            height,
            mode,
            animator,
            nets,
            source,
            options,
            device,
            batch,
            photo_t,
            (x0, y0, x1, y1),
            alpha_t,
            framed=WHOLE,
        )

    def render(self, prepared: Prepared, speech: Speech, motion: MotionTrack) -> Iterator[np.ndarray]:
        from . import animate
        from .audio_frontend import FPS, audio_windows
        from .coefficients import audio_to_coefficients, keyframe_track

        options = prepared.options
        n_out = motion.n_frames
        n_25 = speech.frame_count(FPS)
        windows = audio_windows(speech.audio_16k, n_25)
        coefficients = audio_to_coefficients(
            prepared.networks, windows, prepared.source, options.pose_style, options.seed, prepared.device
        )
        prepared.coefficients = coefficients
        targets = animate.target_coefficients(
            coefficients, prepared.source, prepared.mode == "full", options.still, options.expression_scale
        )
        # Output frame i shows time i / fps: SadTalker frame i * 25 / fps (blended when between two).
        positions = np.minimum(np.arange(n_out) * (FPS / motion.fps), n_25 - 1)
        angles = {
            name: keyframe_track(getattr(options, name), n_out) if getattr(options, name) else None
            for name in ("yaw", "pitch", "roll")
        }
        batch = prepared.batch_size
        for start in range(0, n_out, batch):
            part = slice(start, start + batch)
            picked = {name: None if track is None else track[part] for name, track in angles.items()}
            frames = self._finish(
                prepared, prepared.animator.frames(animate.semantic_windows(targets, positions[part]), **picked)
            )
            yield from frames

    def _finish(self, prepared: Prepared, frames) -> np.ndarray:
        """(B, 3, S, S) frames in [0, 1] on the device -> (B, H, W, 3) uint8 on the CPU, at the output size."""
        torch = _import_torch()
        import torch.nn.functional as F

        def resized(x, height, width):
            if x.shape[2:] == (height, width):
                return x
            shrinking = height < x.shape[2] or width < x.shape[3]
            return F.interpolate(
                x, size=(height, width), mode="bicubic", antialias=shrinking, align_corners=False
            ).clamp_(0, 1)

        with torch.inference_mode():
            if prepared.mode != "full":
                out = resized(frames, prepared.height, prepared.width)
            else:
                assert prepared.photo is not None and prepared.alpha is not None  # full mode has both
                x0, y0, x1, y1 = prepared.box
                face = resized(frames, y1 - y0, x1 - x0)
                out = prepared.photo.expand(len(frames), -1, -1, -1).clone()
                # the part of the face square that lies on the photo
                sx0, sy0 = max(x0, 0), max(y0, 0)
                sx1, sy1 = min(x1, prepared.width), min(y1, prepared.height)
                face = face[:, :, sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
                alpha = prepared.alpha[:, :, sy0 - y0 : sy1 - y0, sx0 - x0 : sx1 - x0]
                region = out[:, :, sy0:sy1, sx0:sx1]
                out[:, :, sy0:sy1, sx0:sx1] = torch.lerp(region, face, alpha)
            out = out.mul_(255).round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1)
            return out.contiguous().cpu().numpy()
