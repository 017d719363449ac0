"""The per-test result record a testbench leaves for ``pymodel sim regress``.

Each cocotb test writes ``<SIM_RESULTS_DIR>/<test>.json``, a
:class:`~pymodel.hw.sim.record.TestRecord` (the one shape the runner and the report read).
Outside the runner (no SIM_RESULTS_DIR) nothing is written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pymodel.hw.sim.record import TestRecord


def sim_params() -> dict[str, int]:
    """The HDL parameters the runner built the DUT with (``SIM_PARAMS``, JSON)."""
    return {k: int(v) for k, v in json.loads(os.environ.get("SIM_PARAMS", "{}")).items()}


def run_seed() -> int:
    """The seed the whole run was started with (what SEED=... replays).

    cocotb reseeds ``random`` per test from this seed and the test's name; that derived value
    is ``cocotb.RANDOM_SEED`` inside a test and seeds the testbench's own generators.
    """
    import cocotb

    return int(os.environ.get("COCOTB_RANDOM_SEED") or cocotb.RANDOM_SEED)


def env_int(name: str, default: int) -> int:
    """An integer setting from the environment, e.g. SAMPLES, with a default."""
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def write_record(test: str, **fields: Any) -> Path | None:
    """Write the :class:`TestRecord` of ``test`` (``fields`` are its other fields; run,
    dut and parameters come from the runner); returns its path (None outside the runner)."""
    out = os.environ.get("SIM_RESULTS_DIR")
    if not out:
        return None
    import cocotb

    record = TestRecord(test=test, run=os.environ.get("SIM_RUN_NAME", ""), dut=cocotb.top._name,
                        parameters=sim_params(), **fields)
    return record.write(Path(out))
