"""``pymodel lut``: the command line of :mod:`pymodel.core.lut`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, mul_config
from pymodel.core.lut import FORMATS, save_table
from pymodel.core.table import ProductTable


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mul_arguments(parser)
    parser.add_argument("--format", default="npy", help=f"output format: {', '.join(FORMATS)}")
    parser.add_argument("--out", type=Path, required=True, help="output file")

def main(args: argparse.Namespace) -> int:
    cfg = mul_config(args)
    table = ProductTable.from_config(cfg, args.signed)
    save_table(table, args.out, args.format)
    side = table.values.shape[0]
    print(f"wrote {args.out}: {cfg.label}{' signed' if args.signed else ''}, {side}x{side}, {args.format}")
    return 0
