"""`make fpga-array` (``pymodel fpga array``): the MAC array's utilization and Fmax on ECP5 after place and route,
for MBM, Mitchell and exact products at the same N, LANES and ACC_W, and for an imported
``verilog:`` module in the array's slot (:func:`point_of`; its record names it by ``spec`` and
``table_sha256``).

Why a separate top: the bring-up drives mbm_mul_axis from ROMs; the array's cost needs the
array alone, with inputs no synthesis can fold and outputs none can drop, but an IO count
that fits any board (rtl/bringup/mbm_array_fpga_top.v: LFSR-fed operand registers, outputs
XOR-folded into eight LED pins; its harness cost is in the totals and named there). synth_ecp5
runs with its defaults, so exact products map to MULT18X18D DSP blocks and the approximate
ones to LUT4s: the like-for-like comparison an engineer gets from the default flow.

Files: build/fpga/array/<board>/<point>/ (synth.ys, synth.log, top.json, board.lpf,
pnr.log, report.json), reports/fpga/array/<point>.json per point and
reports/fpga/array/summary.json with every point measured so far (a sweep that stops part way
leaves what it finished). Not reports/fpga/*.json: those are the bring-up's design records.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, TableMultiplier, spec_of
from pymodel.core.paths import BUILD_DIR, REPO_ROOT
from pymodel.core.spec import ImportSpec, parse_any
from pymodel.hw import cores
from pymodel.hw.array_params import array_parameters
from pymodel.hw.fpga import flow, tools
from pymodel.hw.fpga.boards import DEFAULT_BOARD, Board, board

TOP = "mbm_array_fpga_top"
MULTS = ("mbm", "mitchell", "exact")
LANES = (1, 4, 16, 64)
REPORTS = REPO_ROOT / "reports" / "fpga"
SUMMARY_FILE = "array/summary.json"  #: under the reports' fpga/: what the sign-off report reads
#: the resources a point reports per lane
PER_LANE = ("lut4", "ff", "dsp", "bram")


@dataclass(frozen=True)
class Point:
    """One array build: multiplier, lanes, N, accumulator width and the register slices.

    mult: mbm, mitchell or exact (N = ``bits``), or ``verilog`` with ``imported`` the module
    in the slot (its own N; a ``--mult`` value's point: :func:`point_of`)."""

    mult: str
    lanes: int
    bits: int = 8
    acc_w: int = 32
    skid: int = 0
    pipe: int = 0
    imported: TableMultiplier | None = None

    @property
    def name(self) -> str:
        """e.g. ``mbm-l16``, ``exact-l16-skid-pipe`` (N=8 is left out of the name) or, for an
        imported module, ``trunc_mul_s-l4``."""
        n = "" if self.bits == 8 else f"-n{self.bits}"
        head = self.imported.name if self.imported else f"{self.mult}{n}"
        return f"{head}-l{self.lanes}" + ("-skid" if self.skid else "") + ("-pipe" if self.pipe else "")

    @property
    def cfg(self) -> Multiplier:
        return self.imported or MulConfig(self.mult, self.bits)

    def parameters(self) -> dict[str, int]:
        slices = {k: v for k, v in (("SKID", self.skid), ("PIPE", self.pipe)) if v}
        return array_parameters(self.cfg, self.lanes, self.acc_w, **slices)

    def identity(self) -> dict[str, str]:
        """What a record carries to name an imported module's point beyond its name: the
        canonical spec and the table's sha256 (how the explorer's cost model finds it)."""
        return {"spec": spec_of(self.imported), "table_sha256": self.imported.table.sha256} if self.imported else {}


def point_of(mult: str, lanes: int, **kw: int) -> Point:
    """The point of a ``--mult`` value: mbm, mitchell, exact, or a ``verilog:`` spec (resolved,
    its N the module's); a ``lut:`` spec or anything else is a one-line MBMError."""
    if mult in MULTS:
        return Point(mult, lanes, **kw)
    from pymodel.hw.multiplier import resolve

    parsed = parse_any(mult) if ":" in mult else None
    if not isinstance(parsed, ImportSpec) or parsed.kind != "verilog":
        what = "a table has no RTL to place" if isinstance(parsed, ImportSpec) else "unknown multiplier"
        raise MBMError(f"--mult {mult!r}: {what}: allowed {', '.join(MULTS)} or verilog:PATH.v[:MODULE][:signed]")
    m = resolve(parsed)
    return Point(m.mult, lanes, m.bits, imported=m, **kw)


def synthesize(point: Point, folder: Path) -> dict[str, int]:
    """synth_ecp5 of the array top with the point's parameters (an imported module's
    wrapper and file read first); returns Yosys's cell counts."""
    from pymodel.hw.imported_rtl import slot

    files = flow.stage([*(slot(point.imported).hdl if point.imported else ()), *cores.sources(TOP)], folder)
    params = " ".join(f"-chparam {k} {v}" for k, v in point.parameters().items())
    (folder / "synth.ys").write_text("\n".join([
        "read_verilog -defer " + " ".join(files),
        f"hierarchy -top {TOP} {params}",
        f"synth_ecp5 -top {TOP} -json top.json",
        "tee -q -o stat.json stat -json",
    ]) + "\n")
    tools.run("yosys", ["-q", "-l", "synth.log", "synth.ys"], folder, "synth.out")
    stat = json.loads((folder / "stat.json").read_text())
    return {k: int(v) for k, v in stat["design"]["num_cells_by_type"].items() if not k.startswith("$")}


def measure(point: Point, brd: Board, clock_mhz: float, build_root: Path = BUILD_DIR / "fpga" / "array",
            reports: Path = REPORTS) -> dict[str, Any]:
    """Synthesis and place and route of one point; its record (also written to
    <reports>/array/<point>.json)."""
    folder = (build_root / brd.name / point.name).resolve()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    start = time.perf_counter()
    cells = synthesize(point, folder)
    synth_s = time.perf_counter() - start
    pnr = flow.nextpnr(brd, clock_mhz, folder)
    used = flow.utilization(pnr)
    record = {
        "point": point.name, "mult": point.mult, **point.identity(), "lanes": point.lanes, "bits": point.bits,
        "acc_w": point.acc_w,
        "skid": point.skid, "pipe": point.pipe, "parameters": point.parameters(), "top": TOP,
        "board": brd.name, "device": brd.device.name, "target_mhz": clock_mhz,
        **flow.timing(pnr, clock_mhz), "utilization": used,
        "per_lane": {k: round(used[k]["used"] / point.lanes, 2) for k in PER_LANE},
        "yosys_cells": cells, "synth_s": round(synth_s, 1), "wall_s": round(time.perf_counter() - start, 1),
    }
    out = reports / "array" / f"{point.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1) + "\n")
    return record


def write_summary(records: list[dict[str, Any]], path: Path) -> None:
    """The summary: every point's record, the tools and how the harness counts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "top": TOP, "tools": tools.versions(),
        "harness": "included in every total: (LANES+1)*(N+1)+ACC_W+24 FFs of LFSR-fed operand registers "
                   "and about LANES*(ACC_W+1)/3 LUT4s of output XOR folding",
        "dsp": "synth_ecp5 defaults: exact products map to MULT18X18D",
        "points": records,
    }, indent=1) + "\n")


def sweep(points: list[Point], brd: Board, clock_mhz: float, log=print, build_root: Path = BUILD_DIR / "fpga" / "array",
          reports: Path = REPORTS) -> list[dict[str, Any]]:
    """Measure each point in turn, rewriting the summary after each (kept: the points of
    other names already in it for the same board, read again before each write so that two
    sweeps run side by side, e.g. a slow point in the background, keep each other's points)."""
    summary = reports / SUMMARY_FILE
    done: dict[str, dict[str, Any]] = {}
    for p in points:
        log(f"fpga-array: {p.name} on {brd.name} ...")
        r = measure(p, brd, clock_mhz, build_root, reports)
        old = json.loads(summary.read_text())["points"] if summary.exists() else []
        done = {q["point"]: q for q in old if q.get("board") == brd.name}
        done[p.name] = r
        write_summary(list(done.values()), summary)
        log(f"fpga-array: {p.name}: LUT4 {r['utilization']['lut4']['used']}, FF {r['utilization']['ff']['used']}, "
            f"DSP {r['utilization']['dsp']['used']}, Fmax {r['fmax_mhz']:.1f} MHz ({r['wall_s']:.0f} s)")
    return list(done.values())
