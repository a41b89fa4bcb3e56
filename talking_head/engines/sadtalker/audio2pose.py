"""Audio2Pose: the decoder half of SadTalker's pose CVAE (checkpoint prefix `audio2pose.`).

Given 32 mel windows, a random latent, a style class (0-45) and the first
frame's pose, it predicts 32 frames of head motion (3 angles, 3 translations)
relative to that first frame. The CVAE encoder (`netG.encoder.*`) and the pose
discriminator (`netD_motion.*`) are training-only and not built here.
"""

from __future__ import annotations

import torch
from torch import nn

from .audio_encoder import EMBEDDING, audio_encoder_layers, encode_windows

SEQ_LEN = 32  # frames per decoded chunk
LATENT = 64
NUM_STYLES = 46
AUDIO_OUT = 6  # features per frame after the audio projection
POSE = 6  # 3 angles (radians) + 3 translations


class ResidualConv(nn.Module):
    """Pre-activation residual block (BN-ReLU-conv-BN-ReLU-conv) with a conv-BN shortcut."""

    def __init__(self, cin: int, cout: int, stride=1):
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.BatchNorm2d(cin),
            nn.ReLU(),
            nn.Conv2d(cin, cout, 3, stride, 1),
            nn.BatchNorm2d(cout),
            nn.ReLU(),
            nn.Conv2d(cout, cout, 3, 1, 1),
        )
        self.conv_skip = nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_block(x) + self.conv_skip(x)


class Upsample(nn.Module):
    """x2 along time with a (2, 1) transposed conv (`upsample`)."""

    def __init__(self, channels: int):
        super().__init__()
        self.upsample = nn.ConvTranspose2d(channels, channels, kernel_size=(2, 1), stride=(2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(x)


class ResUnet(nn.Module):
    """A 1 x 32 x 6 (time x pose) map through a 3-level residual U-Net that halves time only."""

    def __init__(self, filters=(32, 64, 128, 256)):
        super().__init__()
        f0, f1, f2, f3 = filters
        self.input_layer = nn.Sequential(
            nn.Conv2d(1, f0, 3, padding=1), nn.BatchNorm2d(f0), nn.ReLU(), nn.Conv2d(f0, f0, 3, padding=1)
        )
        self.input_skip = nn.Sequential(nn.Conv2d(1, f0, 3, padding=1))
        self.residual_conv_1 = ResidualConv(f0, f1, stride=(2, 1))
        self.residual_conv_2 = ResidualConv(f1, f2, stride=(2, 1))
        self.bridge = ResidualConv(f2, f3, stride=(2, 1))
        self.upsample_1 = Upsample(f3)
        self.up_residual_conv1 = ResidualConv(f3 + f2, f2)
        self.upsample_2 = Upsample(f2)
        self.up_residual_conv2 = ResidualConv(f2 + f1, f1)
        self.upsample_3 = Upsample(f1)
        self.up_residual_conv3 = ResidualConv(f1 + f0, f0)
        self.output_layer = nn.Sequential(nn.Conv2d(f0, 1, 1, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = self.input_layer(x) + self.input_skip(x)
        x2 = self.residual_conv_1(x1)
        x3 = self.residual_conv_2(x2)
        x4 = self.bridge(x3)
        x6 = self.up_residual_conv1(torch.cat([self.upsample_1(x4), x3], dim=1))
        x8 = self.up_residual_conv2(torch.cat([self.upsample_2(x6), x2], dim=1))
        x10 = self.up_residual_conv3(torch.cat([self.upsample_3(x8), x1], dim=1))
        return self.output_layer(x10)


class PoseDecoder(nn.Module):
    """[first-frame pose, latent + style bias, projected audio] -> MLP -> ResUnet -> 32 x 6 motion."""

    def __init__(self):
        super().__init__()
        self.resunet = ResUnet()
        self.MLP = nn.Sequential()
        self.MLP.add_module("L0", nn.Linear(POSE + LATENT + SEQ_LEN * AUDIO_OUT, 128))
        self.MLP.add_module("A0", nn.ReLU())
        self.MLP.add_module("L1", nn.Linear(128, SEQ_LEN * AUDIO_OUT))
        self.MLP.add_module("sigmoid", nn.Sigmoid())
        self.pose_linear = nn.Linear(POSE, POSE)
        self.linear_audio = nn.Linear(EMBEDDING, AUDIO_OUT)
        self.classbias = nn.Parameter(torch.empty(NUM_STYLES, LATENT))

    def forward(self, ref_pose: torch.Tensor, z: torch.Tensor, style: int, audio: torch.Tensor) -> torch.Tensor:
        """(1, 6) pose, (1, 64) latent, style index, (1, 32, 512) audio -> (1, 32, 6) motion."""
        audio = self.linear_audio(audio).flatten(1)
        x = self.MLP(torch.cat([ref_pose, z + self.classbias[style], audio], dim=1))
        x = self.resunet(x.view(-1, 1, SEQ_LEN, POSE))
        return self.pose_linear(x[:, 0])


class _AudioEncoder(nn.Module):
    """Under the checkpoint's name `audio_encoder.audio_encoder`."""

    def __init__(self):
        super().__init__()
        self.audio_encoder = audio_encoder_layers()


class _PoseGenerator(nn.Module):
    """The CVAE's decoder, under the checkpoint's name `netG.decoder` (the encoder is training-only)."""

    def __init__(self):
        super().__init__()
        self.decoder = PoseDecoder()


class Audio2Pose(nn.Module):
    def __init__(self):
        super().__init__()
        self.audio_encoder = _AudioEncoder()
        self.netG = _PoseGenerator()

    def forward(self, windows, ref_pose: torch.Tensor, style: int, latents) -> torch.Tensor:
        """T mel windows ((T, 80, 16), or anything whose slices are) and the (6,) first-frame pose -> (T, 6) poses.

        Frame 0 is the reference pose; frames 1..T-1 come in chunks of 32, the
        last chunk taking the final 32 windows and keeping only the new frames.
        `latents` is an iterator of (1, 64) draws, one per chunk.
        """
        total = len(windows)
        num = total - 1
        motion = [ref_pose.new_zeros(1, POSE)]
        ref = ref_pose[None]
        for start in range(1, 1 + num - num % SEQ_LEN, SEQ_LEN):
            audio = encode_windows(self.audio_encoder.audio_encoder, windows[start : start + SEQ_LEN])
            motion.append(self.netG.decoder(ref, next(latents), style, audio[None])[0])
        remainder = num % SEQ_LEN
        if remainder:
            audio = encode_windows(self.audio_encoder.audio_encoder, windows[max(1, total - SEQ_LEN) : total])
            if audio.shape[0] < SEQ_LEN:  # fewer than 32 frames in all: repeat the first at the front
                audio = torch.cat([audio[:1].expand(SEQ_LEN - audio.shape[0], -1), audio])
            motion.append(self.netG.decoder(ref, next(latents), style, audio[None])[0, -remainder:])
        return ref_pose + torch.cat(motion)
