"""``pymodel fpga``: the bring-up bitstream of one vector set on an ECP5 board (`make fpga`,
FPGA_ARGS="--set NAME --board NAME --clock MHZ"; see pymodel.hw.fpga.flow), and ``pymodel fpga
array``: the MAC array's utilization and Fmax sweep (`make fpga-array`, FPGA_ARRAY_ARGS; see
pymodel.hw.fpga.array)."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.core.paths import BUILD_DIR, REPO_ROOT


def _array_arguments(parser: argparse.ArgumentParser) -> None:
    from pymodel.hw.fpga import array
    from pymodel.hw.fpga.boards import BOARDS, DEFAULT_BOARD

    parser.add_argument("--board", default=DEFAULT_BOARD, help=f"{', '.join(BOARDS)} (default {DEFAULT_BOARD})")
    parser.add_argument("--clock", type=float, help="target MHz (default: the board's oscillator)")
    parser.add_argument("--mult", nargs="+", default=list(array.MULTS), metavar="MULT",
                        help=f"{', '.join(array.MULTS)} or verilog:PATH.v[:MODULE][:signed], an imported "
                             f"module in the slot (default {' '.join(array.MULTS)})")
    parser.add_argument("--lanes", nargs="+", type=int, default=list(array.LANES),
                        help=f"LANES values (default {' '.join(map(str, array.LANES))})")
    parser.add_argument("--skid", type=int, default=0, choices=(0, 1), help="1: the array's SKID register slice")
    parser.add_argument("--pipe", type=int, default=0, choices=(0, 1), help="1: the array's PIPE register stage")


def _array(args: argparse.Namespace) -> int:
    from pymodel.hw.fpga import array
    from pymodel.hw.fpga.boards import board

    brd = board(args.board)
    bad = [n for n in args.lanes if not 1 <= n <= 1024]
    if bad:
        raise MBMError(f"--lanes {bad[0]} is out of range: allowed 1..1024 (mbm_mac_array's LANES)")
    points = [array.point_of(m, n, skid=args.skid, pipe=args.pipe) for n in args.lanes for m in args.mult]
    array.sweep(points, brd, args.clock or brd.clock_mhz)
    return 0


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
    sub = parser.add_subparsers(dest="fpga_command", metavar="{array}")
    _array_arguments(sub.add_parser("array", help="the MAC array's LUT4/FF/DSP/Fmax on ECP5 (make fpga-array)",
                                    description="mbm/mitchell/exact (or an imported verilog: module) x LANES through synth_ecp5 "
                                                "and nextpnr-ecp5: "
                                                "reports/fpga/array/<point>.json and summary.json"))


def main(args: argparse.Namespace) -> int:
    from pymodel.hw.fpga import flow
    from pymodel.hw.fpga.boards import board

    if args.fpga_command == "array":
        return _array(args)
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
