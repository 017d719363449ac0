"""``pymodel replay``: the command line of :mod:`pymodel.hw.replay`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.hw.replay import replay_set
from pymodel.hw.vectors import MANIFEST, load_set


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="*", default=["vectors"], help="vector folders (searched for manifest.json)")
    parser.add_argument("--stall", type=int, default=20, help="MAC array: input/output stall probability, percent 0..99")
    parser.add_argument("--seed", type=int, default=1, help="stall pattern seed")

def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if not 0 <= args.stall <= 99:
        raise MBMError(f"--stall={args.stall} is out of range: allowed 0..99")
    manifests = sorted(m for d in args.dirs for m in Path(d).glob(f"**/{MANIFEST}"))
    if not manifests:
        raise MBMError(f"no {MANIFEST} under {', '.join(args.dirs)}: run `python -m pymodel vectors` first")
    counts = {m: load_set(m.parent).manifest["counts"] for m in manifests}  # refuse damage before building
    failed = 0
    for manifest in tqdm(manifests, desc="replay", unit="set"):
        r = replay_set(manifest.parent, stall=args.stall, seed=args.seed)
        unit = "beats" if "beats" in counts[manifest] else "vectors"
        rate = counts[manifest][unit] / r.seconds if r.seconds else 0.0
        tqdm.write(f"{'PASS' if r.ok else 'FAIL'} {r.name}: {r.passed} pass, {r.failed} fail, "
                   f"{r.seconds:.2f} s ({rate:,.0f} {unit}/s, process start and $readmemh included)")
        if not r.ok:
            failed += 1
            tqdm.write(r.output[-2000:])
    print(f"replay: {len(manifests) - failed} of {len(manifests)} sets passed")
    return 1 if failed else 0
