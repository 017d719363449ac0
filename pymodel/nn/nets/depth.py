"""DenseDepth-style depth network on the MobileNetV2 encoder (the seed network).

Structure and names follow the reference PyTorch DenseDepth-MobileNetV2 model, so its
checkpoints load unchanged::

    encoder.original_model.features.*     MobileNetV2 (torchvision layout)
    encoder.original_model.classifier.1   unused by the depth forward, kept for the keys
    decoder.conv2                          1x1, 1280 -> 768, padding 1 (sic: grows 15x20 to 17x22)
    decoder.up0 .. up5                     bilinear (align_corners=True) to the skip's size,
                                           concat, convA 3x3 + LeakyReLU(0.2), convB 3x3 + LeakyReLU(0.2)
    decoder.conv3                          3x3, 48 -> 1

The encoder returns the feature list ``[x, out(features[0]), ..., out(features[18])]``;
the decoder reads entries 19 (conv2), then skips 18, 15, 9, 6, 4, 2 for up0..up5. At 480x640
input that gives the 14 decoder layers of the bench table (conv2 at 15x20 ... up5 and conv3
at 240x320); the output is half resolution and holds maxDepth/depth (see pymodel.nn.metrics).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from pymodel.nn.nets.mobilenetv2 import MobileNetV2

#: Feature-list entries the decoder consumes: conv2 input, then the skips of up0..up5.
BOTTLENECK = 19
SKIPS = (18, 15, 9, 6, 4, 2)
#: up_i output width as a divisor of the decoder width (768 -> 384 384 192 96 96 48).
UP_DIVISORS = (2, 2, 4, 8, 8, 16)


@dataclass(frozen=True)
class NetConfig:
    """Architecture knobs; the defaults are the reference (seed) network.

    width_mult: encoder channel multiplier; last_channel: encoder head width (num_features);
    decoder_width: decoder features = int(last_channel * decoder_width); num_classes: size of
    the (unused) classifier, only there so checkpoint keys and shapes match.
    """

    width_mult: float = 1.0
    last_channel: int = 1280
    decoder_width: float = 0.6
    num_classes: int = 1000

    def to_dict(self) -> dict:
        return asdict(self)


class Encoder(nn.Module):
    """MobileNetV2 as ``original_model``; forward returns the list of every stage output."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.original_model = MobileNetV2(cfg.width_mult, cfg.last_channel, cfg.num_classes)

    def forward(self, x: Tensor) -> list[Tensor]:
        features = [x]
        for stage in self.original_model.features:
            features.append(stage(features[-1]))
        return features


class UpSample(nn.Module):
    """Upsample x to the skip's size, concatenate the skip, two 3x3 convs with LeakyReLU(0.2)."""

    def __init__(self, skip_input: int, output_features: int) -> None:
        super().__init__()
        self.convA = nn.Conv2d(skip_input, output_features, kernel_size=3, stride=1, padding=1)
        self.leakyreluA = nn.LeakyReLU(0.2)
        self.convB = nn.Conv2d(output_features, output_features, kernel_size=3, stride=1, padding=1)
        self.leakyreluB = nn.LeakyReLU(0.2)

    def forward(self, x: Tensor, concat_with: Tensor) -> Tensor:
        up_x = F.interpolate(x, size=concat_with.shape[2:], mode="bilinear", align_corners=True)
        x = self.leakyreluA(self.convA(torch.cat([up_x, concat_with], dim=1)))
        return self.leakyreluB(self.convB(x))


class Decoder(nn.Module):
    """conv2, up0..up5, conv3; skip widths come from the encoder's stage channels."""

    def __init__(self, cfg: NetConfig, stage_channels: list[int]) -> None:
        super().__init__()
        num_features = stage_channels[BOTTLENECK]
        features = int(num_features * cfg.decoder_width)
        self.conv2 = nn.Conv2d(num_features, features, kernel_size=1, stride=1, padding=1)
        width = features
        for i, (skip, div) in enumerate(zip(SKIPS, UP_DIVISORS)):
            setattr(self, f"up{i}", UpSample(width + stage_channels[skip], features // div))
            width = features // div
        self.conv3 = nn.Conv2d(width, 1, kernel_size=3, stride=1, padding=1)

    def forward(self, features: list[Tensor]) -> Tensor:
        x = self.conv2(features[BOTTLENECK])
        for i, skip in enumerate(SKIPS):
            x = getattr(self, f"up{i}")(x, features[skip])
        return self.conv3(x)


class DepthNet(nn.Module):
    """encoder + decoder; input N x 3 x H x W in [0, 1], output N x 1 x H/2 x W/2 (maxDepth/depth)."""

    def __init__(self, cfg: NetConfig = NetConfig()) -> None:
        super().__init__()
        self.config = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg, self.encoder.original_model.stage_channels())

    def forward(self, x: Tensor) -> Tensor:
        return self.decoder(self.encoder(x))


#: The decoder's top-level blocks in forward order (each is a pure function of the encoder
#: features and the blocks before it; the sweep replays exact ones from a cache).
DECODER_BLOCKS: tuple[str, ...] = ("conv2", *(f"up{i}" for i in range(len(SKIPS))), "conv3")
#: The 14 decoder conv layers the per-layer sweep visits, in forward order.
DECODER_LAYERS: tuple[str, ...] = (
    "decoder.conv2",
    *(f"decoder.up{i}.conv{ab}" for i in range(len(SKIPS)) for ab in "AB"),
    "decoder.conv3",
)


def build_depth_net(cfg: NetConfig | None = None, **overrides: float) -> DepthNet:
    """A DepthNet in eval mode; ``build_depth_net()`` is the full-width reference architecture."""
    cfg = NetConfig(**{**(cfg or NetConfig()).to_dict(), **overrides})
    return DepthNet(cfg).eval()
