"""OcclusionAwareSPADEGenerator: source image + source/driving keypoints -> the driven frame.

Checkpoint prefix `generator.`. The work splits in two: `encode_source` (the
image's 3D feature volume and what dense motion needs from it, once per
photo) and `render` (per frame: dense motion, warp, SPADE decoder).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import DownBlock2d, ResBlock3d, SameBlock2d
from .dense_motion import DenseMotionNetwork, SourceMotion
from .spade import SPADEDecoder

FEATURE_CHANNELS = 32
DEPTH = 16  # the 512-channel 2D feature map is viewed as 32 channels x depth 16


@dataclass
class EncodedSource:
    feature_3d: torch.Tensor  # (1, 32, 16, S/4, S/4)
    motion: SourceMotion


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense_motion_network = DenseMotionNetwork(FEATURE_CHANNELS, DEPTH)
        self.first = SameBlock2d(3, 64)
        self.down_blocks = nn.ModuleList([DownBlock2d(64, 128), DownBlock2d(128, 256)])
        self.second = nn.Conv2d(256, FEATURE_CHANNELS * DEPTH, kernel_size=1)
        self.resblocks_3d = nn.Sequential()
        for i in range(6):
            self.resblocks_3d.add_module(f"3dr{i}", ResBlock3d(FEATURE_CHANNELS))
        self.third = SameBlock2d(FEATURE_CHANNELS * DEPTH, 256, leaky=True)
        self.fourth = nn.Conv2d(256, 256, kernel_size=1)
        self.decoder = SPADEDecoder()

    def prepare(self) -> None:
        """Derive the fast decoder's weights; call once after loading."""
        self.decoder.prepare()

    def encode_source(self, image: torch.Tensor, kp_source: torch.Tensor) -> EncodedSource:
        """(1, 3, S, S) image in [0, 1] and its (1, 15, 3) keypoints -> the per-photo state."""
        x = self.first(image)
        for block in self.down_blocks:
            x = block(x)
        x = self.second(x)
        b, c, h, w = x.shape
        feature_3d = self.resblocks_3d(x.view(b, FEATURE_CHANNELS, DEPTH, h, w))
        return EncodedSource(feature_3d, self.dense_motion_network.prepare_source(feature_3d, kp_source))

    def render(self, source: EncodedSource, kp_driving: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 15, 3) driving keypoints -> `prediction` (B, 3, S, S) in [0, 1], `mask`, `occlusion_map`."""
        motion = self.dense_motion_network(source.motion, kp_driving)
        b = kp_driving.shape[0]
        feature = source.feature_3d
        c, d, h, w = feature.shape[1:]
        # One grid_sample for the whole batch: stack the frames' warp fields along depth.
        grid = motion["deformation"].reshape(1, b * d, h, w, 3)
        warped = F.grid_sample(feature, grid, align_corners=False)  # (1, C, B*D, H, W)
        warped = warped.view(c, b, d, h, w).transpose(0, 1).reshape(b, c * d, h, w)
        x = self.fourth(self.third(warped)) * motion["occlusion_map"]
        return {"prediction": self.decoder(x), "mask": motion["mask"], "occlusion_map": motion["occlusion_map"]}

    def forward(self, image: torch.Tensor, kp_source: torch.Tensor, kp_driving: torch.Tensor) -> dict:
        return self.render(self.encode_source(image, kp_source), kp_driving)
