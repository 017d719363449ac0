"""``pymodel lut``: the command line of :mod:`pymodel.core.lut`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, multiplier
from pymodel.core import multiplier as mm
from pymodel.core.lut import FORMATS, save_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mul_arguments(parser)
    parser.add_argument("--format", default="npy", help=f"output format: {', '.join(FORMATS)}")
    parser.add_argument("--out", type=Path, required=True, help="output file")

def main(args: argparse.Namespace) -> int:
    m = multiplier(args)
    table = mm.own_table(m, args.signed)  # an imported one over its own operands, as imported
    save_table(table, args.out, args.format)
    side = table.values.shape[0]
    print(f"wrote {args.out}: {mm.label(m)} ({table.encoding} operands), {side}x{side}, {args.format}")
    return 0
