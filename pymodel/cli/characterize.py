"""``pymodel characterize``: the command line of :mod:`pymodel.core.characterize`."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from pymodel.cli.common import add_mul_arguments, multiplier
from pymodel.core import multiplier as mm
from pymodel.core.characterize import DEFAULT_SAMPLES, characterize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mul_arguments(parser)
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="random pairs when N > 10")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random pairs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")

def main(args: argparse.Namespace) -> int:
    m = multiplier(args)
    imported = isinstance(m, mm.TableMultiplier)  # over its own operands: unsigned or two's complement
    stats = characterize(m.table if imported else m, args.samples, args.seed, signed=args.signed)
    if args.json:
        print(json.dumps({"spec": mm.spec_of(m), **asdict(stats)}))
        return 0
    scope = "exhaustive" if stats.exhaustive else f"random, seed {stats.seed}, plus corners"
    print(f"{mm.label(m)}{' signed' if args.signed and not imported else ''}: {stats.pairs:,} pairs ({scope})")
    rows = [
        ("bias (mean relative error)", f"{stats.bias_pct:+.4f} %"),
        ("mean |relative error|", f"{stats.mred_pct:.4f} %"),
        ("peak relative error", f"{stats.peak_pct:+.4f} %"),
        ("NMED", f"{stats.nmed:.3e}"),
        ("error rate", f"{stats.error_rate_pct:.2f} %"),
        ("worst-case |error|", f"{stats.wce:g}"),
        ("MAE% (EvoApproxLib)", f"{stats.mae_pct:.4f} %"),
        ("WCE%", f"{stats.wce_pct:.4f} %"),
        ("MRE%", f"{stats.mre_pct:.4f} %"),
        ("EP%", f"{stats.ep_pct:.2f} %"),
        ("WCRE%", f"{stats.wcre_pct:.2f} %"),
        ("MSE", f"{stats.mse:.6g}"),
    ]
    for name, value in rows:
        print(f"  {name:<28} {value:>14}")
    return 0
