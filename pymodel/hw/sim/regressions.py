"""The registry of RTL regressions: which DUTs exist, how to lint them, which runs make up
``make sim`` (and ``make sim-full``), and so the parameters of the pytest RTL tests.

Adding a DUT is its core file rtl/<top>.core (its sources) and one :class:`Dut` entry in
:data:`DUTS` (test module, legal and illegal lint parameter sets); adding a run is one
:class:`Regression` line in :data:`REGRESSIONS`. ``pymodel sim regress``, ``pymodel sim lint``
and tests/hw/test_rtl_regressions.py all read from here, so they cannot drift apart.

Every run is a Verilator run; the runs marked ``icarus`` (at least one per DUT, see
:func:`_check_registry`) also run under Icarus Verilog in ``make sim``, with the same bench
and scoreboard, and ``--sim icarus`` (``SIM=icarus make sim``) runs every selected run under
Icarus alone: :func:`plan` says which (run, simulator) pairs a selection makes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pymodel.core.arith import MulConfig
from pymodel.hw import cores, imported_rtl
from pymodel.hw.array_params import array_parameters
from pymodel.hw.sim import runner
from pymodel.hw.sim.runner import ICARUS, VERILATOR


@dataclass(frozen=True)
class Dut:
    """A simulatable RTL top: its cocotb test module (empty for the FPGA bring-up top, whose
    benches run from pytest through pymodel.hw.fpga), parameter sets that must lint clean
    with -Wall, and illegal ones with the text their elaboration error must contain. Its
    files are those of its core file, rtl/<toplevel>.core."""

    toplevel: str
    test_module: str
    lint_ok: tuple[Mapping[str, int], ...] = ({},)
    lint_illegal: tuple[tuple[Mapping[str, int], str], ...] = ()

    @property
    def sources(self) -> tuple[Path, ...]:
        """Its HDL files, dependencies first (:func:`pymodel.hw.cores.sources`)."""
        return cores.sources(self.toplevel)


_MUL_ILLEGAL = (
    ({"N": 3}, "N=3 is out of range: allowed 4..16"),
    ({"N": 17}, "N=17 is out of range: allowed 4..16"),
    ({"N": 7, "TRUNC": 1}, "TRUNC=1 is out of range for N=7: allowed 0..N-8"),
    ({"N": 12, "TRUNC": 5}, "TRUNC=5 is out of range for N=12: allowed 0..N-8"),
    ({"N": 8, "TRUNC": -1}, "TRUNC=-1 is out of range for N=8"),
    ({"FRAC_OUT": 2}, "FRAC_OUT=2 is not allowed: allowed 0 or 1"),
    ({"MITCHELL": 2}, "MITCHELL=2 is not allowed: allowed 0 or 1"),
)
_MUL_OK = (
    {},
    {"N": 4},
    {"N": 5, "MITCHELL": 1},
    {"N": 12, "TRUNC": 3},
    {"N": 16, "TRUNC": 8, "FRAC_OUT": 1},
)

DUTS: dict[str, Dut] = {
    "mbm_mul": Dut("mbm_mul", "pymodel.hw.tb.mbm_mul.test_mbm_mul", _MUL_OK, _MUL_ILLEGAL),
    "mbm_mul_signed": Dut(
        "mbm_mul_signed",
        "pymodel.hw.tb.mbm_mul_signed.test_mbm_mul_signed",
        _MUL_OK,
        _MUL_ILLEGAL[:2],
    ),
    "mbm_mul_axis": Dut(
        "mbm_mul_axis",
        "pymodel.hw.tb.mbm_mul_axis.test_mbm_mul_axis",
        ({}, {"LATENCY": 1}, {"SIGNED": 1, "LATENCY": 4}, {"N": 16, "TRUNC": 8, "FRAC_OUT": 1, "SIGNED": 1}),
        (
            ({"LATENCY": 0}, "LATENCY=0 is out of range: allowed 1 or more"),
            ({"SIGNED": 2}, "SIGNED=2 is not allowed: allowed 0 or 1"),
            ({"N": 20}, "N=20 is out of range: allowed 4..16"),
        ),
    ),
    "mbm_mac_array": Dut(
        "mbm_mac_array",
        "pymodel.hw.tb.mbm_mac_array.test_mbm_mac_array",
        (
            {},
            {"N": 4, "LANES": 1, "ACC_W": 10},
            {"N": 16, "TRUNC": 8, "FRAC_OUT": 1, "LANES": 16, "ACC_W": 63},
            {"N": 12, "TRUNC": 2, "MITCHELL": 1, "LANES": 7, "ACC_W": 26},
            {"EXACT": 1, "LANES": 16},
            {"N": 16, "FRAC_OUT": 1, "EXACT": 1, "SKID": 1, "PIPE": 1, "LANES": 3, "ACC_W": 56},
            {"N": 4, "SKID": 1, "LANES": 1, "ACC_W": 10},
            {"PIPE": 1, "MITCHELL": 1},
        ),
        (
            ({"LANES": 0}, "LANES=0 is out of range: allowed 1..1024"),
            ({"ACC_W": 17}, "ACC_W=17 is out of range: allowed 18..63"),
            ({"N": 16, "FRAC_OUT": 1, "ACC_W": 48}, "ACC_W=48 is out of range: allowed 49..63"),
            ({"ACC_W": 64}, "ACC_W=64 is out of range"),
            ({"N": 17}, "N=17 is out of range: allowed 4..16"),
            ({"N": 17, "EXACT": 1}, "N=17 is out of range: allowed 4..16"),
            ({"EXACT": 1, "MITCHELL": 1}, "EXACT=1 with MITCHELL=1 TRUNC=0 is not allowed: EXACT=1 needs MITCHELL=0 and TRUNC=0"),
            ({"N": 10, "EXACT": 1, "TRUNC": 2}, "EXACT=1 with MITCHELL=0 TRUNC=2 is not allowed"),
            ({"EXACT": 2}, "EXACT=2 is not allowed: allowed 0 or 1"),
            ({"SKID": 2}, "SKID=2 is not allowed: allowed 0 or 1"),
            ({"PIPE": -1}, "PIPE=-1 is not allowed: allowed 0 or 1"),
        ),
    ),
    "mbm_array_fpga_top": Dut(
        "mbm_array_fpga_top",
        "",
        ({}, {"EXACT": 1, "LANES": 1}, {"MITCHELL": 1, "SKID": 1, "PIPE": 1, "LANES": 64}),
        (({"EXACT": 1, "MITCHELL": 1}, "EXACT=1 with MITCHELL=1 TRUNC=0 is not allowed"),),
    ),
    "mbm_bringup_top": Dut(
        "mbm_bringup_top",
        "",
        ({}, {"SIGNED": 1, "COUNT": 1000, "BEATS": 1000}, {"N": 16, "TRUNC": 8, "FRAC_OUT": 1, "SIGNED": 1, "LATENCY": 1},
         {"STALL_PCT": 0, "REPEAT_MS": 0, "RST_ACTIVE_LOW": 0},
         {"ARRAY": 1, "LANES": 4, "ACC_W": 25, "COUNT": 4, "BEATS": 288},
         {"ARRAY": 1, "EXACT": 1, "SKID": 1, "PIPE": 1, "LANES": 16, "ACC_W": 28, "COUNT": 3, "BEATS": 3024, "STALL_PCT": 0}),
        (
            ({"ARRAY": 2}, "ARRAY=2 is not allowed: allowed 0 or 1"),
            ({"BEATS": 20}, "BEATS=20 with ARRAY=0 COUNT=16 is out of range"),
            ({"ARRAY": 1, "BEATS": 8}, "BEATS=8 with ARRAY=1 COUNT=16 is out of range"),
            ({"ARRAY": 1, "LANES": 0}, "LANES=0 is out of range: allowed 1..1024"),
            ({"COUNT": 1}, "COUNT=1 is out of range: allowed 2 or more"),
            ({"STALL_PCT": 100}, "STALL_PCT=100 is out of range: allowed 0..99"),
            ({"WATCHDOG": 8}, "WATCHDOG=8 is out of range: allowed 16 or more"),
            ({"LATENCY": 0}, "LATENCY=0 is out of range: allowed 1 or more"),
        ),
    ),
}


def cocotb_duts() -> list[str]:
    """The DUTs with a cocotb bench (every one but the FPGA tops): those with runs."""
    return [name for name, dut in DUTS.items() if dut.test_module]


@dataclass(frozen=True)
class Regression:
    """One simulation run: a DUT, HDL parameters, the cocotb test to run and what it must show.

    samples: random pairs (SAMPLES) for random tests; an exported SAMPLES overrides it for
    every run (quick looks, soaks). min_transactions: fewer checked transactions than this
    fails the run, unless SAMPLES was exported. slow: only in ``--full`` / ``pytest -m slow``.
    expect_fail: a deliberately wrong design or model, the bench must report mismatches.
    env: extra environment for the testbench (MODEL_OVERRIDE for expect_fail runs).
    mult: an imported multiplier's spec (path relative to the repository) in the DUT's
    multiplier slot (IMPORTED=1 parameters): its generated wrapper and file join the sources
    and the bench scores against its table (:func:`pymodel.hw.imported_rtl.bench_inputs`).
    icarus: also under Icarus Verilog in ``make sim`` (the second-simulator subset).
    """

    name: str
    dut: str
    parameters: Mapping[str, int]
    testcase: str
    samples: int | None = None
    min_transactions: int = 1
    slow: bool = False
    expect_fail: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    mult: str = ""

    def inputs(self) -> tuple[tuple[Path, ...], dict[str, str]]:
        """(HDL sources, bench environment) of this run."""
        extra, env = imported_rtl.bench_inputs(self.mult) if self.mult else ((), {})
        return (*extra, *DUTS[self.dut].sources), {**self.env, **env}
    icarus: bool = False

    def run(self, **kwargs) -> runner.SimResult:
        """Build and run it (see :func:`sim.runner.run` for the keyword arguments, among them
        ``simulator``)."""
        dut = DUTS[self.dut]
        sources, env = self.inputs()
        return runner.run(
            dut.toplevel,
            sources,
            self.parameters,
            dut.test_module,
            name=self.name,
            testcase=self.testcase,
            samples=self.samples,
            extra_env=env,
            **kwargs,
        )

    def verdict(self, result: runner.SimResult) -> tuple[bool, str]:
        """(ok, why) for a run of this regression, with expect_fail runs inverted."""
        mismatches = sum(r.mismatches for r in result.records)
        if self.expect_fail:
            if result.passed or not mismatches:
                return False, "the bench did NOT catch the deliberately wrong model"
            return True, f"caught: {mismatches:,} mismatches"
        if not result.passed:
            return False, "; ".join(f for r in result.records for f in r.failures) or result.error or "failed"
        checked = sum(r.transactions for r in result.records)
        if checked < self.min_transactions and not os.environ.get("SAMPLES"):  # SAMPLES=... is a user's choice
            return False, f"only {checked:,} transactions checked, {self.min_transactions:,} required"
        return True, ""


def _mul(n: int, trunc: int = 0, frac: int = 0, mitchell: int = 0) -> dict[str, int]:
    return MulConfig("mitchell" if mitchell else "mbm", n, trunc, bool(frac)).rtl_parameters()


def _mac(n: int, lanes: int, acc_w: int, trunc: int = 0, frac: int = 0, mult: str = "mbm", **slices: int) -> dict[str, int]:
    return array_parameters(MulConfig(mult, n, trunc, bool(frac)), lanes, acc_w, **slices)


def _axis(n: int, signed: int, latency: int, trunc: int = 0, frac: int = 0) -> dict[str, int]:
    return {**_mul(n, trunc, frac), "SIGNED": signed, "LATENCY": latency}


_MITCHELL_AS_MBM = {"MODEL_OVERRIDE": json.dumps({"mult": "mbm"})}
_TRUNC1_AS_TRUNC0 = {"MODEL_OVERRIDE": json.dumps({"trunc": 0})}

#: icarus=True: also under Icarus Verilog in `make sim` (a quick run of every DUT, and a run
#: that must fail, so the second simulator is shown able to fail too)
REGRESSIONS: tuple[Regression, ...] = (
    # unsigned core
    Regression("mul-n8-exhaustive", "mbm_mul", _mul(8), "MulExhaustiveTest", min_transactions=65_536,
               icarus=True),
    Regression("mul-n4-exhaustive", "mbm_mul", _mul(4), "MulExhaustiveTest", min_transactions=256),
    Regression("mul-n12-random", "mbm_mul", _mul(12), "MulRandomTest", samples=50_000, min_transactions=50_000),
    Regression("mul-n16-random", "mbm_mul", _mul(16), "MulRandomTest", samples=200_000, min_transactions=200_000),
    Regression("mul-n12-t3-random", "mbm_mul", _mul(12, trunc=3), "MulRandomTest", samples=50_000),
    Regression("mul-n16-t8-random", "mbm_mul", _mul(16, trunc=8), "MulRandomTest", samples=50_000),
    Regression("mul-n8-frac-exhaustive", "mbm_mul", _mul(8, frac=1), "MulExhaustiveTest", min_transactions=65_536),
    Regression("mul-n8-mitchell-exhaustive", "mbm_mul", _mul(8, mitchell=1), "MulExhaustiveTest", min_transactions=65_536),
    # sign-magnitude core
    Regression("signed-n8-exhaustive", "mbm_mul_signed", _mul(8), "SignedExhaustiveTest", min_transactions=261_121,
               icarus=True),
    Regression("signed-n4-exhaustive", "mbm_mul_signed", _mul(4), "SignedExhaustiveTest", min_transactions=961),
    Regression("signed-n12-t3-random", "mbm_mul_signed", _mul(12, trunc=3), "SignedRandomTest", samples=50_000),
    Regression("signed-n16-random", "mbm_mul_signed", _mul(16), "SignedRandomTest", samples=200_000, min_transactions=200_000),
    Regression("signed-n16-t8-frac-random", "mbm_mul_signed", _mul(16, trunc=8, frac=1), "SignedRandomTest", samples=50_000),
    # registered AXI-Stream version, random stalls and backpressure
    Regression("axis-n8-l2-random", "mbm_mul_axis", _axis(8, 0, 2), "AxisRandomTest", samples=20_000, icarus=True),
    Regression("axis-signed-n8-l1-random", "mbm_mul_axis", _axis(8, 1, 1), "AxisRandomTest", samples=20_000),
    Regression("axis-signed-n16-t8-frac-l3-random", "mbm_mul_axis", _axis(16, 1, 3, trunc=8, frac=1), "AxisRandomTest", samples=10_000),
    Regression("axis-trunc_mul-signed-l2-random", "mbm_mul_axis", {"N": 8, "SIGNED": 1, "LATENCY": 2, "IMPORTED": 1, "IMP_P_W": 16},
               "AxisRandomTest", samples=10_000, mult="verilog:tests/data/verilog/trunc_mul.v"),
    Regression("axis-trunc_mul_s-twos-l1-random", "mbm_mul_axis",
               {"N": 8, "SIGNED": 1, "LATENCY": 1, "IMPORTED": 1, "TWOS": 1, "IMP_P_W": 16},
               "AxisRandomTest", samples=10_000, mult="verilog:tests/data/verilog/trunc_mul_s.v:signed"),
    # MAC array: random stalls, backpressure, mid-dot-product resets, lengths 1..11,520, saturation
    Regression("mac-n8-l4-a32", "mbm_mac_array", _mac(8, 4, 32), "MacArrayTest", samples=5_000, icarus=True),
    Regression("mac-n16-l3-a56-t4-frac", "mbm_mac_array", _mac(16, 3, 56, trunc=4, frac=1), "MacArrayTest", samples=5_000),
    Regression("mac-n8-l4-a32-exact", "mbm_mac_array", _mac(8, 4, 32, mult="exact"), "MacArrayTest", samples=5_000),
    Regression("mac-n8-l4-a32-skid", "mbm_mac_array", _mac(8, 4, 32, SKID=1), "MacArrayTest", samples=5_000),
    Regression("mac-n8-l4-a32-pipe", "mbm_mac_array", _mac(8, 4, 32, PIPE=1), "MacArrayTest", samples=5_000),
    # an imported Verilog multiplier in the slot (IMPORTED=1): unsigned sign-magnitude-wrapped, two's complement
    Regression("mac-trunc_mul-l4-a32", "mbm_mac_array", {"N": 8, "IMPORTED": 1, "IMP_P_W": 16, "LANES": 4, "ACC_W": 32},
               "MacArrayTest", samples=5_000, mult="verilog:tests/data/verilog/trunc_mul.v"),
    Regression("mac-trunc_mul_s-twos-l4-a32-pipe", "mbm_mac_array",
               {"N": 8, "IMPORTED": 1, "TWOS": 1, "IMP_P_W": 16, "PIPE": 1, "LANES": 4, "ACC_W": 32},
               "MacArrayTest", samples=5_000, mult="verilog:tests/data/verilog/trunc_mul_s.v:signed"),
    Regression("mac-n8-l16-a32-mitchell-skid-pipe", "mbm_mac_array", _mac(8, 16, 32, mult="mitchell", SKID=1, PIPE=1),
               "MacArrayTest", samples=5_000, slow=True),
    Regression("mac-n16-l3-a56-frac-exact-skid-pipe", "mbm_mac_array", _mac(16, 3, 56, frac=1, mult="exact", SKID=1, PIPE=1),
               "MacArrayTest", samples=5_000, slow=True),
    Regression("mac-n4-l1-a10", "mbm_mac_array", _mac(4, 1, 10), "MacArrayTest", samples=5_000, slow=True),
    Regression("mac-n12-l8-a30-t2", "mbm_mac_array", _mac(12, 8, 30, trunc=2), "MacArrayTest", samples=5_000, slow=True),
    Regression("mac-n8-l16-a18-mitchell", "mbm_mac_array", _mac(8, 16, 18, mult="mitchell"), "MacArrayTest", samples=5_000, slow=True),
    Regression("mac-n16-l16-a63-t8-frac", "mbm_mac_array", _mac(16, 16, 63, trunc=8, frac=1), "MacArrayTest", samples=5_000, slow=True),
    # the bench must be able to fail (issue item 9)
    Regression("fails-mitchell-rtl-vs-mbm-model", "mbm_mul", _mul(8, mitchell=1), "MulExhaustiveTest", expect_fail=True,
               env=_MITCHELL_AS_MBM, icarus=True),
    Regression("fails-trunc1-rtl-vs-trunc0-model", "mbm_mul_signed", _mul(9, trunc=1), "SignedRandomTest", samples=2_000, expect_fail=True, env=_TRUNC1_AS_TRUNC0),
    Regression("fails-axis-mitchell-rtl-vs-mbm-model", "mbm_mul_axis", {**_axis(8, 0, 2), "MITCHELL": 1}, "AxisRandomTest", samples=2_000, expect_fail=True, env=_MITCHELL_AS_MBM),
    # soak: make sim-full / pytest -m slow
    Regression("mul-n16-random-soak", "mbm_mul", _mul(16), "MulRandomTest", samples=2_000_000, min_transactions=2_000_000, slow=True),
    Regression("signed-n16-random-soak", "mbm_mul_signed", _mul(16), "SignedRandomTest", samples=2_000_000, min_transactions=2_000_000, slow=True),
    Regression("mul-n10-exhaustive", "mbm_mul", _mul(10), "MulExhaustiveTest", min_transactions=1 << 20, slow=True),
    Regression("axis-n8-l2-exhaustive", "mbm_mul_axis", _axis(8, 0, 2), "AxisExhaustiveTest", min_transactions=65_536, slow=True),
    Regression("axis-signed-n12-t4-l2-random-soak", "mbm_mul_axis", _axis(12, 1, 2, trunc=4), "AxisRandomTest", samples=300_000, slow=True),
)


def select(full: bool = False, dut: str | None = None, pattern: str | None = None) -> list[Regression]:
    """Regressions of the quick set (plus the slow ones with ``full``), optionally of one
    DUT and/or whose name contains ``pattern``."""
    return [
        r
        for r in REGRESSIONS
        if (full or not r.slow) and (dut is None or r.dut == dut) and (pattern is None or pattern in r.name)
    ]


def plan(
    full: bool = False, dut: str | None = None, pattern: str | None = None, simulator: str | None = None
) -> list[tuple[Regression, str]]:
    """(run, simulator) pairs of a selection (see :func:`select`): without ``simulator`` every
    run under Verilator, then the ``icarus`` ones under Icarus (``make sim``); with one, every
    run under that simulator alone (``SIM=icarus make sim``)."""
    selected = select(full, dut, pattern)
    if simulator is not None:
        runner.check_simulator(simulator)
        return [(r, simulator) for r in selected]
    return [(r, VERILATOR) for r in selected] + [(r, ICARUS) for r in selected if r.icarus]


def by_name(name: str) -> Regression:
    for r in REGRESSIONS:
        if r.name == name:
            return r
    raise KeyError(f"no regression named {name!r}: see sim/regressions.py")


def _check_registry() -> None:
    names = [r.name for r in REGRESSIONS]
    dupes = {n for n in names if names.count(n) > 1}
    unknown = {r.dut for r in REGRESSIONS} - set(DUTS)
    # the second simulator must see every DUT in `make sim`, with a quick run
    quick_icarus = {r.dut for r in REGRESSIONS if r.icarus and not r.slow and not r.expect_fail}
    no_icarus = set(cocotb_duts()) - quick_icarus
    if dupes or unknown or no_icarus:
        raise ValueError(f"sim/regressions.py: duplicate names {sorted(dupes)}, unknown DUTs {sorted(unknown)}, "
                         f"DUTs without a quick icarus run {sorted(no_icarus)}")


_check_registry()
