"""Where the repository's non-Python sources and outputs live.

Why one module: the Verilog under ``rtl/``, the testbench sources, ``build/`` and
``reports/`` are found relative to the source checkout by the simulator runner, the replay
benches, synthesis and the report; each used to compute the root on its own.
"""

from __future__ import annotations

from pathlib import Path

#: the repository root (a source checkout: ``rtl/`` is not part of an installed wheel)
REPO_ROOT = Path(__file__).resolve().parents[2]
#: synthesizable Verilog, one module per file
RTL_DIR = REPO_ROOT / "rtl"
#: the pyuvm benches and the plain-Verilog replay benches
TB_DIR = REPO_ROOT / "pymodel" / "hw" / "tb"
#: every build product (simulator builds, replay binaries, synthesis) goes below this
BUILD_DIR = REPO_ROOT / "build"
