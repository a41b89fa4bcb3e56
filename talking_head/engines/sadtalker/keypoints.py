"""Head pose and expression -> moved keypoints: the step between MappingNet and the generator."""

from __future__ import annotations

import torch
import torch.nn.functional as F

NUM_BINS = 66
DEGREES_PER_BIN = 3
LOWEST_DEGREE = -99
PI_AS_TRAINED = 3.14  # the networks were trained with 3.14 for pi in degrees -> radians


def bins_to_degrees(logits: torch.Tensor) -> torch.Tensor:
    """(B, 66) pose-bin logits -> (B,) degrees: the softmax expectation of the bin index."""
    bins = torch.arange(NUM_BINS, dtype=logits.dtype, device=logits.device)
    return (F.softmax(logits, dim=1) * bins).sum(dim=1) * DEGREES_PER_BIN + LOWEST_DEGREE


def rotation_matrix(yaw: torch.Tensor, pitch: torch.Tensor, roll: torch.Tensor) -> torch.Tensor:
    """(B,) degrees each -> (B, 3, 3) = pitch (about x) @ yaw (about y) @ roll (about z)."""
    yaw, pitch, roll = (a / 180 * PI_AS_TRAINED for a in (yaw, pitch, roll))
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)

    def matrix(*rows):
        return torch.stack([torch.stack(row, dim=-1) for row in rows], dim=-2)

    pitch_m = matrix((one, zero, zero), (zero, pitch.cos(), -pitch.sin()), (zero, pitch.sin(), pitch.cos()))
    yaw_m = matrix((yaw.cos(), zero, yaw.sin()), (zero, one, zero), (-yaw.sin(), zero, yaw.cos()))
    roll_m = matrix((roll.cos(), -roll.sin(), zero), (roll.sin(), roll.cos(), zero), (zero, zero, one))
    return pitch_m @ yaw_m @ roll_m


def transform_keypoints(
    kp_canonical: torch.Tensor,
    pose: dict[str, torch.Tensor],
    yaw: torch.Tensor | None = None,
    pitch: torch.Tensor | None = None,
    roll: torch.Tensor | None = None,
) -> torch.Tensor:
    """Rotate the (B, 15, 3) canonical keypoints, lift them by t_y, add the expression offsets.

    `pose` is MappingNet's output; `yaw`/`pitch`/`roll` (degrees, (B,)) replace
    the predicted angles when given. Only the vertical translation is used: the
    networks were trained with t_x and t_z zeroed. `pose` is not modified.
    """
    yaw = bins_to_degrees(pose["yaw"]) if yaw is None else yaw
    pitch = bins_to_degrees(pose["pitch"]) if pitch is None else pitch
    roll = bins_to_degrees(pose["roll"]) if roll is None else roll
    rotation = rotation_matrix(yaw, pitch, roll)
    rotated = kp_canonical @ rotation.transpose(1, 2)
    lift = torch.zeros_like(pose["t"])
    lift[:, 1] = pose["t"][:, 1]
    return rotated + lift[:, None, :] + pose["exp"].view(pose["exp"].shape[0], -1, 3)
