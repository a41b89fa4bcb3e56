"""DenseMotionNetwork: sparse keypoint motions -> one dense 3D warp field and an occlusion map.

Checkpoint prefix `generator.dense_motion_network.`. The source-only half
(the compressed feature volume, the source heatmaps) is computed once per
photo by `SourceMotion`; each frame then costs one hourglass pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DownBlock3d, UpBlock3d, coordinate_grid

NUM_KP = 15
COMPRESS = 4  # channels of the feature volume the hourglass sees per keypoint
KP_VARIANCE = 0.01  # of the Gaussian keypoint heatmaps, in grid units squared
MASK_FLOOR = 1e-3  # mask weights below this do not contribute to the warp


class _HourglassEncoder(nn.Module):
    """The down path, under the checkpoint's names (`encoder.down_blocks.N`)."""

    def __init__(self, blocks: Iterable[nn.Module]):
        super().__init__()
        self.down_blocks = nn.ModuleList(blocks)


class _HourglassDecoder(nn.Module):
    """The up path and the closing conv-BN, under the checkpoint's names (`decoder.up_blocks.N`, ...)."""

    def __init__(self, blocks: Iterable[nn.Module], channels: int):
        super().__init__()
        self.up_blocks = nn.ModuleList(blocks)
        self.conv = nn.Conv3d(channels, channels, kernel_size=3, padding=1)
        self.norm = nn.BatchNorm3d(channels)


class Hourglass3d(nn.Module):
    """3D U-Net: five (conv, BN, ReLU, pool) levels down, five up with skips, then conv-BN-ReLU.

    Channels: 80 in -> 64, 128, 256, 512, 1024 -> back up -> 32 + 80 = 112 out.
    """

    def __init__(
        self,
        in_channels: int = (NUM_KP + 1) * (COMPRESS + 1),
        expansion: int = 32,
        levels: int = 5,
        max_channels: int = 1024,
    ):
        super().__init__()
        widths = [min(max_channels, expansion * 2 ** (i + 1)) for i in range(levels)]
        self.encoder = _HourglassEncoder(
            DownBlock3d(in_channels if i == 0 else widths[i - 1], widths[i]) for i in range(levels)
        )
        ups = []
        for i in reversed(range(levels)):
            in_ch = widths[i] * (1 if i == levels - 1 else 2)
            ups.append(UpBlock3d(in_ch, min(max_channels, expansion * 2**i)))
        self.out_channels = expansion + in_channels
        self.decoder = _HourglassDecoder(ups, self.out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [x]
        for block in self.encoder.down_blocks:
            skips.append(block(skips[-1]))
        out = skips.pop()
        for block in self.decoder.up_blocks:
            out = torch.cat([block(out), skips.pop()], dim=1)
        return F.relu(self.decoder.norm(self.decoder.conv(out)))


@dataclass
class SourceMotion:
    """What the dense-motion network needs from the source, computed once per photo."""

    feature: torch.Tensor  # (1, 4, D, H, W) compressed feature volume
    kp_source: torch.Tensor  # (1, 15, 3)
    grid: torch.Tensor  # (D, H, W, 3) identity grid
    heat_source: torch.Tensor  # (1, 15, D, H, W) Gaussian heatmaps of the source keypoints


def keypoint_heatmaps(kp: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """(B, K, 3) keypoints on a (D, H, W, 3) grid -> (B, K, D, H, W) Gaussians of variance 0.01."""
    squared = ((grid[None, None] - kp[:, :, None, None, None, :]) ** 2).sum(-1)
    return torch.exp(-0.5 * squared / KP_VARIANCE)


class DenseMotionNetwork(nn.Module):
    def __init__(self, feature_channels: int = 32, depth: int = 16):
        super().__init__()
        self.hourglass = Hourglass3d()
        self.mask = nn.Conv3d(self.hourglass.out_channels, NUM_KP + 1, kernel_size=7, padding=3)
        self.compress = nn.Conv3d(feature_channels, COMPRESS, kernel_size=1)
        self.norm = nn.BatchNorm3d(COMPRESS)
        self.occlusion = nn.Conv2d(self.hourglass.out_channels * depth, 1, kernel_size=7, padding=3)

    def prepare_source(self, feature_3d: torch.Tensor, kp_source: torch.Tensor) -> SourceMotion:
        feature = F.relu(self.norm(self.compress(feature_3d)))
        d, h, w = feature.shape[2:]
        grid = coordinate_grid(d, h, w, feature)
        return SourceMotion(feature, kp_source, grid, keypoint_heatmaps(kp_source, grid))

    def forward(self, source: SourceMotion, kp_driving: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per frame: `deformation` (B, D, H, W, 3), `mask` (B, 16, D, H, W), `occlusion_map` (B, 1, H, W)."""
        b = kp_driving.shape[0]
        feature, grid = source.feature, source.grid
        c, (d, h, w) = feature.shape[1], feature.shape[2:]
        # Sparse motion k maps a driving-frame point to the source: shift by kp_source_k - kp_driving_k.
        # Motion 0 (background) is the identity.
        shift = (source.kp_source - kp_driving).view(b, NUM_KP, 1, 1, 1, 3)
        motions = torch.cat([grid.expand(b, 1, d, h, w, 3), grid + shift], dim=1)  # (B, 16, D, H, W, 3)
        # One grid_sample for all frames and keypoints: stack the 16 sampling grids along depth.
        warped = F.grid_sample(feature, motions.reshape(1, b * (NUM_KP + 1) * d, h, w, 3), align_corners=False)
        warped = warped.view(c, b, NUM_KP + 1, d, h, w).permute(1, 2, 0, 3, 4, 5)
        heat = keypoint_heatmaps(kp_driving, grid) - source.heat_source
        heat = torch.cat([heat.new_zeros(b, 1, d, h, w), heat], dim=1)
        hourglass_in = torch.cat([heat[:, :, None], warped], dim=2).reshape(b, -1, d, h, w)
        prediction = self.hourglass(hourglass_in)

        mask = F.softmax(self.mask(prediction), dim=1)
        kept = torch.where(mask < MASK_FLOOR, torch.zeros_like(mask), mask)
        deformation = torch.einsum("bkdhwc,bkdhw->bdhwc", motions, kept)
        occlusion = torch.sigmoid(self.occlusion(prediction.reshape(b, -1, h, w)))
        return {"deformation": deformation, "mask": mask, "occlusion_map": occlusion}
