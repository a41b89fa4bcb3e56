"""Audio2Exp: per video frame, a mel window + the source expression + a blink ratio -> 64 expression coefficients.

Checkpoint prefix `audio2exp.`. Frames are independent of each other.
"""

from __future__ import annotations

import torch
from torch import nn

from .audio_encoder import EMBEDDING, audio_encoder_layers, encode_windows

EXPRESSION = 64
CHUNK_FRAMES = 10  # frames per forward pass, as trained and as the fixtures were made


class Audio2Exp(nn.Module):
    def __init__(self):
        super().__init__()
        self.audio_encoder = audio_encoder_layers()
        self.mapping1 = nn.Linear(EMBEDDING + EXPRESSION + 1, EXPRESSION)

    def forward(self, windows, ref_expression: torch.Tensor, blink: torch.Tensor) -> torch.Tensor:
        """(T, 80, 16) windows (or anything whose slices are), (T, 64) source expression, (T, 1) blink ratio
        -> (T, 64)."""
        chunks = []
        for start in range(0, len(windows), CHUNK_FRAMES):
            part = slice(start, start + CHUNK_FRAMES)
            audio = encode_windows(self.audio_encoder, windows[part])
            chunks.append(self.mapping1(torch.cat([audio, ref_expression[part], blink[part]], dim=1)))
        return torch.cat(chunks)
