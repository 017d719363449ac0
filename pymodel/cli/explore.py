"""``pymodel explore``: the command line of :mod:`pymodel.explore.run` (``make explore``)."""

from __future__ import annotations

import argparse
import os
import tomllib
from pathlib import Path

from pymodel.core.paths import REPO_ROOT
from pymodel.core.spec import GRAMMAR, parse_specs
from pymodel.explore import outputs
from pymodel.explore.budget import GRAMMAR as BUDGET_GRAMMAR
from pymodel.explore.budget import describe, from_max_abs, parse_budget
from pymodel.explore.run import EXHAUSTIVE_LIMIT, ExploreSettings, check_candidates, explore
from pymodel.hw.multiplier import resolve
from pymodel.nn import approx
from pymodel.nn.nets import SYNTHETIC_NOTE

SIGNOFF = REPO_ROOT / "signoff.toml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mults", default="mbm:8,mitchell:8,exact:8",
                        help=f"candidate multipliers: {GRAMMAR} (verilog: unsigned modules; no lut:)")
    parser.add_argument("--layers", default="all", help="'all' (the 14 decoder layers) or a name/glob/comma list")
    parser.add_argument("--budget", help=f"accuracy budget: {BUDGET_GRAMMAR} (default: signoff.toml [accuracy])")
    parser.add_argument("--checkpoint", help="seed network checkpoint (default: bundled SYNTHETIC small model)")
    parser.add_argument("--data", help="nyu_test.zip, its folder or the labeled .mat (default: SYNTHETIC scenes)")
    parser.add_argument("--images", type=int, default=2, help="images to evaluate (the first N)")
    parser.add_argument("--calib-images", type=int, default=2, help="images used to calibrate the multipliers")
    parser.add_argument("--cost-model", default="luts",
                        help="per-MAC cost: luts (Xilinx LUTs, no DSP), cells (generic gates) or ecp5 (make fpga-array)")
    parser.add_argument("--flip", action="store_true", help="average with the mirrored prediction")
    parser.add_argument("--backend", default="auto", help="integer kernel backend (pymodel.core.kernels)")
    parser.add_argument("--workers", type=int, default=0, help="local worker processes (default: cores)")
    parser.add_argument("--ray", action="store_true", help="rows as Ray tasks (ray.init() starts a local instance)")
    parser.add_argument("--ray-address", help="with --ray: HOST:PORT of an existing Ray cluster's head")
    parser.add_argument("--exhaustive-limit", type=int, default=EXHAUSTIVE_LIMIT,
                        help="search every assignment when candidates^layers is at most this")
    parser.add_argument("--out", type=Path, default=Path("reports/explore"), help="output folder")
    parser.add_argument("--resume", action="store_true", help="keep finished rows of a matching run in --out")


def default_budget() -> dict:
    acc = tomllib.loads(SIGNOFF.read_text())["accuracy"]
    return from_max_abs(acc["max_abs_deviation_pct"])


def main(args: argparse.Namespace) -> int:
    from pymodel.core.errors import MBMError

    parsed = parse_specs(args.mults)
    check_candidates(parsed)  # before importing anything
    budget = parse_budget(args.budget) if args.budget else default_budget()
    if args.images < 1 or args.calib_images < 1:
        raise MBMError(f"--images={args.images} --calib-images={args.calib_images}: allowed 1 or more")
    if args.ray_address and not args.ray:
        raise MBMError("--ray-address needs --ray")
    settings = ExploreSettings(
        candidates=[resolve(c) for c in parsed], budget=budget, layers=args.layers, checkpoint=args.checkpoint,
        data=args.data, images=args.images, calib_images=args.calib_images, cost_model=args.cost_model, flip=args.flip,
        backend=args.backend, workers=args.workers or os.cpu_count() or 1, ray=args.ray,
        ray_address=args.ray_address, resume=args.resume, exhaustive_limit=args.exhaustive_limit, out=args.out,
        options=approx.ScaleOptions(),
    )
    print(f"budget: {describe(budget)}")
    doc = explore(settings)
    paths = outputs.write_outputs(doc, args.out, SIGNOFF.read_text())
    print(outputs.format_tables(doc))
    print(f"cost model: {doc['cost_model']['description']}")
    print(f"\nwrote {args.out}/explore.json, rows.jsonl, {', '.join(p.name for p in paths)} in {doc['seconds']:.1f} s")
    if doc["synthetic"]:
        print(f"NOTE: {SYNTHETIC_NOTE}")
    return 0
