"""``pymodel report``: the command line of :mod:`pymodel.report`."""

from __future__ import annotations

import argparse
from pathlib import Path

from pymodel.core.paths import REPO_ROOT


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", default=str(REPO_ROOT / "signoff.toml"), help="thresholds file (signoff.toml)"
    )
    parser.add_argument("--out", default="reports", help="reports directory: read results, write signoff.*")
    parser.add_argument(
        "--repo",
        default=str(REPO_ROOT),
        help="checkout whose rtl/, vectors/ and build/sim/results/summary.json are read (default: this one)",
    )
    parser.add_argument(
        "--run-missing",
        action="store_true",
        help="synthesize what is not cached yet (Yosys); the make target of other missing results is named",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 unless the verdict is PASS")

def main(args: argparse.Namespace) -> int:
    from pymodel.report.config import load_config
    from pymodel.report.render import build_report, write_report

    cfg = load_config(args.config)
    out = Path(args.out)
    if args.run_missing:
        print(f"hardware cost: Yosys synthesizes what {out / 'synth'} does not hold yet (about 40 s for all;")
        print("  the first use on a machine also compiles Yosys' WebAssembly, about 1 min, cached after)")
    report = build_report(cfg, out, Path(args.repo), run_missing=args.run_missing)
    for path in write_report(report, out):
        print(f"wrote {path}")
    from pymodel.report.browser import check_html, find_chromium

    if find_chromium():
        browser = check_html(out / "signoff.html")
        print(f"browser check (headless Chromium): {'ok' if browser.ok else 'FAILED'}, {browser.describe()}")
        if not browser.ok:
            return 1
    else:
        print("browser check skipped: no chromium on PATH (Debian: apt-get install chromium)")
    verdict = report["verdict"]
    print(f"verdict: {verdict['status']}")
    for check in verdict["checks"]:
        print(f"  {check['status']:<10} {check['name']}: {check['summary']}")
        for reason in check["reasons"]:
            print(f"             - {reason}")
    for source in report["sources"].values():
        if source["missing"] and source["command"] not in ("make sim", "make cosim", "make accuracy"):
            print(f"  (no {source['pattern']}: run `{source['command']}` to include the {source['title']})")
    return 1 if args.check and verdict["status"] != "PASS" else 0
