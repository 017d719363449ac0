"""Real-layer co-simulation: a conv layer's tile through the MAC array RTL, bit for bit.

Why: a multiplier that matches the model pair by pair does not prove that a layer comes out
of the array right (operand order, bias, padding, lane mapping, saturation, backpressure).
This takes a real conv layer and its input, quantizes both (:mod:`pymodel.core.quant`), streams
the im2col rows of an output tile through ``rtl/mbm_mac_array.v`` under Verilator (the
compiled replay bench of :mod:`pymodel.hw.replay`, with random input/output stalls) and
compares every output integer with :func:`pymodel.core.conv.conv2d_int` on the same tile.

Layers: ``synthetic`` is a seeded ``torch.nn.Conv2d(112, 48, 3, padding=1)`` (the shapes of
the seed network's ``decoder.up5.convA``) on a seeded 1x112x24x32 input; any other name is a
conv layer of the depth network (the user's ``--checkpoint``, else the bundled synthetic
``pymodel.nn.nets.default_model()``), fed image ``--image`` of ``--data`` (else a seeded random
image) through ``pymodel.nn.nets.layer_input``, so the tensors are the ones the layer really sees.

``python -m pymodel cosim --layer decoder.up5.convA --tile 0:0:4:4`` writes
``reports/cosim/<layer>.json``; exit status 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pymodel.core.arith import MulConfig
from pymodel.core.conv import acc_bits_needed, conv2d_int, im2col
from pymodel.core.errors import MBMError
from pymodel.core.quant import calibrate, quantize, quantize_bias
from pymodel.hw.vecformat import Layout, gather, unpack_hex

SYNTHETIC = "synthetic"
SYNTHETIC_SHAPE = (112, 48, 3)  # Cin, Cout, kernel of the seed network's decoder.up5.convA
SYNTHETIC_INPUT_HW = (24, 32)
#: Beats per bench run: bounds memory and gives the progress bar its steps.
CHUNK_BEATS = 1 << 18
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
    from pymodel.nn.data import images_to_tensor, load_dataset

    model = nets.default_model() if checkpoint is None else nets.load_depth_net(checkpoint)
    if data is None:
        picture = torch.rand(1, 3, *nets.DEFAULT_INPUT_HW, generator=g)
    else:
        if image < 0:
            raise MBMError(f"--image {image} is invalid: allowed 0 or more")
        ds = load_dataset(data, image + 1)
        if image >= len(ds):
            raise MBMError(f"--image {image} is past the {len(ds)} images of {data}: allowed 0..{len(ds) - 1}")
        picture = images_to_tensor(ds.rgb[image : image + 1])
    module, x = nets.layer_input(model, name, picture)
    if not isinstance(module, torch.nn.Conv2d):
        raise MBMError(f"layer {name!r} is a {type(module).__name__}: allowed Conv2d layers")
    return module, x.double(), name


@dataclass
class QuantLayer:
    """A conv layer quantized for the array: int64 operands, bias in accumulator units."""

    name: str
    cfg: MulConfig
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


def quantize_layer(conv: torch.nn.Conv2d, x: torch.Tensor, name: str, cfg: MulConfig,
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
    if s_x is None:
        s_x = calibrate(x, cfg.bits, method=method, name=f"{name}.input")
    if s_w is None:
        s_w = calibrate(w, cfg.bits, method=method, per_channel_axis=0, name=f"{name}.weight")
    s_x, s_w = torch.as_tensor(s_x, dtype=torch.float64), torch.as_tensor(s_w, dtype=torch.float64)
    x_q, cx = quantize(x, s_x, cfg.bits, f"{name}.input", on_overflow=clip)
    w_q, cw = quantize(w, s_w, cfg.bits, f"{name}.weight", on_overflow=clip)
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
    """The zero-padded input window whose unpadded conv is exactly the tile."""
    (sh, sw), (ph, pw), (dh, dw) = q.stride, q.padding, q.dilation
    kh, kw = q.w_q.shape[2:]
    xp = torch.nn.functional.pad(q.x_q, (pw, pw, ph, ph))
    rows = slice(t.i0 * sh, (t.i0 + t.h - 1) * sh + dh * (kh - 1) + 1)
    cols = slice(t.j0 * sw, (t.j0 + t.w - 1) * sw + dw * (kw - 1) + 1)
    return xp[:, :, rows, cols]


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

    acc, saturated = conv2d_int(tile_input(q, t), q.w_q, q.bias_q, q.cfg, stride=q.stride,
                                dilation=q.dilation, acc_bits=acc_bits)
    acc = acc[0].permute(1, 2, 0).reshape(-1, q.w_q.shape[0])
    if acc_bits is None or acc_bits >= _needed_bits(q):
        return acc.numpy(), np.zeros(acc.shape, dtype=bool)
    dot, ovf = dot_int(tile_rows(q, t), q.w_q.reshape(q.w_q.shape[0], -1), q.bias_q, q.cfg, acc_bits)
    if not torch.equal(acc, dot) or int(ovf.sum()) != saturated:
        raise MBMError("conv2d_int and dot_int disagree on the tile: the model is inconsistent")
    return acc.numpy(), ovf.numpy()


def min_acc_bits(cfg: MulConfig) -> int:
    """Narrowest legal ACC_W of the array: the signed product width 2N+2 (+N-1 frac_out)."""
    return cfg.product_bits + 1


def _needed_bits(q: QuantLayer) -> int:
    """Accumulator width with which no output of this layer can overflow."""
    return acc_bits_needed(q.k, q.cfg, bias_bound=int(q.bias_q.abs().max()) if q.bias_q.numel() else 0)


def default_acc_bits(q: QuantLayer) -> int:
    """An ACC_W that can never overflow for this layer (within the RTL's 63 bits)."""
    return min(MAX_ACC_W, max(min_acc_bits(q.cfg), _needed_bits(q)))


@dataclass
class CosimResult:
    """Counts of one co-simulation; ``examples`` are the first mismatches."""

    macs: int
    beats: int
    mismatches: int
    saturated: int
    seconds: float
    sim_seconds: float
    examples: list[dict]


def cosimulate(q: QuantLayer, t: Tile, lanes: int, acc_bits: int, *, stall: int = 20, seed: int = 1,
               progress: bool = True, rtl_overrides: dict[str, int] | None = None) -> CosimResult:
    """Stream the tile through the RTL in chunks of pixels; compare every output integer.

    rtl_overrides: build the RTL with other parameters than the model's (only to prove
    that a wrong RTL is caught)."""
    from tqdm import tqdm

    from pymodel.hw import vectors
    from pymodel.hw.replay import replay_set

    start = time.perf_counter()
    rows = tile_rows(q, t)
    w = q.w_q.reshape(q.w_q.shape[0], -1)
    acc, ovf = reference(q, t, acc_bits)
    cout = w.shape[0]
    groups = -(-cout // lanes)
    per_chunk = max(1, CHUNK_BEATS // (groups * q.k))
    mismatches, sim_seconds, beats, examples = 0, 0.0, 0, []
    with tempfile.TemporaryDirectory(prefix="cosim-") as tmp:
        for p0 in tqdm(range(0, rows.shape[0], per_chunk), desc=f"cosim {q.name}", unit="chunk",
                       disable=not progress):
            p1 = min(rows.shape[0], p0 + per_chunk)
            prog = vectors.array_program(rows[p0:p1], w, q.bias_q, lanes)
            want_acc, want_ovf = prog.lane_view(acc[p0:p1]), prog.lane_view(ovf[p0:p1])
            mem = vectors.array_memories(prog, want_acc, want_ovf, q.cfg.bits, acc_bits)
            params = {**vectors.rtl_parameters(q.cfg), "LANES": lanes, "ACC_W": acc_bits}
            vs = vectors.VectorSet("mbm_mac_array", "cosim", q.cfg, seed, mem,
                                   {"beats": int(prog.last.size), "dots": int(prog.bias.shape[0])}, params)
            folder = vectors.write_set(vs, Path(tmp) / f"chunk{p0}", commit="cosim")
            out = Path(tmp) / f"out{p0}.hex"
            r = replay_set(folder, stall=stall, seed=seed + p0, out=out, rtl_overrides=rtl_overrides)
            sim_seconds += r.seconds
            beats += int(prog.last.size)
            got = _read_results(out, mem["expect"][0], prog.bias.shape[0])
            shutil.rmtree(folder)  # a chunk's memory files are tens of MB
            if got is None:
                raise MBMError(f"the RTL produced no results for pixels {p0}..{p1 - 1}: {r.output.strip()[-300:]}")
            got_acc, got_ovf = got
            bad = np.argwhere((got_acc != want_acc) | (got_ovf != want_ovf))
            mismatches += len(bad)
            for d, lane in bad[: max(0, 20 - len(examples))]:
                pix, ch = p0 + d // groups, (d % groups) * lanes + lane
                examples.append({"pixel": [t.i0 + pix // t.w, t.j0 + pix % t.w], "channel": int(ch),
                                 "rtl": int(got_acc[d, lane]), "model": int(want_acc[d, lane]),
                                 "rtl_overflow": bool(got_ovf[d, lane]), "model_overflow": bool(want_ovf[d, lane])})
    return CosimResult(int(rows.shape[0]) * cout * q.k, beats, mismatches, int(ovf.sum()),
                       time.perf_counter() - start, sim_seconds, examples)


def _read_results(path: Path, layout: Layout, dots: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The bench's +out file (expect words) as (dots, lanes) accumulators and flags; None if
    incomplete."""
    if not path.is_file():
        return None
    words = path.read_text().split()
    if len(words) != dots:
        return None
    lanes = len(layout.fields) // 2
    cols = unpack_hex(layout, [w.zfill(layout.digits) for w in words])
    return gather("acc", cols, lanes), gather("ovf", cols, lanes).astype(bool)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pymodel.cli import add_mul_arguments

    parser.add_argument("--layer", default="decoder.up5.convA",
                        help=f"conv layer of the depth network, or {SYNTHETIC!r} (seeded 112->48 3x3 Conv2d)")
    parser.add_argument("--checkpoint", default=None,
                        help="depth-network checkpoint whose layer to co-simulate (default: bundled SYNTHETIC model)")
    parser.add_argument("--data", default=None,
                        help="nyu_test.zip, its folder, or the labeled .mat to take the input image from "
                             "(default: a seeded random image)")
    parser.add_argument("--image", type=int, default=0, help="index of the image in --data")
    parser.add_argument("--tile", default="0:0:4:4", help="output tile I0:J0:H:W, or full")
    parser.add_argument("--input-hw", default="24x32", help="synthetic layer: input height x width")
    parser.add_argument("--lanes", type=int, default=None,
                        help="MAC lanes (output channels per pass), 1..1024 (default: Cout, at most 16)")
    parser.add_argument("--acc-bits", type=int, default=None, help="ACC_W (default: never overflows)")
    parser.add_argument("--calibration", default="max", help="scale calibration: max, percentile, mse")
    parser.add_argument("--s-x", type=float, default=None, help="image multiplier s_x by hand (per tensor)")
    parser.add_argument("--s-w", type=float, default=None, help="kernel multiplier s_w by hand (per tensor)")
    parser.add_argument("--on-overflow", default="error", help="operands past the range: error or clamp (count)")
    parser.add_argument("--stall", type=int, default=20, help="input/output stall probability, percent 0..99")
    parser.add_argument("--seed", type=int, default=1, help="seed of weights/input and stalls")
    parser.add_argument("--out", default="reports/cosim", help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_mul_arguments(parser)


def main(args: argparse.Namespace) -> int:
    from pymodel.cli import mul_config

    cfg = mul_config(args)
    if cfg.mult == "exact":
        raise MBMError("--mult exact has no RTL multiplier in the array: allowed mbm, mitchell")
    try:
        input_hw = tuple(int(v) for v in args.input_hw.lower().split("x"))
        assert len(input_hw) == 2 and min(input_hw) >= 1
    except (ValueError, AssertionError):
        raise MBMError(f"--input-hw {args.input_hw!r}: allowed HxW, e.g. 24x32") from None
    conv, x, name = load_layer(args.layer, args.seed, input_hw,
                               checkpoint=args.checkpoint, data=args.data, image=args.image)
    q = quantize_layer(conv, x, name, cfg, args.calibration, args.s_x, args.s_w, args.on_overflow)
    lanes = min(16, q.w_q.shape[0]) if args.lanes is None else args.lanes
    if not 1 <= lanes <= 1024 or not 0 <= args.stall <= 99:
        raise MBMError(f"--lanes={lanes} --stall={args.stall}: allowed 1..1024 and 0..99")
    t = Tile.parse(args.tile, q.output_hw)
    acc_bits = default_acc_bits(q) if args.acc_bits is None else args.acc_bits
    if not min_acc_bits(cfg) <= acc_bits <= MAX_ACC_W:
        raise MBMError(f"--acc-bits={acc_bits} is out of range: allowed {min_acc_bits(cfg)}..{MAX_ACC_W}")
    r = cosimulate(q, t, lanes, acc_bits, stall=args.stall, seed=args.seed, progress=not args.quiet)
    report = {
        "layer": name,
        "shape": {"input": list(q.x_q.shape), "weight": list(q.w_q.shape), "output": [1, q.w_q.shape[0], *q.output_hw]},
        "tile": t.as_list(),
        "macs": r.macs,
        "mismatches": r.mismatches,
        "seconds": round(r.seconds, 3),
        "macs_per_s": round(r.macs / r.seconds, 1),
        "sim_seconds": round(r.sim_seconds, 3),
        "sim_macs_per_s": round(r.macs / r.sim_seconds, 1) if r.sim_seconds else None,
        "beats": r.beats,
        "saturated": r.saturated,
        "clamped_operands": q.clamped,
        "config": {"mult": cfg.mult, "bits": cfg.bits, "trunc": cfg.trunc, "frac_out": cfg.frac_out,
                   "lanes": lanes, "acc_bits": acc_bits, "calibration": args.calibration,
                   "stall_pct": args.stall, "s_x": q.s_x},
        "seed": args.seed,
        "source": {"checkpoint": args.checkpoint or "bundled SYNTHETIC model", "data": args.data,
                   "image": args.image if args.data else None},
        "examples": r.examples,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(report, indent=1) + "\n")
    verdict = "PASS" if r.mismatches == 0 else "FAIL"
    print(f"{verdict} cosim {name} tile {t.as_list()}: {r.macs:,} MACs, {r.mismatches} mismatches, "
          f"{r.saturated} saturated, {r.seconds:.2f} s ({r.macs / r.seconds:,.0f} MACs/s; RTL alone "
          f"{r.macs / max(r.sim_seconds, 1e-9):,.0f} MACs/s) -> {path}")
    return 0 if r.mismatches == 0 else 1
