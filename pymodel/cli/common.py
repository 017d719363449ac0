"""Options several commands share, and their translation into library objects."""

from __future__ import annotations

import argparse

from pymodel.core.arith import MAX_BITS, MIN_BITS, MULTIPLIERS, MulConfig


def add_mul_arguments(parser: argparse.ArgumentParser, *, default_mult: str = "mbm") -> None:
    """The multiplier options every command shares: --mult --bits --trunc --frac-out."""
    parser.add_argument("--mult", default=default_mult, help=f"multiplier: {', '.join(MULTIPLIERS)}")
    parser.add_argument("--bits", type=int, default=8, help=f"operand magnitude width N, {MIN_BITS}..{MAX_BITS}")
    parser.add_argument("--trunc", type=int, default=0, help="MBM-t operand truncation t, 0..N-8")
    parser.add_argument("--frac-out", action="store_true", help="keep the N-1 product fraction bits")


def mul_config(args: argparse.Namespace) -> MulConfig:
    """Build (and so validate) the MulConfig named by :func:`add_mul_arguments` options."""
    return MulConfig(mult=args.mult, bits=args.bits, trunc=args.trunc, frac_out=args.frac_out)
