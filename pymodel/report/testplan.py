"""Testplans (tb/<dut>/testplan.toml) and their mapping onto the RTL regression results.

Each DUT of :data:`sim.regressions.DUTS` has one testplan listing every feature the spec
requires, the regression runs that prove it and the cover points that must be 100 %, so the
report can answer "which line of the spec is proven by what" instead of listing tests.
Features only a pytest test can prove (lint, illegal parameters) name that test and are shown
without a result: those results are not persisted, and the report does not invent one.

Run names are checked against the registry; cover points against what a run recorded (names
as in the run record's coverage, without the test-name prefix: ``operands.carry``), so a
testplan cannot drift from either. Every check fails with a one-line :class:`MBMError`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT, TB_DIR
from pymodel.hw.sim.record import SKIPPED
from pymodel.hw.sim.regressions import DUTS, REGRESSIONS

PASS, FAIL, NOT_RUN, PYTEST = "PASS", "FAIL", "NOT RUN", "pytest"
#: a listed cover point proves its feature only with every bin hit
FULL_PCT = 100.0
_KEYS = {"name", "description", "runs", "cover", "pytest"}


@dataclass(frozen=True)
class Feature:
    """One testplan line: proven either by regression ``runs`` (+ ``cover``) or by ``pytest``."""

    name: str
    description: str
    runs: tuple[str, ...] = ()
    cover: tuple[str, ...] = ()
    pytest: str = ""


@dataclass(frozen=True)
class Testplan:
    dut: str
    path: Path
    features: tuple[Feature, ...]


def plan_path(root: Path, dut: str) -> Path:
    return root / TB_DIR.relative_to(REPO_ROOT) / dut / "testplan.toml"


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise MBMError(f"{where}: {key}={value!r} is invalid: allowed a list of names")
    return tuple(value)


def _feature(entry: Any, path: Path, dut: str, root: Path, index: int) -> Feature:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise MBMError(f"{path}: feature #{index + 1} has no name: allowed [[feature]] with name = \"...\"")
    where = f"{path}: feature {entry['name']!r}"
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise MBMError(f"{where}: unknown key {unknown[0]!r}: allowed {', '.join(sorted(_KEYS))}")
    if not isinstance(entry.get("description"), str) or not entry["description"]:
        shown = entry.get("description")
        raise MBMError(f"{where}: description={shown!r} is invalid: allowed a one-line text")
    runs = _strings(entry.get("runs", []), where, "runs")
    cover = _strings(entry.get("cover", []), where, "cover")
    test = entry.get("pytest", "")
    if bool(runs) == bool(test) or (cover and not runs):
        raise MBMError(f"{where}: allowed either runs (with optional cover) or pytest, exactly one")
    own = [r.name for r in REGRESSIONS if r.dut == dut]
    for run in runs:
        if run not in own:
            raise MBMError(
                f"{where}: unknown run {run!r}: allowed a {dut} run of pymodel/hw/sim/regressions.py ({', '.join(own)})"
            )
    if test:
        file, _, func = str(test).partition("::")
        source = root / file
        if not source.is_file() or not re.search(rf"^def {re.escape(func)}\(", source.read_text(), re.M):
            raise MBMError(
                f"{where}: pytest={test!r} does not exist: allowed tests/<layer>/<file>.py::<test function>"
            )
    return Feature(entry["name"], entry["description"], runs, cover, str(test))


def load_testplans(root: Path, recorded: Mapping[str, Iterable[str]] | None = None) -> list[Testplan]:
    """The testplans of every DUT that ``root`` (a checkout) holds, validated.

    recorded: run name -> the cover points that run recorded (:func:`recorded_points`); a
    listed cover point that a recorded run lacks is an error. Runs without records (not run
    yet, build failure) cannot be checked for cover points and are left to the report.
    """
    plans = []
    for dut in DUTS:
        path = plan_path(root, dut)
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise MBMError(f"testplan {path} is not valid TOML: {err}") from None
        if set(data) != {"feature"} or not isinstance(data["feature"], list):
            raise MBMError(f"testplan {path}: allowed only [[feature]] tables, found {sorted(data)}")
        features = tuple(_feature(e, path, dut, root, i) for i, e in enumerate(data["feature"]))
        names = [f.name for f in features]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise MBMError(f"testplan {path}: feature {dupes[0]!r} appears twice: allowed unique names")
        for feature in features:
            for run in feature.runs:
                known = set((recorded or {}).get(run, ()))
                bad = [p for p in feature.cover if known and p not in known]
                if bad:
                    raise MBMError(
                        f"{path}: feature {feature.name!r}: unknown cover point {bad[0]!r} in run {run!r}: "
                        f"allowed {', '.join(sorted(known))}"
                    )
        plans.append(Testplan(dut, path, features))
    return plans


def recorded_points(rec: dict[str, Any]) -> dict[str, float]:
    """Cover point name -> percent of one record; ``Test.group / item`` becomes ``group.item``."""
    out = {}
    for row in rec.get("coverage_points", []):
        group, sep, item = row["point"].partition(" / ")
        name = f"{group.split('.', 1)[-1]}.{item}" if sep else group
        out[name] = row["pct"]
    return out


def records_by_run(records: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The RTL records grouped by the regression run that wrote them (their ``run`` key)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        if rec.get("run"):
            out.setdefault(str(rec["run"]), []).append(rec)
    return out


def recorded_by_run(records: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """Run name -> every cover point its records hold: what :func:`load_testplans` checks against."""
    by_run = records_by_run(records)
    return {run: {p for rec in recs for p in recorded_points(rec)} for run, recs in by_run.items()}


def _evaluate_feature(feature: Feature, runs: Mapping[str, list[dict[str, Any]]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": feature.name,
        "description": feature.description,
        "pytest": feature.pytest,
        "runs": [],
        "cover": [],
        "reasons": [],
    }
    if feature.pytest:
        return row | {"status": PYTEST}
    # a run skipped under one simulator (not installed) proves nothing and fails nothing: the
    # RTL check reports it; the feature rests on the simulators that ran it
    ran = {run: [r for r in runs.get(run, []) if str(r["result"]).upper() != SKIPPED] for run in feature.runs}
    for run in feature.runs:
        recs = ran[run]
        passed = all(str(r["result"]).upper() == PASS for r in recs)
        result = NOT_RUN if not recs else PASS if passed else FAIL
        row["runs"].append({"name": run, "result": result})
        if result == FAIL:
            row["reasons"].append(f"run {run} failed")
    for point in feature.cover:
        measured = [
            (run, recorded_points(r).get(point)) for run in feature.runs for r in ran[run]
        ]
        low = [(run, pct) for run, pct in measured if pct is None or pct < FULL_PCT]
        shown = min((pct for _, pct in measured if pct is not None), default=None)
        row["cover"].append({"point": point, "pct": None if any(p is None for _, p in measured) else shown})
        for run, pct in low:
            got = "not recorded" if pct is None else f"{pct:.1f} %"
            row["reasons"].append(f"cover point {point} {got} in run {run}")
    statuses = [r["result"] for r in row["runs"]]
    row["status"] = FAIL if row["reasons"] else NOT_RUN if NOT_RUN in statuses else PASS
    return row


def evaluate(plans: list[Testplan], records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per DUT, every feature with its runs' results, its cover points' lowest percentage over
    those runs and a status: PASS, FAIL (a run failed, a point below 100 % or not recorded),
    NOT RUN (a run has no result) or ``pytest`` (proven outside the report)."""
    runs = records_by_run(records)
    return [
        {"dut": p.dut, "file": str(p.path), "features": [_evaluate_feature(f, runs) for f in p.features]}
        for p in plans
    ]
