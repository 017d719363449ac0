"""``pymodel cosim-all``: the command line of :mod:`pymodel.hw.cosim_all`."""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, rtl_multiplier
from pymodel.cli.cosim import parse_hw
from pymodel.core.errors import MBMError
from pymodel.hw.cosim_all import DEFAULT_OUT, INPUT_HW, MAX_LANES, Options, run_all


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default=None,
                        help="depth-network checkpoint (default: the full-width seed architecture, seeded weights)")
    parser.add_argument("--data", default=None,
                        help="nyu_test.zip, its folder, or the labeled .mat to take the input image from "
                             "(default: a synthetic scene of pymodel.nn.scenes)")
    parser.add_argument("--image", type=int, default=0, help="index of the image in --data (or of the scene)")
    parser.add_argument("--input-hw", default="x".join(map(str, INPUT_HW)),
                        help="synthetic scene size HxW (default: the seed network's 480x640)")
    parser.add_argument("--layers", default="*",
                        help="comma-separated globs of decoder layers, e.g. 'up5.*,conv3' (default: all 14)")
    parser.add_argument("--lanes", type=int, default=MAX_LANES,
                        help=f"MAC lanes at most, 1..1024 (a layer with fewer output channels gets that many; "
                             f"default {MAX_LANES})")
    parser.add_argument("--stall", type=int, default=20, help="input/output stall probability, percent 0..99")
    parser.add_argument("--seed", type=int, default=1, help="seed of the weights, the scene and the stalls")
    parser.add_argument("--calibration", default="max", help="scale calibration: max, percentile, mse")
    parser.add_argument("--on-overflow", default="error", help="operands past the range: error or clamp (count)")
    parser.add_argument("--jobs", type=int, default=2, help="layers simulated at once (one core each), 1..64")
    parser.add_argument("--force", action="store_true", help="rerun layers whose record is up to date")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="report folder (one <layer>.json each)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_mul_arguments(parser)


def main(args: argparse.Namespace) -> int:
    if not 1 <= args.lanes <= 1024 or not 0 <= args.stall <= 99 or not 1 <= args.jobs <= 64:
        raise MBMError(f"--lanes={args.lanes} --stall={args.stall} --jobs={args.jobs}: allowed 1..1024, 0..99, 1..64")
    opts = Options(rtl_multiplier(args), seed=args.seed, checkpoint=args.checkpoint, data=args.data, image=args.image,
                   input_hw=parse_hw(args.input_hw), layers=[p.strip() for p in args.layers.split(",") if p.strip()],
                   lanes=args.lanes, stall=args.stall, calibration=args.calibration, on_overflow=args.on_overflow,
                   jobs=args.jobs, force=args.force, out=Path(args.out), progress=not args.quiet)
    start, cpu0 = time.perf_counter(), _cpu_seconds()
    runs = run_all(opts)
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu0
    print(f"{'layer':<20} {'output':>12} {'MACs':>15} {'mismatches':>10} {'seconds':>8} {'MAC/s':>12} "
          f"{'MAC/CPU-s':>12}")
    for run in runs:
        r = run.record
        out = "x".join(map(str, r["shape"]["output"][1:]))
        note = "  (up to date, skipped)" if run.skipped else ""
        print(f"{r['layer']:<20} {out:>12} {r['macs']:>15,} {r['mismatches']:>10} {r['seconds']:>8.1f} "
              f"{r['macs_per_s']:>12,.0f} {r.get('sim_macs_per_cpu_s') or 0:>12,.0f}{note}")
    ran = [run.record for run in runs if not run.skipped]
    macs = sum(r["macs"] for r in ran)
    bad = sum(run.record["mismatches"] for run in runs)
    print(f"{'PASS' if bad == 0 else 'FAIL'} cosim-all: {len(runs)} layers, {sum(r.record['macs'] for r in runs):,} "
          f"MACs, {bad} mismatches; ran {len(ran)} ({macs:,} MACs) in {wall:.1f} s "
          f"({macs / wall if ran else 0:,.0f} MAC/s end to end; {cpu:.0f} CPU-s, of which the RTL "
          f"{sum(r.get('sim_cpu_seconds') or 0 for r in ran):.0f}) -> {opts.out}")
    return 0 if bad == 0 else 1


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the harnesses, the builds)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
