"""The conv layer that co-simulation and the MAC-array vector sets share: load, quantize, tile.

Why its own module: :mod:`pymodel.hw.cosim` streams a layer's tile through the RTL and
:mod:`pymodel.hw.vectors` writes the same tile as an FPGA vector set; both need the same layer
(a real conv layer of the depth network fed its real input, or the seeded ``synthetic`` one),
the same quantization and the same golden accumulators, and neither may import the other.

Layers: ``synthetic`` is a seeded ``torch.nn.Conv2d(112, 48, 3, padding=1)`` (the shapes of
the seed network's ``decoder.up5.convA``) on a seeded 1x112x24x32 input; any other name is a
conv layer of the depth network (the user's ``--checkpoint``, else the bundled synthetic
``pymodel.nn.nets.default_model()``), fed image ``--image`` of ``--data`` (else a seeded random
image) through ``pymodel.nn.nets.layer_input``, so the tensors are the ones the layer really sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from pymodel.core.arith import MulConfig
from pymodel.core.conv import acc_bits_needed, conv2d_int, im2col
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, encoding, network_table
from pymodel.core.quant import calibrate, quantize, quantize_bias

SYNTHETIC = "synthetic"
SYNTHETIC_SHAPE = (112, 48, 3)  # Cin, Cout, kernel of the seed network's decoder.up5.convA
SYNTHETIC_INPUT_HW = (24, 32)
#: Widest accumulator of the RTL (the golden model holds 63-bit accumulators).
MAX_ACC_W = 63
def load_layer(name: str, seed: int, input_hw: tuple[int, int] = SYNTHETIC_INPUT_HW, *,
               checkpoint: str | None = None, data: str | None = None, image: int = 0,
               ) -> tuple[torch.nn.Conv2d, torch.Tensor, str]:
    """(conv module, its float input, name) for ``synthetic`` (input H x W = input_hw; the
    seed network's up5 sees 240x320 at 480x640) or a depth-network layer: of ``checkpoint``
    (default: the bundled synthetic model), fed image ``image`` of ``data`` (default: a
    seeded random image at the model's default input size)."""
    g = torch.Generator().manual_seed(seed)
    if name == SYNTHETIC:
        cin, cout, k = SYNTHETIC_SHAPE
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            conv = torch.nn.Conv2d(cin, cout, k, padding=k // 2).double()
        x = torch.nn.functional.leaky_relu(torch.randn(1, cin, *input_hw, generator=g), 0.2)
        return conv, x.double(), name
    from pymodel.nn import nets

    model = nets.default_model() if checkpoint is None else nets.load_depth_net(checkpoint)
    picture = torch.rand(1, 3, *nets.DEFAULT_INPUT_HW, generator=g) if data is None else data_picture(data, image)
    module, x = nets.layer_input(model, name, picture)
    if not isinstance(module, torch.nn.Conv2d):
        raise MBMError(f"layer {name!r} is a {type(module).__name__}: allowed Conv2d layers")
    return module, x.double(), name


def data_picture(data: str, image: int) -> torch.Tensor:
    """Image ``image`` of the data set ``data`` as the network's 1 x 3 x H x W input."""
    from pymodel.nn.data import load_dataset
    from pymodel.nn.predict import images_to_tensor

    if image < 0:
        raise MBMError(f"--image {image} is invalid: allowed 0 or more")
    ds = load_dataset(data, image + 1)
    if image >= len(ds):
        raise MBMError(f"--image {image} is past the {len(ds)} images of {data}: allowed 0..{len(ds) - 1}")
    return images_to_tensor(ds.rgb[image : image + 1])


@dataclass
class QuantLayer:
    """A conv layer quantized for the array: int64 operands, bias in accumulator units."""

    name: str
    cfg: Multiplier
    x_q: torch.Tensor  # (1, Cin, H, W)
    w_q: torch.Tensor  # (Cout, Cin, kh, kw)
    bias_q: torch.Tensor  # (Cout,)
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    s_x: float
    clamped: int

    @property
    def output_hw(self) -> tuple[int, int]:
        kh, kw = self.w_q.shape[2:]
        h, w = self.x_q.shape[2:]
        return tuple(  # type: ignore[return-value]
            (n + 2 * p - d * (k - 1) - 1) // s + 1
            for n, k, s, p, d in zip((h, w), (kh, kw), self.stride, self.padding, self.dilation)
        )

    @property
    def k(self) -> int:
        """Dot-product length Cin*kh*kw."""
        return int(self.w_q[0].numel())


def quantize_layer(conv: torch.nn.Conv2d, x: torch.Tensor, name: str, cfg: Multiplier,
                   method: str = "max", s_x: float | None = None, s_w: float | None = None,
                   on_overflow: str = "error") -> QuantLayer:
    """Quantize input (per tensor) and weights (per output channel).

    s_x / s_w: the image and kernel multipliers given by hand (per tensor); otherwise they
    are calibrated with ``method``. A value pushed past the operand range is an error
    naming the tensor and value unless on_overflow="clamp"; percentile and MSE calibration
    clip by design, so their scales always clamp (and count).
    """
    if conv.groups != 1 or isinstance(conv.padding, str) or conv.padding_mode != "zeros":
        raise MBMError(f"layer {name!r}: groups={conv.groups}, padding={conv.padding!r}: "
                       "allowed groups=1 and numeric zero padding")
    w = conv.weight.detach().double()
    clip = "clamp" if method != "max" else on_overflow
    enc = encoding(cfg)  # the operand range follows the multiplier's encoding
    if s_x is None:
        s_x = calibrate(x, cfg.bits, method=method, name=f"{name}.input", encoding=enc)
    if s_w is None:
        s_w = calibrate(w, cfg.bits, method=method, per_channel_axis=0, name=f"{name}.weight", encoding=enc)
    s_x, s_w = torch.as_tensor(s_x, dtype=torch.float64), torch.as_tensor(s_w, dtype=torch.float64)
    x_q, cx = quantize(x, s_x, cfg.bits, f"{name}.input", on_overflow=clip, encoding=enc)
    w_q, cw = quantize(w, s_w, cfg.bits, f"{name}.weight", on_overflow=clip, encoding=enc)
    b = conv.bias.detach() if conv.bias is not None else torch.zeros(w.shape[0])
    return QuantLayer(name, cfg, x_q, w_q, quantize_bias(b, s_x, s_w, cfg), tuple(conv.stride),
                      tuple(conv.padding), tuple(conv.dilation), float(s_x), cx + cw)


@dataclass(frozen=True)
class Tile:
    """Output rows i0..i0+h-1, columns j0..j0+w-1 (all output channels)."""

    i0: int
    j0: int
    h: int
    w: int

    @classmethod
    def parse(cls, spec: str, output_hw: tuple[int, int]) -> Tile:
        """``I0:J0:H:W`` or ``full``, checked against the layer's output size."""
        oh, ow = output_hw
        if spec == "full":
            return cls(0, 0, oh, ow)
        try:
            i0, j0, h, w = (int(v) for v in spec.split(":"))
        except ValueError:
            raise MBMError(f"tile {spec!r}: allowed I0:J0:H:W or full") from None
        if min(i0, j0) < 0 or min(h, w) < 1 or i0 + h > oh or j0 + w > ow:
            raise MBMError(f"tile {spec!r} is outside the {oh}x{ow} output: allowed I0+H <= {oh}, J0+W <= {ow}")
        return cls(i0, j0, h, w)

    def as_list(self) -> list[int]:
        return [self.i0, self.j0, self.h, self.w]


def tile_input(q: QuantLayer, t: Tile) -> torch.Tensor:
    """The zero-padded input window whose unpadded conv is exactly the tile (only the
    window is padded: a row of a large layer does not copy the whole input)."""
    (sh, sw), (ph, pw), (dh, dw) = q.stride, q.padding, q.dilation
    kh, kw = q.w_q.shape[2:]
    h, w = q.x_q.shape[2:]
    r0, c0 = t.i0 * sh - ph, t.j0 * sw - pw  # the window in unpadded coordinates, end exclusive
    r1, c1 = (t.i0 + t.h - 1) * sh + dh * (kh - 1) + 1 - ph, (t.j0 + t.w - 1) * sw + dw * (kw - 1) + 1 - pw
    inside = q.x_q[:, :, max(r0, 0) : min(r1, h), max(c0, 0) : min(c1, w)]
    return torch.nn.functional.pad(inside, (max(0, -c0), max(0, c1 - w), max(0, -r0), max(0, r1 - h)))


def tile_rows(q: QuantLayer, t: Tile) -> torch.Tensor:
    """im2col rows (H*W, K) the array streams for the tile, row-major over pixels."""
    return im2col(tile_input(q, t), tuple(q.w_q.shape[2:]), q.stride, 0, q.dilation).reshape(-1, q.k)


def reference(q: QuantLayer, t: Tile, acc_bits: int | None) -> tuple[np.ndarray, np.ndarray]:
    """conv2d_int of the tile as (pixels, Cout) accumulators and per-output overflow flags.

    The accumulators are conv2d_int's (the oracle). It reports only a count of saturated
    outputs, so when acc_bits can overflow at all the sticky flags per output come from
    dot_int on the same im2col rows, whose accumulators must then agree (checked here).
    """
    from pymodel.core.conv import dot_int

    acc, saturated = conv2d_int(tile_input(q, t), q.w_q, q.bias_q, network_table(q.cfg), stride=q.stride,
                                dilation=q.dilation, acc_bits=acc_bits)
    acc = acc[0].permute(1, 2, 0).reshape(-1, q.w_q.shape[0])
    if acc_bits is None or acc_bits >= _needed_bits(q):
        return acc.numpy(), np.zeros(acc.shape, dtype=bool)
    dot, ovf = dot_int(tile_rows(q, t), q.w_q.reshape(q.w_q.shape[0], -1), q.bias_q, network_table(q.cfg), acc_bits)
    if not torch.equal(acc, dot) or int(ovf.sum()) != saturated:
        raise MBMError("conv2d_int and dot_int disagree on the tile: the model is inconsistent")
    return acc.numpy(), ovf.numpy()


def min_acc_bits(cfg: Multiplier) -> int:
    """Narrowest legal ACC_W of the array: the signed product width, 2N+2 (+N-1 frac_out) for
    a built-in multiplier, an imported module's product width plus its sign bit (TWOS=0) or
    as it is (TWOS=1): its network table's product width."""
    return cfg.product_bits + 1 if isinstance(cfg, MulConfig) else network_table(cfg).product_bits


def _needed_bits(q: QuantLayer) -> int:
    """Accumulator width with which no output of this layer can overflow."""
    return acc_bits_needed(q.k, network_table(q.cfg), bias_bound=int(q.bias_q.abs().max()) if q.bias_q.numel() else 0)


def default_acc_bits(q: QuantLayer) -> int:
    """An ACC_W that can never overflow for this layer (within the RTL's 63 bits)."""
    return min(MAX_ACC_W, max(min_acc_bits(q.cfg), _needed_bits(q)))
