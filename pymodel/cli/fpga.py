"""``python -m pymodel fpga``: the bring-up bitstream of one vector set on an ECP5 board
(`make fpga`, FPGA_ARGS="--set NAME --board NAME --clock MHZ"); see pymodel.hw.fpga.flow."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.core.paths import BUILD_DIR, REPO_ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from pymodel.hw.fpga import bringup
    from pymodel.hw.fpga.boards import BOARDS, DEFAULT_BOARD
    from pymodel.hw.fpga.sim import SIMULATORS

    parser.add_argument("--set", default=bringup.DEFAULT_SET,
                        help=f"vector set, its folder below --vectors (default {bringup.DEFAULT_SET})")
    parser.add_argument("--board", default=DEFAULT_BOARD, help=f"{', '.join(BOARDS)} (default {DEFAULT_BOARD})")
    parser.add_argument("--clock", type=float, help="design clock in MHz: the board oscillator (default) or 10..400 through the ECP5 PLL")
    parser.add_argument("--stall", type=int, default=bringup.STALL_PCT,
                        help=f"stall probability on each side of the DUT, percent 0..99 (default {bringup.STALL_PCT})")
    parser.add_argument("--baud", type=int, default=bringup.BAUD, help=f"UART baud rate (default {bringup.BAUD})")
    parser.add_argument("--vectors", default=str(REPO_ROOT / "vectors"), help="vector-set root (default vectors/)")
    parser.add_argument("--build", default=str(BUILD_DIR / "fpga"), help="build root (default build/fpga/)")
    parser.add_argument("--reports", default=str(REPO_ROOT / "reports" / "fpga"), help="report folder (default reports/fpga/)")
    parser.add_argument("--no-sim", action="store_true", help="skip the RTL and netlist bring-up simulations")
    parser.add_argument("--netlist-sim", choices=SIMULATORS, default=SIMULATORS[0],
                        help="simulator of the post-synthesis netlist (icarus: 4-state, minutes; default verilator)")
    parser.add_argument("--no-equiv", action="store_true", help="skip the formal equivalence proofs")


def main(args: argparse.Namespace) -> int:
    from pymodel.hw.fpga import flow
    from pymodel.hw.fpga.boards import board

    b = board(args.board)
    opts = flow.Options(
        set_name=args.set, board=b, clock_mhz=b.clock_mhz if args.clock is None else args.clock,
        stall_pct=args.stall, baud=args.baud, vectors=Path(args.vectors), build_root=Path(args.build),
        reports=Path(args.reports), simulate=not args.no_sim, prove=not args.no_equiv,
        netlist_simulator=args.netlist_sim,
    )
    report, status = flow.run(opts)
    for line in flow.summary(report):
        print(line)
    if not report["timing_met"]:
        cp = report["critical_path"]
        print(f"error: timing not met: slack {report['slack_ns']:+.3f} ns at {report['target_mhz']:g} MHz "
              f"(Fmax {report['fmax_mhz']:.1f} MHz), critical path {cp['from']} -> {cp['to']}")
    elif status:
        print("error: a bring-up simulation or an equivalence proof failed (see above)")
    return status
