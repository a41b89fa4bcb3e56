"""Deep3DFaceRecon's coefficient regressor: a 224 x 224 aligned face -> 257 3DMM coefficients.

Checkpoint prefix `face_3drecon.`: a torchvision-layout ResNet-50 without its
classifier (`backbone.*`) and seven 1x1 convolutions on the pooled feature
(`final_layers.0..6`). The input is RGB in [0, 1], without mean/std normalisation.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INPUT_PX = 224
# (name, size) of the seven heads, in output order
HEADS = (("id", 80), ("exp", 64), ("tex", 80), ("angle", 3), ("gamma", 27), ("trans_xy", 2), ("trans_z", 1))
COEFFICIENTS = sum(size for _, size in HEADS)  # 257


class Bottleneck(nn.Module):
    """1x1 -> 3x3 (stride here) -> 1x1 x4, each with BN; projection shortcut when the shape changes."""

    def __init__(self, cin: int, width: int, stride: int = 1):
        super().__init__()
        cout = width * 4
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet50(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        cin = 64
        layers = []
        for width, blocks, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
            layer = []
            for i in range(blocks):
                layer.append(Bottleneck(cin, width, stride if i == 0 else 1))
                cin = width * 4
            layers.append(nn.Sequential(*layer))
        self.layer1, self.layer2, self.layer3, self.layer4 = layers

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return x.mean(dim=(2, 3), keepdim=True)


class FaceRecon(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = ResNet50()
        self.final_layers = nn.ModuleList(nn.Conv2d(2048, size, 1) for _, size in HEADS)

    def forward(self, face: torch.Tensor) -> torch.Tensor:
        """(B, 3, 224, 224) -> (B, 257):
        id 0:80, exp 80:144, tex 144:224, angle 224:227, gamma 227:254, trans 254:257.
        """
        pooled = self.backbone(face)
        return torch.cat([head(pooled) for head in self.final_layers], dim=1).flatten(1)
