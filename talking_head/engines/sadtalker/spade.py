"""SPADE decoder: the warped 256 x 64 x 64 feature map -> the RGB frame (checkpoint prefix `generator.decoder.`).

Its convolutions are spectrally normalised; the checkpoint stores
`weight_orig`, `weight_u` and `weight_v`, and in eval the effective kernel is
weight_orig / (u . W v) with the stored u and v (no power iteration).

Most of a frame's arithmetic is here, so `prepare()` (run once after
loading) rearranges the weights for a faster forward that computes the same
function: channels-last tensors; every SPADE's first conv of one resolution
in a single convolution (they all read the same segmentation map); gamma and
beta in one conv with the "+1" folded into gamma's bias; the instance norm of
a block's input computed once for its two SPADEs; and, where the segmentation
map is a nearest-upsampled copy, the 3x3 conv evaluated on the small map per
output phase with the taps that land on the same source pixel summed
(4x fewer multiplies at x4, 2.25x at x2). `plain=True` keeps the
straightforward forward (a baseline for benchmarks and a cross-check).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HIDDEN = 128  # channels of SPADE's shared modulation layer
SEG_CHANNELS = 256
EPS = 1e-5  # of the instance norm
CL = torch.channels_last


def _weight_and_bias(conv: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """The weight and bias of a conv (every conv SPADE shares has a bias)."""
    assert isinstance(conv, nn.Conv2d) and conv.bias is not None
    return conv.weight, conv.bias


class SpectralConv2d(nn.Module):
    """A conv whose kernel is weight_orig divided by its stored spectral-norm estimate."""

    weight_u: torch.Tensor  # buffers, registered below
    weight_v: torch.Tensor
    kernel: torch.Tensor | None

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.empty(out_channels, in_channels, kernel_size, kernel_size))
        self.register_buffer("weight_u", torch.empty(out_channels))
        self.register_buffer("weight_v", torch.empty(in_channels * kernel_size * kernel_size))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.padding = kernel_size // 2
        self.register_buffer("kernel", None, persistent=False)

    def spectral_kernel(self) -> torch.Tensor:
        sigma = torch.dot(self.weight_u, self.weight_orig.flatten(1) @ self.weight_v)
        return self.weight_orig / sigma

    def prepare(self) -> None:
        self.kernel = self.spectral_kernel().contiguous(memory_format=CL)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        kernel = self.spectral_kernel() if self.kernel is None else self.kernel
        return F.conv2d(x, kernel, self.bias, padding=self.padding)


class SPADE(nn.Module):
    """InstanceNorm(x) * (1 + gamma(seg)) + beta(seg), seg resized (nearest) to x."""

    gamma_beta_weight: torch.Tensor  # buffers, registered by `prepare`
    gamma_beta_bias: torch.Tensor

    def __init__(self, channels: int):
        super().__init__()
        self.mlp_shared = nn.Sequential(nn.Conv2d(SEG_CHANNELS, HIDDEN, kernel_size=3, padding=1))
        self.mlp_gamma = nn.Conv2d(HIDDEN, channels, kernel_size=3, padding=1)
        self.mlp_beta = nn.Conv2d(HIDDEN, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        seg = F.interpolate(seg, size=x.shape[2:], mode="nearest")
        hidden = F.relu(self.mlp_shared(seg))
        return F.instance_norm(x) * (1 + self.mlp_gamma(hidden)) + self.mlp_beta(hidden)

    def prepare(self) -> None:
        (gamma_weight, gamma_bias), (beta_weight, beta_bias) = map(_weight_and_bias, (self.mlp_gamma, self.mlp_beta))
        weight = torch.cat([gamma_weight, beta_weight])
        bias = torch.cat([gamma_bias + 1, beta_bias])
        self.register_buffer("gamma_beta_weight", weight.contiguous(memory_format=CL), persistent=False)
        self.register_buffer("gamma_beta_bias", bias, persistent=False)

    def modulate(self, normalized: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """normalized * (1 + gamma) + beta, from this SPADE's slice of the shared hidden map."""
        gamma_beta = F.conv2d(hidden, self.gamma_beta_weight, self.gamma_beta_bias, padding=1)
        channels = normalized.shape[1]
        return torch.addcmul(gamma_beta[:, channels:], normalized, gamma_beta[:, :channels])


def instance_norm(x: torch.Tensor) -> torch.Tensor:
    """Per-sample, per-channel normalisation over H and W, for channels-last tensors.

    Two passes (mean, then the mean square of the centred values) with torch's
    plain reductions over the pixel axis: on the CPU several times faster than
    `var_mean` over that strided axis, and as accurate (a row-of-ones matrix
    product would be faster still, but sums 262144 pixels to only ~1e-4).
    """
    if x.dtype != torch.float32:  # half precision (GPU): squares could overflow, work in float32
        return instance_norm(x.float()).to(x.dtype)
    b, c, h, w = x.shape
    pixels = x.permute(0, 2, 3, 1).reshape(b, h * w, c)  # a view when x is channels-last
    centered = pixels - pixels.mean(dim=1, keepdim=True)
    var = (centered * centered).mean(dim=1, keepdim=True)
    return centered.mul_(torch.rsqrt(var + EPS)).view(b, h, w, c).permute(0, 3, 1, 2)


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

    def spades(self) -> list[SPADE]:
        """The SPADEs in the order their hidden maps are stacked by the fast forward."""
        return [self.norm_0, self.norm_1] + ([self.norm_s] if self.learned_shortcut else [])

    def forward(self, x: torch.Tensor, seg: torch.Tensor) -> torch.Tensor:
        shortcut = self.conv_s(self.norm_s(x, seg)) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu(self.norm_0(x, seg), 0.2))
        dx = self.conv_1(F.leaky_relu(self.norm_1(dx, seg), 0.2))
        return shortcut + dx

    def forward_prepared(self, x: torch.Tensor, hidden: torch.Tensor) -> torch.Tensor:
        """`hidden`: the ReLU'd shared maps of `spades()`, stacked along channels."""
        normalized = instance_norm(x)
        part = [hidden[:, i * HIDDEN : (i + 1) * HIDDEN] for i in range(len(self.spades()))]
        shortcut = self.conv_s(self.norm_s.modulate(normalized, part[2])) if self.learned_shortcut else x
        dx = self.conv_0(F.leaky_relu_(self.norm_0.modulate(normalized, part[0]), 0.2))
        dx = self.conv_1(F.leaky_relu_(self.norm_1.modulate(instance_norm(dx), part[1]), 0.2))
        return dx.add_(shortcut)


def _phase_taps(scale: int) -> list[dict[int, list[int]]]:
    """Per output phase p (0..scale-1): source offset -> the 3x3 kernel taps (0..2) that read it.

    After a nearest x`scale` upsample, output row scale*i + p reads upsampled
    rows scale*i + p + dy (dy = -1, 0, 1), which are source row i + (p + dy) // scale.
    """
    phases = []
    for p in range(scale):
        taps: dict[int, list[int]] = {}
        for dy in (-1, 0, 1):
            taps.setdefault((p + dy) // scale, []).append(dy + 1)
        phases.append(taps)
    return phases


class UpsampledConv3x3(nn.Module):
    """conv3x3(nearest_upsample(x, scale)) computed on x itself, phase by phase."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor, scale: int):
        super().__init__()
        self.scale = scale
        self.out_channels = weight.shape[0]
        phases = _phase_taps(scale)
        groups: dict[tuple, list[tuple[int, int]]] = {}
        for py, row_taps in enumerate(phases):
            for px, col_taps in enumerate(phases):
                groups.setdefault((tuple(row_taps), tuple(col_taps)), []).append((py, px))
        self.groups = []
        for i, ((row_offsets, col_offsets), members) in enumerate(groups.items()):
            kernels = []
            for py, px in members:
                rows, cols = phases[py], phases[px]
                kernel = torch.stack(
                    [
                        torch.stack(
                            [weight[:, :, rows[r]][:, :, :, cols[c]].sum(dim=(2, 3)) for c in col_offsets], dim=-1
                        )
                        for r in row_offsets
                    ],
                    dim=-2,
                )
                kernels.append(kernel)
            self.register_buffer(f"kernel{i}", torch.cat(kernels).contiguous(memory_format=CL), persistent=False)
            self.register_buffer(f"bias{i}", bias.repeat(len(members)), persistent=False)
            self.groups.append((row_offsets[0], col_offsets[0], members))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        s, out_ch = self.scale, self.out_channels
        padded = F.pad(x, (1, 1, 1, 1))
        out = torch.empty(b, out_ch, h * s, w * s, dtype=x.dtype, device=x.device, memory_format=CL)
        phases_view = out.permute(0, 2, 3, 1).view(b, h, s, w, s, out_ch)
        for i, (row0, col0, members) in enumerate(self.groups):
            kernel = getattr(self, f"kernel{i}")
            kh, kw = kernel.shape[2:]
            window = padded[:, :, 1 + row0 : 1 + row0 + h + kh - 1, 1 + col0 : 1 + col0 + w + kw - 1]
            part = F.conv2d(window, kernel, getattr(self, f"bias{i}"))
            part = part.permute(0, 2, 3, 1).reshape(b, h, w, len(members), out_ch)
            for j, (py, px) in enumerate(members):
                phases_view[:, :, py, :, px, :] = part[:, :, :, j]
        return out


class SPADEDecoder(nn.Module):
    """conv 256->512, six SPADE blocks at 512, x2 -> 256 channels, x2 -> 64, conv -> RGB, sigmoid."""

    middle_shared_weight: torch.Tensor  # buffers, registered by `prepare`
    middle_shared_bias: torch.Tensor

    def __init__(self):
        super().__init__()
        self.fc = nn.Conv2d(256, 512, kernel_size=3, padding=1)
        for i in range(6):
            setattr(self, f"G_middle_{i}", SPADEResBlock(512, 512))
        self.up_0 = SPADEResBlock(512, 256)
        self.up_1 = SPADEResBlock(256, 64)
        self.conv_img = nn.Conv2d(64, 3, kernel_size=3, padding=1)
        self.prepared = False
        self.plain = False

    def middle_blocks(self) -> list[SPADEResBlock]:
        return [getattr(self, f"G_middle_{i}") for i in range(6)]

    def prepare(self) -> None:
        """Derive the fast forward's weights from the loaded ones (call after loading, before `.to()`)."""

        def shared(blocks: list[SPADEResBlock]) -> tuple[torch.Tensor, torch.Tensor]:
            weights, biases = zip(
                *(_weight_and_bias(spade.mlp_shared[0]) for block in blocks for spade in block.spades())
            )
            return torch.cat(weights), torch.cat(biases)

        for module in self.modules():
            if isinstance(module, (SpectralConv2d, SPADE)):
                module.prepare()
        weight, bias = shared(self.middle_blocks())
        self.register_buffer("middle_shared_weight", weight.contiguous(memory_format=CL), persistent=False)
        self.register_buffer("middle_shared_bias", bias, persistent=False)
        self.up_0_shared = UpsampledConv3x3(*shared([self.up_0]), scale=2)
        self.up_1_shared = UpsampledConv3x3(*shared([self.up_1]), scale=4)
        for conv in (self.fc, self.conv_img):
            conv.weight.data = conv.weight.data.contiguous(memory_format=CL)
        self.prepared = True

    def forward(self, feature: torch.Tensor) -> torch.Tensor:
        if self.plain or not self.prepared:
            return self.forward_plain(feature)
        seg = feature.contiguous(memory_format=CL)
        x = self.fc(seg)
        hidden = F.relu_(F.conv2d(seg, self.middle_shared_weight, self.middle_shared_bias, padding=1))
        per_block = 2 * HIDDEN
        for i, block in enumerate(self.middle_blocks()):
            x = block.forward_prepared(x, hidden[:, i * per_block : (i + 1) * per_block])
        x = F.interpolate(x, scale_factor=2)
        x = self.up_0.forward_prepared(x, F.relu_(self.up_0_shared(seg)))
        x = F.interpolate(x, scale_factor=2)
        x = self.up_1.forward_prepared(x, F.relu_(self.up_1_shared(seg)))
        return torch.sigmoid(self.conv_img(F.leaky_relu_(x, 0.2)))

    def forward_plain(self, feature: torch.Tensor) -> torch.Tensor:
        x = self.fc(feature)
        for block in self.middle_blocks():
            x = block(x, feature)
        x = self.up_0(F.interpolate(x, scale_factor=2), feature)
        x = self.up_1(F.interpolate(x, scale_factor=2), feature)
        return torch.sigmoid(self.conv_img(F.leaky_relu(x, 0.2)))
