"""Options several commands share, and their translation into library objects."""

from __future__ import annotations

import argparse

from pymodel.core.arith import MAX_BITS, MIN_BITS, MULTIPLIERS, MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier
from pymodel.core.spec import GRAMMAR, ImportSpec, parse_any
from pymodel.hw.multiplier import resolve

#: --bits when neither it nor the spec names a width (the legacy ``--mult mbm``).
DEFAULT_BITS = 8


def add_mul_arguments(parser: argparse.ArgumentParser, *, default_mult: str = "mbm") -> None:
    """The multiplier options every command shares: --mult --bits --trunc --frac-out --signed."""
    parser.add_argument("--mult", default=default_mult,
                        help=f"multiplier: a spec string ({GRAMMAR}) or a name ({', '.join(MULTIPLIERS)}) "
                             f"with --bits/--trunc/--frac-out")
    parser.add_argument("--bits", type=int, default=None,
                        help=f"operand magnitude width N, {MIN_BITS}..{MAX_BITS} (default {DEFAULT_BITS}); "
                             f"for a spec string it must match the spec")
    parser.add_argument("--trunc", type=int, default=0, help="MBM-t operand truncation t, 0..N-8")
    parser.add_argument("--frac-out", action="store_true", help="keep the N-1 product fraction bits")
    parser.add_argument("--signed", action="store_true",
                        help="signed operands: two's complement for an imported multiplier (lut:/verilog:); "
                             "sign-magnitude for a built-in one where a command has unsigned ones")


def multiplier(args: argparse.Namespace) -> Multiplier:
    """The multiplier the :func:`add_mul_arguments` options name (built-in or imported),
    validated: --trunc/--frac-out only with a bare name, --bits equal to a spec's width."""
    if ":" not in args.mult:
        return mul_config(args)
    if args.trunc or args.frac_out:
        raise MBMError(f"--trunc/--frac-out with --mult {args.mult}: allowed only with a bare name "
                       f"({', '.join(MULTIPLIERS)}); write them in the spec (e.g. mbm:12:t3:frac)")
    return resolve(args.mult, bits=args.bits, signed=args.signed)


def rtl_multiplier(args: argparse.Namespace) -> Multiplier:
    """:func:`multiplier` for the commands that simulate the multiplier's circuit (cosim,
    cosim-all): a ``lut:`` table has none, so it is refused from the spec's text, before the
    table is read or a network run."""
    if ":" in args.mult:
        spec = parse_any(args.mult)
        if isinstance(spec, ImportSpec) and spec.kind == "lut":
            raise MBMError(f"--mult {args.mult}: a lut: table has no circuit to co-simulate: allowed a "
                           f"verilog:PATH.v[:MODULE][:signed] spec or a built-in ({', '.join(MULTIPLIERS)})")
    return multiplier(args)


def mul_config(args: argparse.Namespace) -> MulConfig:
    """The built-in MulConfig the options name; for commands that run built-ins only."""
    if ":" in args.mult:
        if not isinstance(parse_any(args.mult), MulConfig):  # refused before any import or simulation
            raise MBMError(f"--mult {args.mult}: this command runs built-in multipliers only: "
                           f"allowed {', '.join(MULTIPLIERS)}")
        return multiplier(args)
    bits = DEFAULT_BITS if args.bits is None else args.bits
    return MulConfig(mult=args.mult, bits=bits, trunc=args.trunc, frac_out=args.frac_out)
