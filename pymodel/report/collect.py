"""Read the result files the other commands write, and say plainly which ones are missing.

Every source knows the command that produces it, so a section with no data can tell the
reader what to run instead of showing an empty table. Files are read as written by their
producers (the schemas are documented there); a file that is not valid JSON or lacks a key
the report needs is recorded as a problem, which the verdict turns into a FAIL. RTL results
are read strictly as :mod:`pymodel.hw.sim.record` records: any other shape is a problem.

| source    | files (under the reports directory unless noted) | produced by      |
| --------- | ------------------------------------------------ | ---------------- |
| rtl       | rtl/*.json, one TestRecord per test; else the     | ``make sim``     |
|           | runner's <repo>/build/sim/results/summary.json    |                  |
| cosim     | cosim/*.json (layer tiles) and cosim-all/*.json  | ``make cosim``,  |
|           | (whole layers), one per layer each                | ``make cosim-all``|
| accuracy  | accuracy/sweep.json (+ *.png charts)              | ``make accuracy``|
| bench     | bench.json                                        | ``make bench``   |
| fpga      | fpga/*.json, one per design (pymodel.hw.fpga.flow) | ``make fpga``    |
| fpga_array| fpga/array/summary.json (pymodel.hw.fpga.array)  | ``make fpga-array`` |
| vectors   | <repo>/vectors/**/manifest.json (pymodel.hw.vectors)  | ``make vectors`` |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.cosim import DEFAULT_OUT as COSIM_OUT
from pymodel.hw.cosim_all import DEFAULT_OUT as COSIM_ALL_OUT
from pymodel.hw.sim.record import FAIL, PASS, SKIPPED, SUMMARY_FILE, Summary, TestRecord
from pymodel.hw.sim.runner import RESULTS_ROOT
from pymodel.hw.vectors import MANIFEST
from pymodel.nn.bench import DEFAULT_OUT as BENCH_OUT
from pymodel.nn.sweep import DEFAULT_OUT as SWEEP_OUT
from pymodel.nn.sweep import SCHEMA as SWEEP_SCHEMA
from pymodel.nn.sweep import SWEEP_FILE


@dataclass
class Source:
    """One kind of result file: what was found, what was wrong, and who makes it."""

    key: str
    title: str
    pattern: str  #: where the files are looked for, as shown to the reader
    command: str  #: the make target that produces them (the quickest, where several do)
    data: Any = None  #: list of records (one per file) or the one file's content
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    charts: list[Path] = field(default_factory=list)  #: PNG figures the producer drew

    @property
    def missing(self) -> bool:
        return not self.files

    @property
    def hint(self) -> str:
        """The line a section shows instead of data."""
        return f"no {self.pattern} found: run `{self.command}`"

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "pattern": self.pattern,
            "command": self.command,
            "missing": self.missing,
            "files": self.files,
            "problems": self.problems,
        }


#: (key, title, globs relative to its root, command, required keys per record, root is repo?);
#: co-simulation has two producers: the tiles of ``make cosim`` and the whole layers of
#: ``make cosim-all``, each in its own folder (the same layer names), judged alike.
_SOURCES: tuple[tuple[str, str, tuple[str, ...], str, tuple[str, ...], bool], ...] = (
    ("rtl", "RTL regression", ("rtl/*.json",), "make sim", (), False),
    ("cosim", "real-layer co-simulation", (f"{COSIM_OUT.name}/*.json", f"{COSIM_ALL_OUT.name}/*.json"),
     "make cosim", ("layer", "mismatches"), False),
    ("accuracy", "accuracy sweep", (f"{SWEEP_OUT.name}/{SWEEP_FILE}",), "make accuracy", ("schema", "rows"), False),
    ("bench", "backend benchmark", (BENCH_OUT.name,), "make bench", ("rows",), False),
    (
        "fpga",
        "FPGA implementation",
        ("fpga/*.json",),
        "make fpga",
        ("design", "device", "target_mhz", "fmax_mhz", "timing_met", "utilization", "bitstream_sha256"),
        False,
    ),
    (
        "fpga_array",
        "MAC array on ECP5 (place and route)",
        ("fpga/array/summary.json",),
        "make fpga-array",
        ("points",),
        False,
    ),
    (
        "vectors",
        "FPGA vector sets",
        (f"vectors/**/{MANIFEST}",),
        "make vectors",
        ("dut", "config", "files"),
        True,
    ),
)


def _read(path: Path, required: tuple[str, ...], problems: list[str]) -> Any:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        problems.append(f"{path}: not readable JSON ({err})")
        return None
    if required:
        if not isinstance(data, dict):
            problems.append(f"{path}: expected a JSON object, found {type(data).__name__}")
            return None
        absent = [k for k in required if k not in data]
        if absent:
            problems.append(f"{path}: lacks key {', '.join(repr(k) for k in absent)}")
            return None
    return data


#: what ``pymodel sim regress`` (make sim) writes: every run with its test records
SIM_SUMMARY = (RESULTS_ROOT / SUMMARY_FILE).relative_to(REPO_ROOT)


def rtl_row(rec: TestRecord, file: str = "") -> dict[str, Any]:
    """The report's row of one test record: its fields plus params, message (the
    failures), expect_fail and its cover points (:func:`coverage_points`)."""
    return {
        **rec.to_json(),
        "params": rec.parameters,
        "message": "; ".join(rec.failures),
        "expect_fail": False,
        "coverage_points": coverage_points(rec.coverage),
        **({"_file": file} if file else {}),
    }


def rtl_from_summary(summary: Summary) -> list[dict[str, Any]]:
    """One row per test of every run in the runner's summary.

    A run marked ``expect_fail`` (a deliberately wrong model, proving the bench can fail)
    passes when it did fail: its rows say so instead of reporting the FAIL they hold.
    A run that produced no record (a build failure) becomes one row with the reason; a run
    skipped because its simulator is missing one SKIPPED row with the reason (never a pass).
    Every row names its simulator.
    """
    rows = []
    for run in summary.runs:
        base: dict[str, Any] = {"run": run.name, "dut": run.dut, "params": run.parameters, "expect_fail": run.expect_fail,
                                "simulator": run.simulator}
        if run.expect_fail and not run.skipped:
            outcome = f"must fail (deliberately wrong model): {'it did' if run.ok else 'it did NOT'}"
            base["message"] = "; ".join(filter(None, [outcome, run.why]))
        if not run.records:
            result = SKIPPED if run.skipped else PASS if run.ok else FAIL
            rows.append({**base, "test": run.name, "result": result, "seed": run.seed,
                         "message": base.get("message", run.why), "coverage_points": []})
        for rec in run.records:
            row = {**rtl_row(rec), **base, "test": f"{run.name} / {rec.test}"}
            if run.expect_fail:
                row["result"] = PASS if run.ok else FAIL
            rows.append(row)
    return rows


def coverage_points(coverage: dict[str, dict]) -> list[dict[str, Any]]:
    """Cover points as rows {point, hit, bins, pct} of a record's coverage
    ({group: {"items": {point: {"hit": h, "bins": b}}, ...}}, see TestRecord)."""
    return [
        {"point": f"{group} / {point}", "hit": item["hit"], "bins": item["bins"],
         "pct": 100.0 * item["hit"] / item["bins"] if item["bins"] else 100.0}
        for group, summary in coverage.items()
        for point, item in summary["items"].items()
    ]


def _rtl(source: Source, repo: Path) -> None:
    """The RTL rows: rtl/*.json test records, else the runner's summary; a file of any other
    shape is a problem naming it."""
    rows = []
    for path in map(Path, source.files):
        try:
            rows.append(rtl_row(TestRecord.read(path), str(path)))
        except MBMError as err:
            source.problems.append(str(err))
    summary = repo / SIM_SUMMARY
    if source.missing and summary.is_file():
        source.files = [str(summary)]
        try:
            rows = rtl_from_summary(Summary.read(summary))
        except MBMError as err:
            source.problems.append(str(err))
    source.data = sorted(rows, key=lambda r: (str(r["dut"]), str(r["test"]), str(r.get("simulator") or "")))


def collect(out_dir: Path, repo: Path) -> dict[str, Source]:
    """Every source of :data:`_SOURCES`, read from ``out_dir`` (reports/) or ``repo``."""
    sources = {}
    for key, title, globs, command, required, in_repo in _SOURCES:
        root = repo if in_repo else out_dir
        shown = " or ".join(g if in_repo else str(out_dir / g) for g in globs)
        source = Source(key, title, shown, command)
        paths = [p for g in globs for p in sorted(root.glob(g))]
        source.files = [str(p) for p in paths]
        sources[key] = source
        if key == "rtl":  # read strictly as TestRecords below
            continue
        records = [(p, _read(p, required, source.problems)) for p in paths]
        records = [(p, r) for p, r in records if r is not None]
        if "*" in shown:
            source.data = [r | {"_file": str(p)} if isinstance(r, dict) else r for p, r in records]
        else:
            source.data = records[0][1] if records else None
    cosim = sources["cosim"]
    for rec in [
        r for r in cosim.data if not isinstance(r["mismatches"], int) or isinstance(r["mismatches"], bool)
    ]:
        cosim.problems.append(f"{rec['_file']}: mismatches={rec['mismatches']!r} is not a count")
        cosim.data.remove(rec)
    sweep = sources["accuracy"]
    if isinstance(sweep.data, dict) and sweep.data["schema"] != SWEEP_SCHEMA:
        sweep.problems.append(
            f"{sweep.files[0]}: schema {sweep.data['schema']!r}, the report reads {SWEEP_SCHEMA!r}"
        )
        sweep.data = None
    _rtl(sources["rtl"], repo)
    sources["accuracy"].charts = sorted((out_dir / SWEEP_OUT.name).glob("*.png"))
    return sources
