"""``pymodel lut``: the command line of :mod:`pymodel.core.lut`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, mul_config
from pymodel.core.lut import FORMATS, build_lut, write_lut


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_mul_arguments(parser)
    parser.add_argument("--signed", action="store_true", help="sign-magnitude operands")
    parser.add_argument("--format", default="npy", help=f"output format: {', '.join(FORMATS)}")
    parser.add_argument("--out", type=Path, required=True, help="output file")

def main(args: argparse.Namespace) -> int:
    cfg = mul_config(args)
    table = build_lut(cfg, args.signed)
    width = cfg.product_bits + (1 if args.signed else 0)
    write_lut(table, args.out, args.format, width)
    print(f"wrote {args.out}: {cfg.label}{' signed' if args.signed else ''}, {table.shape[0]}x{table.shape[1]}, {args.format}")
    return 0
