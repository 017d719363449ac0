"""Command-line front end: ``pymodel <command> ...`` (the console script; ``python -m pymodel`` too).

Each command lives in its own module, :mod:`pymodel.cli.<command>`, exposing
``add_arguments(parser)`` and ``main(args)``; the library modules it drives never import the CLI.
Shared options are in :mod:`pymodel.cli.common`.
Only the chosen command's module is imported, so ``characterize`` does not pay for torch.
Errors raised as :class:`~pymodel.core.errors.MBMError` become one line on stderr and exit 2;
Ctrl-C exits 130 after the command has saved what it finished.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pymodel.core.errors import MBMError

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "sim": ("pymodel.cli.sim", "RTL regression (regress), lint and the list of runs, under Verilator"),
    "characterize": ("pymodel.cli.characterize", "error statistics of a multiplier (bias, MRED, peak, NMED)"),
    "lut": ("pymodel.cli.lut", "export a product lookup table (npy or $readmemh hex)"),
    "cosim": ("pymodel.cli.cosim", "co-simulate a real conv layer tile through the MAC array RTL"),
    "cosim-all": ("pymodel.cli.cosim_all", "co-simulate every decoder layer of a forward pass in full through the MAC array RTL (resumable)"),
    "vectors": ("pymodel.cli.vectors", "write FPGA test-vector sets (.hex/.coe/.mif + manifest)"),
    "replay": ("pymodel.cli.replay", "replay vector sets through the plain-Verilog bench (verilator --binary)"),
    "report": ("pymodel.cli.report", "sign-off report: verdict, RTL, co-simulation, accuracy, synthesis cost (reports/signoff.*)"),
    "sweep": ("pymodel.cli.sweep", "per-layer accuracy sweep of the depth network: metrics and % deviation from exact"),
    "explore": ("pymodel.cli.explore", "design-space exploration: which multiplier in which layer within an accuracy budget, at what hardware cost"),
    "fpga": ("pymodel.cli.fpga", "ECP5 bring-up bitstream of a vector set: synthesis, place and route, timing, netlist simulation, equivalence"),
    "bench": ("pymodel.cli.bench", "time the approximate conv backends against exact conv on the 14 decoder layers"),
}


def _parser(chosen: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pymodel", description=__doc__.splitlines()[0])
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
