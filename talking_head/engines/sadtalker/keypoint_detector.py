"""KPDetector: 15 canonical 3D keypoints of the source face (checkpoint prefix `kp_extractor.`)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DownBlock2d, UpBlock3d, coordinate_grid

NUM_KP = 15
TEMPERATURE = 0.1  # softmax temperature of the heatmaps
DOWNSCALE = 4  # the detector sees the image at a quarter of its side
AA_KERNEL = 13  # taps of the anti-aliasing Gaussian (sigma 1.5) per axis


class AntiAliasDownsample(nn.Module):
    """Gaussian blur, then every 4th pixel. `weight` is the stored (3, 1, 13, 13) kernel."""

    weight: torch.Tensor  # a buffer, registered below

    def __init__(self, channels: int = 3):
        super().__init__()
        self.register_buffer("weight", torch.zeros(channels, 1, AA_KERNEL, AA_KERNEL))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pad = AA_KERNEL // 2
        x = F.conv2d(F.pad(x, (pad, pad, pad, pad)), self.weight, groups=x.shape[1])
        return x[:, :, ::DOWNSCALE, ::DOWNSCALE]


class KPHourglass(nn.Module):
    """2D encoder (64..1024 channels), lifted to 3D (1024 x depth 16), 3D decoder down to 32 channels."""

    def __init__(self, depth: int = 16):
        super().__init__()
        widths = [3, 64, 128, 256, 512, 1024]
        self.down_blocks = nn.Sequential()
        for i in range(5):
            self.down_blocks.add_module(f"down{i}", DownBlock2d(widths[i], widths[i + 1]))
        self.conv = nn.Conv2d(1024, 1024 * depth, kernel_size=1)
        up_widths = [1024, 512, 256, 128, 64, 32]
        self.up_blocks = nn.Sequential()
        for i in range(5):
            self.up_blocks.add_module(f"up{i}", UpBlock3d(up_widths[i], up_widths[i + 1]))
        self.depth = depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(self.down_blocks(x))
        b, c, h, w = x.shape
        return self.up_blocks(x.view(b, c // self.depth, self.depth, h, w))


class KeypointDetector(nn.Module):
    def __init__(self):
        super().__init__()
        self.predictor = KPHourglass()
        self.kp = nn.Conv3d(32, NUM_KP, kernel_size=3, padding=1)
        self.down = AntiAliasDownsample()

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) RGB in [0, 1] -> (B, 15, 3) keypoints (x, y, z) in [-1, 1]."""
        logits = self.kp(self.predictor(self.down(image)))
        b, k, d, h, w = logits.shape
        heatmap = F.softmax(logits.view(b, k, -1) / TEMPERATURE, dim=2)
        grid = coordinate_grid(d, h, w, logits).view(-1, 3)
        return heatmap @ grid
