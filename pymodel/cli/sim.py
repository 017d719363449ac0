"""``pymodel sim regress [--full]``, ``pymodel sim lint`` and ``pymodel sim list`` (``make sim``, ``make lint``).

regress: builds and runs the RTL regressions of :mod:`pymodel.hw.sim.regressions` (in parallel,
``--jobs``) under Verilator, and the Icarus subset under Icarus Verilog too (``--sim icarus``:
every run under Icarus alone), prints a summary table with a simulator column read from the
per-test result records and writes it to ``build/sim/results/summary.json``; exit status 1
if any run failed (a run that must fail, proving the bench can, counts as passed when it
does fail with mismatches). Where a simulator is missing (``iverilog`` not on PATH) its
runs are SKIPPED with the reason, in the table, the last line and the summary, and never
count as passed; exit status 1 if nothing ran at all.
lint: see :mod:`pymodel.hw.sim.lint`; exit status 1 on any warning or missing parameter error.
list: the registered regressions.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from pymodel.hw.sim import regressions, runner
from pymodel.hw.sim.lint import STYLE, lint_all
from pymodel.hw.sim.record import SIMULATORS, SUMMARY_FILE, RunRecord, Summary


def _params(p: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in p.items())


def _console() -> Console:
    """A console at least 160 columns wide: CI logs and pipes are not terminals, and rich's
    80-column default would fold the summary table's parameter column into many rows."""
    console = Console()
    return console if console.is_terminal else Console(width=160)


@dataclass
class Outcome:
    """One (run, simulator) pair of a regression: its result (None when the build failed or
    the simulator is missing), whether it did what it must, why not, how long it took."""

    reg: regressions.Regression
    simulator: str
    result: runner.SimResult | None
    ok: bool
    why: str
    seconds: float
    skipped: bool = False

    @property
    def label(self) -> str:
        return f"{self.reg.name} ({self.simulator})"


def regress(args: argparse.Namespace) -> int:
    console = _console()
    jobs_planned = regressions.plan(full=args.full, dut=args.dut, pattern=args.k, simulator=args.sim)
    if not jobs_planned:
        console.print("no regression matches")
        return 2
    jobs = max(1, args.jobs or min(4, os.cpu_count() or 1))
    sims = sorted({sim for _, sim in jobs_planned}, key=SIMULATORS.index)
    console.print(
        f"[bold]RTL regression[/]: {len(jobs_planned)} runs{' (full)' if args.full else ''} under {', '.join(sims)}, "
        f"{jobs} in parallel; logs and records under {runner.RESULTS_ROOT}"
    )
    start = time.perf_counter()
    outcomes: dict[tuple[str, str], Outcome] = {}
    absent = {sim: runner.missing(sim) for sim in sims}
    with ThreadPoolExecutor(jobs) as pool:
        futures = []
        for reg, sim in jobs_planned:
            if absent[sim]:  # reported, never run, never passed
                outcomes[reg.name, sim] = Outcome(reg, sim, None, False, absent[sim], 0.0, skipped=True)
                console.print(f"  [yellow]SKIPPED[/] {reg.name} ({sim}): {absent[sim]}")
            else:
                futures.append(pool.submit(_run_one, reg, sim, args.seed))
        for fut in as_completed(futures):
            out = fut.result()
            outcomes[out.reg.name, out.simulator] = out
            mark = "[green]ok[/]" if out.ok else "[red]FAILED[/]"
            console.print(f"  {mark} {out.label} ({out.seconds:.1f} s){': ' + out.why if out.why else ''}")
    rows = [outcomes[reg.name, sim] for reg, sim in jobs_planned]
    console.print(_table(rows))
    wall = time.perf_counter() - start
    _write_summary(rows, wall)
    failed = [o for o in rows if not o.ok and not o.skipped]
    skipped = [o for o in rows if o.skipped]
    passed = len(rows) - len(failed) - len(skipped)
    skip_note = "".join(
        f"; {sum(o.simulator == sim for o in skipped)} SKIPPED under {sim}: {why}" for sim, why in absent.items() if why
    )
    if failed:
        console.print(f"[red bold]{len(failed)} of {len(rows)} runs FAILED[/] in {wall:.1f} s{skip_note}:")
        for o in failed:
            where = o.result.log if o.result is not None else "build"
            console.print(f"  {o.label}: {o.why} (log {where}; replay with SEED={o.result.seed if o.result else '?'})")
        return 1
    if not passed:
        console.print(f"[red bold]no run ran[/]{skip_note}")
        return 1
    if skipped:
        console.print(f"[yellow bold]{passed} of {len(rows)} runs passed[/] in {wall:.1f} s{skip_note}")
        return 0
    console.print(f"[green bold]all {len(rows)} runs passed[/] in {wall:.1f} s")
    return 0


def _run_one(reg: regressions.Regression, simulator: str, seed: int | None) -> Outcome:
    start = time.perf_counter()
    try:
        result = reg.run(seed=seed, simulator=simulator)
    except RuntimeError as err:  # build failure
        return Outcome(reg, simulator, None, False, str(err).splitlines()[0], time.perf_counter() - start)
    ok, why = reg.verdict(result)
    return Outcome(reg, simulator, result, ok, why, time.perf_counter() - start)


def _table(rows: list[Outcome]) -> Table:
    table = Table(title="RTL regression summary", show_lines=False)
    for col, justify in [
        ("test", "left"),
        ("simulator", "left"),
        ("parameters", "left"),
        ("transactions", "right"),
        ("coverage %", "right"),
        ("result", "left"),
        ("seconds", "right"),
        ("tx/s", "right"),
        ("seed", "right"),
    ]:
        table.add_column(col, justify=justify)
    for o in rows:
        records = o.result.records if o.result is not None else []
        if not records:
            verdict = "[yellow]SKIPPED[/]" if o.skipped else "[red]FAIL[/]" if not o.ok else "ok"
            table.add_row(o.reg.name, o.simulator, _params(o.reg.parameters), "-", "-", verdict, f"{o.seconds:.1f}", "-", "-")
            continue
        for rec in records:
            verdict = rec.result
            if o.reg.expect_fail:
                verdict = "FAIL (expected)" if o.ok else "PASS (should fail)"
            style = "green" if o.ok else "red"
            table.add_row(
                f"{o.reg.name} / {rec.test}",
                o.simulator,
                _params(rec.parameters),
                f"{rec.transactions:,}",
                "-" if rec.coverage_pct is None else f"{rec.coverage_pct:.1f}",
                f"[{style}]{verdict}[/]",
                f"{rec.seconds:.1f}",
                f"{rec.tps:,.0f}",
                str(rec.seed),
            )
    return table


def _write_summary(rows: list[Outcome], wall: float) -> None:
    runs = [
        RunRecord(
            name=o.reg.name,
            dut=o.reg.dut,
            parameters=dict(o.reg.parameters),
            expect_fail=o.reg.expect_fail,
            ok=o.ok,
            why=o.why,
            seconds=round(o.seconds, 2),
            build_seconds=round(o.result.build_seconds, 2) if o.result else None,
            seed=o.result.seed if o.result else None,
            records=o.result.records if o.result else [],
            simulator=o.simulator,
            skipped=o.skipped,
        )
        for o in rows
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
        sims = "verilator+icarus" if reg.icarus else "verilator"
        print(f"{reg.name:40} {reg.dut:16} {reg.testcase:22} {sims:17} {_params(reg.parameters)} {tags}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sim_command", metavar="{regress,lint,list}", required=True)
    p = sub.add_parser("regress", help="build and run the RTL regression, print a summary table")
    p.add_argument("--full", action="store_true", help="also the slow soak runs")
    p.add_argument("--dut", choices=sorted(regressions.DUTS), help="only this DUT's runs")
    p.add_argument("-k", metavar="TEXT", help="only runs whose name contains TEXT")
    p.add_argument("-j", "--jobs", type=int, default=0, help="runs in parallel (default: cores, at most 4)")
    p.add_argument("--seed", type=int, help="seed of every run (default: SEED or a fresh one per run)")
    p.add_argument("--sim", choices=SIMULATORS,
                   help="every selected run under this simulator alone (default: every run under Verilator "
                        "and the icarus-marked ones under Icarus Verilog too; `SIM=icarus make sim`)")
    p.set_defaults(func=regress)
    sub.add_parser("lint", help="verilator --lint-only -Wall on every RTL module").set_defaults(func=lint)
    sub.add_parser("list", help="list the registered regressions").set_defaults(func=list_regressions)


def main(args: argparse.Namespace) -> int:
    return args.func(args)
