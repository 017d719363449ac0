"""``pymodel sim regress [--full]``, ``pymodel sim lint`` and ``pymodel sim list`` (``make sim``, ``make lint``).

regress: builds and runs the RTL regressions of :mod:`pymodel.hw.sim.regressions` (in parallel,
``--jobs``), prints a summary table read from the per-test result records and writes it
to ``build/sim/results/summary.json``; exit status 1 if any run failed (a run that must
fail, proving the bench can, counts as passed when it does fail with mismatches).
lint: see :mod:`pymodel.hw.sim.lint`; exit status 1 on any warning or missing parameter error.
list: the registered regressions.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed

from rich.console import Console
from rich.table import Table

from pymodel.hw.sim import regressions, runner
from pymodel.hw.sim.lint import STYLE, lint_all
from pymodel.hw.sim.record import SUMMARY_FILE, RunRecord, Summary


def _params(p: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in p.items())


def _console() -> Console:
    """A console at least 160 columns wide: CI logs and pipes are not terminals, and rich's
    80-column default would fold the summary table's parameter column into many rows."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


def regress(args: argparse.Namespace) -> int:
    console = _console()
    selected = regressions.select(full=args.full, dut=args.dut, pattern=args.k)
    if not selected:
        console.print("no regression matches")
        return 2
    jobs = max(1, args.jobs or min(4, os.cpu_count() or 1))
    console.print(
        f"[bold]RTL regression[/]: {len(selected)} runs{' (full)' if args.full else ''}, {jobs} in parallel; "
        f"logs and records under {runner.RESULTS_ROOT}"
    )
    start = time.perf_counter()
    outcomes: dict[str, tuple] = {}
    with ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(_run_one, reg, args.seed): reg for reg in selected}
        for fut in as_completed(futures):
            reg = futures[fut]
            result, ok, why, seconds = fut.result()
            outcomes[reg.name] = (reg, result, ok, why, seconds)
            mark = "[green]ok[/]" if ok else "[red]FAILED[/]"
            console.print(f"  {mark} {reg.name} ({seconds:.1f} s){': ' + why if why else ''}")
    rows = [outcomes[reg.name] for reg in selected]
    console.print(_table(rows))
    failed = [r for r in rows if not r[2]]
    wall = time.perf_counter() - start
    _write_summary(rows, wall)
    if failed:
        console.print(f"[red bold]{len(failed)} of {len(rows)} runs FAILED[/] in {wall:.1f} s:")
        for reg, result, _, why, _ in failed:
            where = result.log if result is not None else "build"
            console.print(f"  {reg.name}: {why} (log {where}; replay with SEED={result.seed if result else '?'})")
        return 1
    console.print(f"[green bold]all {len(rows)} runs passed[/] in {wall:.1f} s")
    return 0


def _run_one(reg: regressions.Regression, seed: int | None):
    start = time.perf_counter()
    try:
        result = reg.run(seed=seed)
    except RuntimeError as err:  # build failure
        return None, False, str(err).splitlines()[0], time.perf_counter() - start
    ok, why = reg.verdict(result)
    return result, ok, why, time.perf_counter() - start


def _table(rows) -> Table:
    table = Table(title="RTL regression summary", show_lines=False)
    for col, justify in [
        ("test", "left"),
        ("parameters", "left"),
        ("transactions", "right"),
        ("coverage %", "right"),
        ("result", "left"),
        ("seconds", "right"),
        ("tx/s", "right"),
        ("seed", "right"),
    ]:
        table.add_column(col, justify=justify)
    for reg, result, ok, why, seconds in rows:
        records = result.records if result is not None else []
        if not records:
            table.add_row(reg.name, _params(reg.parameters), "-", "-", "[red]FAIL[/]" if not ok else "ok", f"{seconds:.1f}", "-", "-")
            continue
        for rec in records:
            verdict = rec.result
            if reg.expect_fail:
                verdict = "FAIL (expected)" if ok else "PASS (should fail)"
            style = "green" if ok else "red"
            table.add_row(
                f"{reg.name} / {rec.test}",
                _params(rec.parameters),
                f"{rec.transactions:,}",
                "-" if rec.coverage_pct is None else f"{rec.coverage_pct:.1f}",
                f"[{style}]{verdict}[/]",
                f"{rec.seconds:.1f}",
                f"{rec.tps:,.0f}",
                str(rec.seed),
            )
    return table


def _write_summary(rows, wall: float) -> None:
    runs = [
        RunRecord(
            name=reg.name,
            dut=reg.dut,
            parameters=dict(reg.parameters),
            expect_fail=reg.expect_fail,
            ok=ok,
            why=why,
            seconds=round(seconds, 2),
            build_seconds=round(result.build_seconds, 2) if result else None,
            seed=result.seed if result else None,
            records=result.records if result else [],
        )
        for reg, result, ok, why, seconds in rows
    ]
    Summary(round(wall, 2), runs).write(runner.RESULTS_ROOT / SUMMARY_FILE)


def lint(_args: argparse.Namespace) -> int:
    console = _console()
    results = lint_all()
    table = Table(title="verilator --lint-only -Wall")
    for col in ("module", "parameters", "expected", "result"):
        table.add_column(col)
    for case in results:
        table.add_row(
            case.top,
            _params(case.parameters) or "(defaults)",
            {"clean": "lint clean", STYLE: STYLE}.get(case.expect, f"error: {case.expect}"),
            "[green]ok[/]" if case.ok else "[red]FAILED[/]",
        )
    console.print(table)
    bad = [c for c in results if not c.ok]
    for case in bad:
        console.print(f"[red]{case.label}[/] (expected {case.expect!r}):\n{case.output.strip()}")
    console.print(f"{len(results) - len(bad)} of {len(results)} lint checks as expected")
    return 1 if bad else 0


def list_regressions(_args: argparse.Namespace) -> int:
    for reg in regressions.REGRESSIONS:
        tags = " ".join(t for t, on in (("slow", reg.slow), ("expect-fail", reg.expect_fail)) if on)
        print(f"{reg.name:40} {reg.dut:16} {reg.testcase:22} {_params(reg.parameters)} {tags}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sim_command", metavar="{regress,lint,list}", required=True)
    p = sub.add_parser("regress", help="build and run the RTL regression, print a summary table")
    p.add_argument("--full", action="store_true", help="also the slow soak runs")
    p.add_argument("--dut", choices=sorted(regressions.DUTS), help="only this DUT's runs")
    p.add_argument("-k", metavar="TEXT", help="only runs whose name contains TEXT")
    p.add_argument("-j", "--jobs", type=int, default=0, help="runs in parallel (default: cores, at most 4)")
    p.add_argument("--seed", type=int, help="seed of every run (default: SEED or a fresh one per run)")
    p.set_defaults(func=regress)
    sub.add_parser("lint", help="verilator --lint-only -Wall on every RTL module").set_defaults(func=lint)
    sub.add_parser("list", help="list the registered regressions").set_defaults(func=list_regressions)


def main(args: argparse.Namespace) -> int:
    return args.func(args)
