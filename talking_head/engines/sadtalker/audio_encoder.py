"""The Wav2Lip-style audio encoder both audio networks use: an (80 x 16) mel window -> 512 features."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MEL_BINS = 80
MEL_STEPS = 16  # mel frames per video frame window (0.2 s)
EMBEDDING = 512


class ConvBlock(nn.Module):
    """conv -> BN (`conv_block.0`, `conv_block.1`), plus the input when `residual`, -> ReLU."""

    def __init__(self, cin: int, cout: int, stride=1, padding: int = 1, kernel_size: int = 3, residual: bool = False):
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel_size, stride, padding), nn.BatchNorm2d(cout))
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        return F.relu(out + x if self.residual else out)


def audio_encoder_layers() -> nn.Sequential:
    """13 blocks: 80 x 16 -> 27 x 16 -> 9 x 6 -> 3 x 3 -> 1 x 1, 32 -> 512 channels."""
    return nn.Sequential(
        ConvBlock(1, 32),
        ConvBlock(32, 32, residual=True),
        ConvBlock(32, 32, residual=True),
        ConvBlock(32, 64, stride=(3, 1)),
        ConvBlock(64, 64, residual=True),
        ConvBlock(64, 64, residual=True),
        ConvBlock(64, 128, stride=3),
        ConvBlock(128, 128, residual=True),
        ConvBlock(128, 128, residual=True),
        ConvBlock(128, 256, stride=(3, 2)),
        ConvBlock(256, 256, residual=True),
        ConvBlock(256, 512, padding=0),
        ConvBlock(512, 512, kernel_size=1, padding=0),
    )


def encode_windows(layers: nn.Sequential, windows: torch.Tensor) -> torch.Tensor:
    """(N, 80, 16) mel windows -> (N, 512)."""
    return layers(windows[:, None]).flatten(1)
