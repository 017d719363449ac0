"""``pymodel vectors``: the command line of :mod:`pymodel.hw.vectors`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.cli.common import add_mul_arguments, mul_config, multiplier
from pymodel.core.arith import MulConfig
from pymodel.hw.vectors import (
    ARRAY_KINDS,
    DUTS,
    MUL_KINDS,
    RANDOM_COUNT,
    array_set,
    default_sets,
    git_commit,
    mul_set,
    write_set,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="vectors", help="output folder (default vectors/)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random and layer sets")
    parser.add_argument("--dut", choices=DUTS, help="write one set for this DUT instead of the default list "
                                                    "(an imported --mult: its two mbm_mac_array sets; "
                                                    "mbm_mul/mbm_mul_signed: its mbm_mul_axis set for `pymodel fpga`)")
    parser.add_argument("--kind", default="random", help=f"with --dut: {', '.join(MUL_KINDS + ARRAY_KINDS)}")
    parser.add_argument("--count", type=int, default=RANDOM_COUNT, help="with --kind random: operand pairs")
    parser.add_argument("--lanes", type=int, default=16, help="with --dut mbm_mac_array: MAC lanes")
    parser.add_argument("--layer", default="synthetic", help="with --dut mbm_mac_array: conv layer (see cosim)")
    parser.add_argument("--tile", default="0:0:2:4", help="with --dut mbm_mac_array: output tile I0:J0:H:W")
    add_mul_arguments(parser)

def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    m = multiplier(args)
    if not isinstance(m, MulConfig) and args.dut in (None, "mbm_mac_array"):  # the module in the array's slot
        kinds = ARRAY_KINDS if args.dut is None else (args.kind,)
        sets = [array_set(kind, m, args.lanes, args.seed, args.layer, args.tile) for kind in kinds]
    elif not isinstance(m, MulConfig):  # the module in mbm_mul_axis's slot (the bring-up, ARRAY=0)
        sets = [mul_set(args.dut, args.kind, m, args.seed, args.count)]
    elif args.dut is None:
        sets = default_sets(args.seed)
    elif args.dut == "mbm_mac_array":
        sets = [array_set(args.kind, m, args.lanes, args.seed, args.layer, args.tile)]
    else:
        sets = [mul_set(args.dut, args.kind, mul_config(args), args.seed, args.count)]
    commit = git_commit()
    for vs in tqdm(sets, desc="vectors", unit="set"):
        folder = write_set(vs, Path(args.out), commit)
        tqdm.write(f"{folder}: {', '.join(f'{k}={v}' for k, v in vs.counts.items())}")
    return 0
