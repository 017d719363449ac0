"""``verilator --lint-only -Wall`` over every RTL module, and the illegal-parameter checks.

Each DUT of :data:`sim.regressions.DUTS` is linted for each of its legal parameter sets
(must be warning-free) and elaborated with each illegal set (must fail, printing the
expected message). Any other ``rtl/**/*.v`` file (the FPGA bring-up under rtl/bringup/
included) is linted as its own top with default parameters, so nothing in rtl/ escapes.
Modules are found with ``-y`` on every folder of rtl/.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pymodel.hw.sim.regressions import DUTS
from pymodel.hw.sim.runner import RTL_DIR, param_tag, verilator_env


@dataclass
class LintCase:
    """One lint run and whether it came out as expected."""

    top: str
    parameters: dict[str, int]
    expect: str  # "clean" or the message an illegal set must print
    ok: bool
    output: str
    seconds: float

    @property
    def label(self) -> str:
        return f"{self.top} {param_tag(self.parameters)}"


def _rtl_files() -> list[Path]:
    return sorted(RTL_DIR.rglob("*.v"))


def lint_command(top: str, parameters: Mapping[str, int]) -> list[str]:
    files = {f.stem: f for f in _rtl_files()}
    folders = sorted({str(f.parent) for f in files.values()})
    return [
        "verilator",
        "--lint-only",
        "-Wall",
        *(arg for d in folders for arg in ("-y", d)),
        "--top-module",
        top,
        str(files[top]),
        *(f"-G{k}={v}" for k, v in parameters.items()),
    ]


def lint(top: str, parameters: Mapping[str, int] = {}, expect: str = "clean") -> LintCase:
    """Lint ``top``; with ``expect`` other than "clean", elaboration must fail printing it."""
    verilator_env()
    start = time.perf_counter()
    proc = subprocess.run(lint_command(top, parameters), capture_output=True, text=True, cwd=RTL_DIR.parent)
    output = proc.stdout + proc.stderr
    if expect == "clean":
        ok = proc.returncode == 0 and "%Warning" not in output and "%Error" not in output
    else:
        ok = proc.returncode != 0 and expect in output
    return LintCase(top, dict(parameters), expect, ok, output, time.perf_counter() - start)


def cases() -> list[tuple[str, dict[str, int], str]]:
    """(top, parameters, expect) of every lint run: registered DUTs, then other rtl/*.v."""
    out = []
    for dut in DUTS.values():
        out += [(dut.toplevel, dict(p), "clean") for p in dut.lint_ok]
        out += [(dut.toplevel, dict(p), msg) for p, msg in dut.lint_illegal]
    registered = {d.toplevel for d in DUTS.values()}
    out += [(f.stem, {}, "clean") for f in _rtl_files() if f.stem not in registered]
    return out


def lint_all() -> list[LintCase]:
    return [lint(top, params, expect) for top, params, expect in cases()]
