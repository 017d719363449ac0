"""Read the result files the other commands write, and say plainly which ones are missing.

Every source knows the command that produces it, so a section with no data can tell the
reader what to run instead of showing an empty table. Files are read as written by their
producers (the schemas are documented there); a file that is not valid JSON or lacks a key
the report needs is recorded as a problem, which the verdict turns into a FAIL.

| source    | files (under the reports directory unless noted) | produced by      |
| --------- | ------------------------------------------------ | ---------------- |
| rtl       | rtl/*.json, one per test; else the runner's       | ``make sim``     |
|           | <repo>/build/sim/results/summary.json             |                  |
| cosim     | cosim/*.json, one per layer                       | ``make cosim``   |
| accuracy  | accuracy/sweep.json (+ *.png charts)              | ``make accuracy``|
| bench     | bench.json                                        | ``make bench``   |
| fpga      | fpga/*.json, one per design (pymodel.hw.fpga.flow) | ``make fpga``    |
| vectors   | <repo>/vectors/**/manifest.json (pymodel.hw.vectors)  | ``make vectors`` |
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Source:
    """One kind of result file: what was found, what was wrong, and who makes it."""

    key: str
    title: str
    pattern: str  #: where the files are looked for, as shown to the reader
    command: str  #: the make target that produces them
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


#: (key, title, glob relative to its root, command, required keys per record, root is repo?)
_SOURCES: tuple[tuple[str, str, str, str, tuple[str, ...], bool], ...] = (
    ("rtl", "RTL regression", "rtl/*.json", "make sim", ("test", "result"), False),
    ("cosim", "real-layer co-simulation", "cosim/*.json", "make cosim", ("layer", "mismatches"), False),
    ("accuracy", "accuracy sweep", "accuracy/sweep.json", "make accuracy", ("schema", "rows"), False),
    ("bench", "backend benchmark", "bench.json", "make bench", ("rows",), False),
    (
        "fpga",
        "FPGA implementation",
        "fpga/*.json",
        "make fpga",
        ("design", "device", "target_mhz", "fmax_mhz", "timing_met", "utilization", "bitstream_sha256"),
        False,
    ),
    (
        "vectors",
        "FPGA vector sets",
        "vectors/**/manifest.json",
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


#: the sweep.json layout this report understands (pymodel.nn.sweep.SCHEMA)
SWEEP_SCHEMA = "mbm-accuracy-sweep/2"
#: what ``pymodel sim regress`` (make sim) writes: every run with its test records
SIM_SUMMARY = "build/sim/results/summary.json"


def rtl_from_summary(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per test of every run in the runner's summary.

    A run marked ``expect_fail`` (a deliberately wrong model, proving the bench can fail)
    passes when it did fail: its records say so instead of reporting the FAIL they hold.
    A run that produced no record (a build failure) becomes one record with the reason.
    """
    records = []
    for run in summary.get("runs", []):
        base = {
            "run": run["name"],
            "dut": run.get("dut") or run["name"],
            "params": run.get("parameters") or {},
            "expect_fail": bool(run.get("expect_fail")),
        }
        ok, why = bool(run.get("ok")), run.get("why") or ""
        if base["expect_fail"]:
            outcome = f"must fail (deliberately wrong model): {'it did' if ok else 'it did NOT'}"
            base["message"] = "; ".join(filter(None, [outcome, why]))
        if not run.get("records"):
            records.append(
                {
                    **base,
                    "test": run["name"],
                    "result": "PASS" if ok else "FAIL",
                    "seed": run.get("seed"),
                    "message": base.get("message", why),
                }
            )
        for rec in run.get("records") or []:
            merged = {**rec, **base, "test": f"{run['name']} / {rec.get('test')}"}
            if base["expect_fail"]:
                merged["result"] = "PASS" if ok else "FAIL"
            records.append(merged)
    return records


def coverage_points(coverage: Any) -> list[dict[str, Any]]:
    """Cover points as rows {point, hit, bins, pct}, from either record shape.

    The agreed flat shape is {point: percent}; the testbench (pymodel.hw.tb.common.coverage) writes
    {group: {"items": {point: {"hit": h, "bins": b}}, ...}}, with hit and bin counts.
    """
    rows = []
    for name, value in (coverage or {}).items() if isinstance(coverage, dict) else []:
        if isinstance(value, dict) and isinstance(value.get("items"), dict):
            for point, item in value["items"].items():
                hit, bins = int(item.get("hit", 0)), int(item.get("bins", 0))
                rows.append(
                    {
                        "point": f"{name} / {point}",
                        "hit": hit,
                        "bins": bins,
                        "pct": 100.0 * hit / bins if bins else 100.0,
                    }
                )
        elif isinstance(value, (int, float)):
            rows.append({"point": name, "hit": None, "bins": None, "pct": float(value)})
    return rows


def collect(out_dir: Path, repo: Path) -> dict[str, Source]:
    """Every source of :data:`_SOURCES`, read from ``out_dir`` (reports/) or ``repo``."""
    sources = {}
    for key, title, pattern, command, required, in_repo in _SOURCES:
        root = repo if in_repo else out_dir
        shown = pattern if in_repo else str(out_dir / pattern)
        source = Source(key, title, shown, command)
        paths = sorted(root.glob(pattern))
        source.files = [str(p) for p in paths]
        records = [(p, _read(p, required, source.problems)) for p in paths]
        records = [(p, r) for p, r in records if r is not None]
        if "*" in pattern:
            source.data = [r | {"_file": str(p)} if isinstance(r, dict) else r for p, r in records]
        else:
            source.data = records[0][1] if records else None
        sources[key] = source
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
    summary = repo / SIM_SUMMARY
    if sources["rtl"].missing and summary.is_file():
        data = _read(summary, ("runs",), sources["rtl"].problems)
        sources["rtl"].files = [str(summary)]
        sources["rtl"].data = rtl_from_summary(data) if data else []
    for rec in sources["rtl"].data:
        # the testbench record (pymodel.hw.tb.common.results) names these "parameters", "run", "failures"
        rec.setdefault("params", rec.get("parameters") or {})
        rec.setdefault("dut", rec.get("run") or "")
        rec.setdefault("message", "; ".join(map(str, rec.get("failures") or [])))
        rec["coverage_points"] = coverage_points(rec.get("coverage"))
    sources["rtl"].data.sort(key=lambda r: (str(r["dut"]), str(r["test"])))
    sources["accuracy"].charts = sorted((out_dir / "accuracy").glob("*.png"))
    return sources
