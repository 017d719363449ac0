"""MobileNetV2 encoder, written without torchvision but with torchvision's module layout.

The reference DenseDepth-MobileNetV2 model wraps ``torchvision.models.mobilenet_v2`` and so
its checkpoints hold keys such as ``features.0.0.weight`` (first conv), ``features.1.conv.0.0
.weight`` (depthwise conv of the first inverted residual), ``features.18.1.running_var`` and
``classifier.1.weight``. Module names, order and parameter/buffer shapes here are identical at
``width_mult=1.0`` so those checkpoints load unchanged; the forward pass of the depth network
only walks ``features`` (the classifier is kept for the keys).

``width_mult`` and ``last_channel`` shrink the network for the bundled synthetic default; the
names stay the same.
"""

from __future__ import annotations

from torch import Tensor, nn

#: (expansion t, output channels c, repeats n, first stride s) of torchvision's MobileNetV2.
INVERTED_RESIDUAL_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


def make_divisible(v: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor`` (never more than 10% down)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvBNReLU(nn.Sequential):
    """Conv (no bias) + BatchNorm + ReLU6; torchvision's Conv2dNormActivation (keys 0.*, 1.*)."""

    def __init__(self, inp: int, oup: int, kernel_size: int = 3, stride: int = 1, groups: int = 1) -> None:
        padding = (kernel_size - 1) // 2
        super().__init__(
            nn.Conv2d(inp, oup, kernel_size, stride, padding, groups=groups, bias=False),
            nn.BatchNorm2d(oup),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    """Expand (1x1) -> depthwise 3x3 -> project (1x1, linear), residual when shapes allow."""

    def __init__(self, inp: int, oup: int, stride: int, expand_ratio: int) -> None:
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers: list[nn.Module] = []
        if expand_ratio != 1:
            layers.append(ConvBNReLU(inp, hidden, kernel_size=1))
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    """``features`` (19 stages: stem, 17 inverted residuals, 1x1 head) and ``classifier``.

    width_mult: channel multiplier (1.0 = the reference); last_channel: head width before
    ``max(1, width_mult)`` scaling (1280 in the reference); num_classes: classifier outputs.
    """

    def __init__(self, width_mult: float = 1.0, last_channel: int = 1280, num_classes: int = 1000) -> None:
        super().__init__()
        inp = make_divisible(32 * width_mult)
        self.last_channel = make_divisible(last_channel * max(1.0, width_mult))
        features: list[nn.Module] = [ConvBNReLU(3, inp, stride=2)]
        for t, c, n, s in INVERTED_RESIDUAL_SETTING:
            oup = make_divisible(c * width_mult)
            for i in range(n):
                features.append(InvertedResidual(inp, oup, s if i == 0 else 1, expand_ratio=t))
                inp = oup
        features.append(ConvBNReLU(inp, self.last_channel, kernel_size=1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(self.last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def stage_channels(self) -> list[int]:
        """Channels of each feature-list entry: [3 (input), out of features[0], ..., out of [18]]."""
        out = [3]
        for stage in self.features:
            out.append(stage.out_channels if isinstance(stage, InvertedResidual) else stage[0].out_channels)
        return out

    def forward(self, x: Tensor) -> Tensor:
        """Classification forward (unused by the depth network; kept for completeness)."""
        x = nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
        return self.classifier(x)
