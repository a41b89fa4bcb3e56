"""MappingNet: a 27-frame window of 3DMM coefficients -> head pose bins, translation, keypoint offsets.

Two checkpoints share the layout: `mapping_00229` reads 70 coefficients
(crop / resize framing), `mapping_00109` reads 73 (full framing: the 70 plus
the three crop parameters of the source).
"""

from __future__ import annotations

import torch
from torch import nn

DESCRIPTOR = 1024
NUM_BINS = 66  # head-pose bins of 3 degrees
NUM_KP = 15
WINDOW = 27  # frames per input window
DILATION = 3


class MappingNet(nn.Module):
    def __init__(self, coeff_nc: int = 70):
        super().__init__()
        self.coeff_nc = coeff_nc
        self.first = nn.Sequential(nn.Conv1d(coeff_nc, DESCRIPTOR, kernel_size=7))
        for i in range(3):
            # index 0 of each Sequential is the (weightless) LeakyReLU, so the conv is `.1`
            conv = nn.Conv1d(DESCRIPTOR, DESCRIPTOR, kernel_size=3, dilation=DILATION)
            setattr(self, f"encoder{i}", nn.Sequential(nn.LeakyReLU(0.1), conv))
        self.fc_roll = nn.Linear(DESCRIPTOR, NUM_BINS)
        self.fc_pitch = nn.Linear(DESCRIPTOR, NUM_BINS)
        self.fc_yaw = nn.Linear(DESCRIPTOR, NUM_BINS)
        self.fc_t = nn.Linear(DESCRIPTOR, 3)
        self.fc_exp = nn.Linear(DESCRIPTOR, 3 * NUM_KP)

    def forward(self, window: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, coeff_nc, 27) -> yaw/pitch/roll logits (B, 66), t (B, 3), exp (B, 45)."""
        out = self.first(window)
        for i in range(3):
            out = getattr(self, f"encoder{i}")(out) + out[:, :, DILATION:-DILATION]
        out = out.mean(dim=2)
        return {
            "yaw": self.fc_yaw(out),
            "pitch": self.fc_pitch(out),
            "roll": self.fc_roll(out),
            "t": self.fc_t(out),
            "exp": self.fc_exp(out),
        }
