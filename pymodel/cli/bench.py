"""``pymodel bench``: the command line of :mod:`pymodel.nn.bench`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, multiplier
from pymodel.core.errors import MBMError
from pymodel.nn.bench import DEFAULT_OUT, SEED_LAYERS, format_table, run, select_layers


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mul_arguments(parser)
    parser.add_argument("--layers", default="", help="comma-separated layer names or globs (default: all 14)")
    parser.add_argument("--backends", default="",
                        help="comma-separated backends (default: every fast one available here; "
                             "'reference' takes minutes per layer)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per measurement (median)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed runs first (compiles, caches)")
    parser.add_argument("--threads", type=int, default=0,
                        help="CPU threads for torch and the numba kernel (default 0: all cores); "
                             "1 gives per-core figures that a busy shared machine distorts least")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON report path (default {DEFAULT_OUT})")

def main(args: argparse.Namespace) -> int:
    import torch

    from pymodel.core.kernels import available_backends, resolve_backend

    m = multiplier(args)  # an imported one runs the table kernels (network_table)
    if args.repeats < 1 or args.warmup < 0:
        raise MBMError(f"--repeats {args.repeats} --warmup {args.warmup}: allowed repeats >= 1, warmup >= 0")
    if args.threads < 0:
        raise MBMError(f"--threads {args.threads}: allowed 0 (all cores) or a positive count")
    if args.threads:
        import numba

        torch.set_num_threads(args.threads)
        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    layers = select_layers([p for p in args.layers.split(",") if p])
    if args.backends:
        backends = [resolve_backend(b) for b in args.backends.split(",") if b]
    else:  # interpreted Triton on the CPU is a correctness check, not a contender
        backends = [b for b in available_backends()
                    if b == "cpu" or (b == "triton" and torch.cuda.is_available())]
    report = run(layers, backends, m, args.repeats, args.warmup)
    print(format_table(report["rows"], report["summary"], full=len(layers) == len(SEED_LAYERS)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0
