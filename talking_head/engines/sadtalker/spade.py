"""SPADE decoder: the warped 256 x 64 x 64 feature map -> the RGB frame (checkpoint prefix `generator.decoder.`).

Its convolutions are spectrally normalised; the checkpoint stores
`weight_orig`, `weight_u` and `weight_v`, and in eval the effective kernel is
weight_orig / (u . W v) with the stored u and v (no power iteration).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HIDDEN = 128  # channels of SPADE's shared modulation layer
SEG_CHANNELS = 256


class SpectralConv2d(nn.Module):
    """A conv whose kernel is weight_orig divided by its stored spectral-norm estimate."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.register_buffer("weight_u", torch.empty(out_channels))
        self.register_buffer("weight_v", torch.empty(in_channels * kernel_size * kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.padding = kernel_size // 2

    def kernel(self) -> torch.Tensor:
        sigma = torch.dot(self.weight_u, self.weight_orig.flatten(1) @ self.weight_v)
        return self.weight_orig / sigma

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.kernel(), self.bias, padding=self.padding)


class SPADE(nn.Module):
    """InstanceNorm(x) * (1 + gamma(seg)) + beta(seg), seg resized (nearest) to x."""

    def __init__(self, channels: int):
        super().__init__()
        self.mlp_shared = nn.Sequential(nn.Conv2d(SEG_CHANNELS, HIDDEN, kernel_size=3, padding=1))
        self.mlp_gamma = nn.Conv2d(HIDDEN, channels, kernel_size=3, padding=1)
        self.mlp_beta = nn.Conv2d(HIDDEN, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        seg = F.interpolate(seg, size=x.shape[2:], mode="nearest")
        hidden = F.relu(self.mlp_shared(seg))
        return F.instance_norm(x) * (1 + self.mlp_gamma(hidden)) + self.mlp_beta(hidden)


class SPADEResBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        middle = min(in_channels, out_channels)
        self.learned_shortcut = in_channels != out_channels
        self.conv_0 = SpectralConv2d(in_channels, middle, 3)
        self.conv_1 = SpectralConv2d(middle, out_channels, 3)
        self.norm_0 = SPADE(in_channels)
        self.norm_1 = SPADE(middle)
        if self.learned_shortcut:
            self.conv_s = SpectralConv2d(in_channels, out_channels, 1, bias=False)
            self.norm_s = SPADE(in_channels)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        shortcut = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return shortcut + dx


class SPADEDecoder(nn.Module):
    """conv 256->512, six SPADE blocks at 512, x2 -> 256 channels, x2 -> 64, conv -> RGB, sigmoid."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Conv2d(256, 512, kernel_size=3, padding=1)
        for i in range(6):
            setattr(self, f"G_middle_{i}", SPADEResBlock(512, 512))
        self.up_0 = SPADEResBlock(512, 256)
        self.up_1 = SPADEResBlock(256, 64)
        self.conv_img = nn.Conv2d(64, 3, kernel_size=3, padding=1)

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        x = self.fc(feature)
        for i in range(6):
            x = getattr(self, f"G_middle_{i}")(x, feature)
        x = self.up_0(F.interpolate(x, scale_factor=2), feature)
        x = self.up_1(F.interpolate(x, scale_factor=2), feature)
        return torch.sigmoid(self.conv_img(F.leaky_relu(x, 0.2)))
