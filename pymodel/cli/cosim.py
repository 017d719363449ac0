"""``pymodel cosim``: the command line of :mod:`pymodel.hw.cosim`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, rtl_multiplier
from pymodel.core.errors import MBMError
from pymodel.hw.cosim import DEFAULT_OUT, cosimulate, cosimulate_stream, report_record, write_record
from pymodel.hw.layers import (
    MAX_ACC_W,
    SYNTHETIC,
    Tile,
    default_acc_bits,
    load_layer,
    min_acc_bits,
    quantize_layer,
    reference,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
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
    parser.add_argument("--engine", default="replay", choices=("replay", "stream"),
                        help="replay: the vector-set replay bench an FPGA mirrors (tb/replay/); stream: the "
                             "C++ harness of make cosim-all (tb/stream/), for large tiles")
    parser.add_argument("--stall", type=int, default=20, help="input/output stall probability, percent 0..99")
    parser.add_argument("--seed", type=int, default=1, help="seed of weights/input and stalls")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="report folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_mul_arguments(parser)

def parse_hw(text: str) -> tuple[int, int]:
    """``--input-hw HxW`` as (H, W), both at least 1."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) >= 1 for p in parts):
        raise MBMError(f"--input-hw {text!r}: allowed HxW with H, W >= 1, e.g. 24x32")
    return int(parts[0]), int(parts[1])


def main(args: argparse.Namespace) -> int:
    cfg = rtl_multiplier(args)
    input_hw = parse_hw(args.input_hw)
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
    if args.engine == "replay":
        r = cosimulate(q, t, lanes, acc_bits, stall=args.stall, seed=args.seed, progress=not args.quiet)
    else:
        r = cosimulate_stream(q, t, lanes, acc_bits, reference(q, t, acc_bits), stall=args.stall, seed=args.seed)
    source = {"checkpoint": args.checkpoint or "bundled SYNTHETIC model", "data": args.data,
              "image": args.image if args.data else None}
    path = write_record(report_record(q, t, r, lanes=lanes, acc_bits=acc_bits, calibration=args.calibration,
                                      stall=args.stall, seed=args.seed, source=source), Path(args.out))
    verdict = "PASS" if r.mismatches == 0 else "FAIL"
    print(f"{verdict} cosim {name} tile {t.as_list()}: {r.macs:,} MACs, {r.mismatches} mismatches, "
          f"{r.saturated} saturated, {r.seconds:.2f} s ({r.macs / r.seconds:,.0f} MACs/s; RTL alone "
          f"{r.macs / max(r.sim_seconds, 1e-9):,.0f} MACs/s) -> {path}")
    return 0 if r.mismatches == 0 else 1
