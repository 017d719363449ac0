"""Command-line front end: ``python -m pymodel <command> ...``.

Each command lives in its own module exposing ``add_arguments(parser)`` and ``main(args)``.
Only the chosen command's module is imported, so ``characterize`` does not pay for torch.
Errors raised as :class:`~pymodel.core.errors.MBMError` become one line on stderr and exit 2;
Ctrl-C exits 130 after the command has saved what it finished.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pymodel.core.arith import MAX_BITS, MIN_BITS, MULTIPLIERS, MulConfig
from pymodel.core.errors import MBMError

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "characterize": ("pymodel.core.characterize", "error statistics of a multiplier (bias, MRED, peak, NMED)"),
    "lut": ("pymodel.core.lut", "export a product lookup table (npy or $readmemh hex)"),
    "cosim": ("pymodel.hw.cosim", "co-simulate a real conv layer tile through the MAC array RTL"),
    "vectors": ("pymodel.hw.vectors", "write FPGA test-vector sets (.hex/.coe/.mif + manifest)"),
    "replay": ("pymodel.hw.replay", "replay vector sets through the plain-Verilog bench (verilator --binary)"),
    "report": ("pymodel.report", "sign-off report: verdict, RTL, co-simulation, accuracy, synthesis cost (reports/signoff.*)"),
    "sweep": ("pymodel.nn.sweep", "per-layer accuracy sweep of the depth network: metrics and % deviation from exact"),
    "fpga": ("pymodel.cli.fpga", "ECP5 bring-up bitstream of a vector set: synthesis, place and route, timing, netlist simulation, equivalence"),
    "bench": ("pymodel.nn.bench", "time the approximate conv backends against exact conv on the 14 decoder layers"),
}


def add_mul_arguments(parser: argparse.ArgumentParser, *, default_mult: str = "mbm") -> None:
    """The multiplier options every command shares: --mult --bits --trunc --frac-out."""
    parser.add_argument("--mult", default=default_mult, help=f"multiplier: {', '.join(MULTIPLIERS)}")
    parser.add_argument("--bits", type=int, default=8, help=f"operand magnitude width N, {MIN_BITS}..{MAX_BITS}")
    parser.add_argument("--trunc", type=int, default=0, help="MBM-t operand truncation t, 0..N-8")
    parser.add_argument("--frac-out", action="store_true", help="keep the N-1 product fraction bits")


def mul_config(args: argparse.Namespace) -> MulConfig:
    """Build (and so validate) the MulConfig named by :func:`add_mul_arguments` options."""
    return MulConfig(mult=args.mult, bits=args.bits, trunc=args.trunc, frac_out=args.frac_out)


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pymodel", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text.replace("%", "%%"), description=help_text)
        if name == chosen:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    chosen = next((a for a in argv if a in COMMANDS), None)
    args = _parser(chosen).parse_args(argv)
    try:
        return int(importlib.import_module(COMMANDS[args.command][0]).main(args) or 0)
    except MBMError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished results were kept", file=sys.stderr)
        return 130
