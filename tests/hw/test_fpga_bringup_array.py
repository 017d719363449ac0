"""The bring-up of a MAC-array vector set (ARRAY=1) and the top's watchdog.

CI size: four dot products of decoder.up5.convB (K=72, 288 beats) on LANES=4 through
synthesis, place and route and both bring-up simulations on the LFE5U-25F; one corrupted
expected word caught by both at its index; a DUT adapter that never asserts valid (for the
multiplier and the array) ends the RTL run with a TIMEOUT line, not silence. The default
array sets of `make vectors` are too large for the block RAM (their refusal is tested); the
16-lane bring-up of docs/fpga.md runs in the slow set.

The same tile with exact lanes (EXACT=1): synth_ecp5 maps each lane's product to a
MULT18X18D in the one configuration tb/mbm_bringup_top/mult18x18d_model.v models (pinned
here), and the netlist passes under Verilator and Icarus with that model; a corrupted
expected word fails it at its index, a model with two product bits swapped fails it (the
model is what the lanes compute through), and a netlist asking for a DSP register the model
lacks stops naming the parameter. The model's own unit bench is
tests/hw/test_fpga_mult18x18d.py."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.fpga import bringup, flow, sim, tools
from pymodel.hw.fpga.boards import board
from pymodel.hw.vectors import array_set, load_set, write_set

pytestmark = pytest.mark.rtl
FAST_BAUD = 1_000_000  # as test_fpga_flow: the same design, a shorter UART line
LANES = 4
MUL_SET = "golden/mbm_mul/corners-mbm-n8-t0"


def _write_small(root: Path, mult: str = "mbm") -> str:
    """The CI array set (lanes of ``mult``) under ``root``; returns its name."""
    vs = array_set("layer", MulConfig(mult, 8), lanes=LANES, layer="decoder.up5.convB", tile="0:0:1:2")
    return str(write_set(vs, root, commit="test").relative_to(root))


@pytest.fixture(scope="module")
def small_set(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("vectors")
    return root, _write_small(root)


def _options(vectors: Path, name: str, tmp: Path, **over) -> flow.Options:
    base = dict(set_name=name, board=board("ulx3s-25f"), clock_mhz=25.0, stall_pct=25, baud=FAST_BAUD,
                vectors=vectors, build_root=tmp / "build", reports=tmp / "reports", prove=False)
    return flow.Options(**{**base, **over})


def test_an_array_set_configures_the_top_from_its_manifest(small_set):
    root, name = small_set
    b = bringup.plan(name, root, board("ulx3s-25f"), 25.0)
    p = b.parameters()
    manifest = json.loads((root / name / "manifest.json").read_text())
    assert {k: p[k] for k in manifest["parameters"]} == manifest["parameters"]  # every one, as it is
    assert (p["ARRAY"], p["COUNT"], p["BEATS"], p["LANES"], p["BIAS_FILE"]) == (1, 4, 288, LANES, "bias.hex")
    assert "SIGNED" not in p and "LATENCY" not in p  # the multiplier adapter's
    acc_w = p["ACC_W"]
    assert b.widths == {"stim": 1 + (LANES + 1) * 9, "expect": LANES * (acc_w + 1), "bias": LANES * acc_w}
    assert b.longest_dot == 72 and b.watchdog == bringup.WATCHDOG
    assert set(b.ebr_need()) == {"stim", "expect", "bias", "text"}


def test_a_set_parameter_the_top_does_not_take_is_refused_naming_it(tmp_path, small_set):
    root, name = small_set
    shutil.copytree(root / name, tmp_path / "odd")
    path = tmp_path / "odd" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["parameters"]["DEPTH"] = 1  # a parameter no bring-up top declares
    path.write_text(json.dumps(manifest))
    with pytest.raises(MBMError, match=r"set 'odd' has parameter DEPTH, which mbm_bringup_top does not take: allowed ACC_W, ARRAY"):
        bringup.plan("odd", tmp_path, board("ulx3s-25f"), 25.0)


def test_the_default_array_set_is_too_large_naming_every_rom(tmp_path):
    """`make vectors`'s 16-lane set (a 2x4 tile of the 112->48 layer: 24,192 beats of 154
    bits) does not fit the 85F's block RAM: the error names each ROM and the capacity."""
    folder = write_set(array_set("layer", MulConfig("mbm", 8), lanes=16), tmp_path, commit="test")
    name = str(folder.relative_to(tmp_path))
    with pytest.raises(MBMError) as err:
        bringup.plan(name, tmp_path, board("ulx3s-85f"), 25.0)
    msg = str(err.value)
    assert "\n" not in msg and f"set {name!r} needs " in msg
    assert "(stim 24192 x 154 + expect 24 x " in msg and " + bias 24 x " in msg
    assert "LFE5U-85F on ulx3s-85f has 208 x 18 kbit = 3744 kbit: allowed a smaller set or a larger device" in msg
    # its 1,008-beat dot products at 99 % stalls would outlast the default watchdog
    long = bringup.Bringup(name, load_set(folder), board("ulx3s-85f"), 25.0, stall_pct=99)
    assert long.longest_dot == 1008 and long.watchdog == 8 * 1008 * 100 > bringup.WATCHDOG


@pytest.fixture(scope="module")
def small_flow(tmp_path_factory, small_set):
    root, name = small_set
    tmp = tmp_path_factory.mktemp("fpga_array")
    report, status = flow.run(_options(root, name, tmp), log=lambda _: None)
    return name, report, status


def test_an_array_set_builds_meets_timing_and_passes_both_simulations(small_flow):
    name, report, status = small_flow
    assert status == 0 and report["timing_met"] and report["dut"] == "mbm_mac_array"
    assert (report["vectors"], report["beats"], report["parameters"]["ARRAY"]) == (4, 288, 1)
    for kind in ("rtl", "netlist"):
        assert report[f"sim_{kind}"] == "PASS", report[f"sim_{kind}_why"]
        assert report[f"sim_{kind}_line"] == f"MBM BRINGUP PASS set={name} n=4 fail=0 first=- crc={report['expected_crc']}"


def _with_a_wrong_dot_product(tmp_path: Path, array: tuple[Path, str], corrupt) -> tuple[bringup.Bringup, Path, set[str]]:
    """A copy of ``array`` (root, name) as set 'bad' with lane 0's accumulator of dot
    product 2 flipped, synthesized: (its plan, the build folder, the netlist's cell types)."""
    root, name = array
    shutil.copytree(root / name, tmp_path / "vectors" / "bad")
    corrupt(tmp_path / "vectors" / "bad", 2)
    b = bringup.plan("bad", tmp_path / "vectors", board("ulx3s-25f"), 25.0, 25, FAST_BAUD)
    folder = tmp_path / "build"
    return b, folder, set(flow.synthesize(b, folder))


def _caught_at_index_2(r: sim.SimResult) -> None:
    assert r.status == "FAIL" and (r.check.fail, r.check.first) == (1, 2), (r.kind, r.check)
    assert r.check.line.startswith("MBM BRINGUP FAIL set=bad n=4 fail=1 first=2 crc=")
    assert r.leds[-3:] == "101"  # fail, not pass, done


def test_a_wrong_expected_dot_product_fails_both_simulations_at_its_index(tmp_path, small_set, corrupt_expected_word):
    b, folder, cells = _with_a_wrong_dot_product(tmp_path, small_set, corrupt_expected_word)
    for r in (sim.simulate_rtl(b, folder), sim.simulate_netlist(b, folder, folder / "netlist.v", cells)):
        _caught_at_index_2(r)


def _never_valid(tmp_path: Path, adapter: str) -> tuple[Path, ...]:
    """The top's sources with ``adapter``'s DUT output valid cut off: results never come."""
    out = []
    for path in sim.RTL_SOURCES:
        if path.name == adapter:
            text = path.read_text()
            assert ".m_axis_tvalid(m_valid)" in text
            text = text.replace(".m_axis_tvalid(m_valid)", ".m_axis_tvalid()").replace(
                "\nendmodule", "\n    assign m_valid = 1'b0;  // mutant: the DUT never answers\n\nendmodule")
            path = tmp_path / adapter
            path.write_text(text)
        out.append(path)
    return tuple(out)


@pytest.mark.parametrize("adapter", ["bringup_dut_mul.v", "bringup_dut_array.v"])
def test_a_dut_that_never_answers_ends_with_a_timeout_line(tmp_path, small_set, adapter):
    """The watchdog: no result for WATCHDOG cycles ends the run with a TIMEOUT line and the
    timeout LED, well before the bench's own cycle limit (so the line is the top's)."""
    if adapter == "bringup_dut_mul.v":
        b = bringup.plan(MUL_SET, REPO_ROOT / "vectors", board("ulx3s-25f"), 25.0, 25, FAST_BAUD)
    else:
        b = bringup.plan(small_set[1], small_set[0], board("ulx3s-25f"), 25.0, 25, FAST_BAUD)
    b.write_roms(tmp_path)
    (tmp_path / "mutant").mkdir()
    r = sim.simulate_rtl(b, tmp_path, _never_valid(tmp_path / "mutant", adapter))
    assert r.status == "FAIL" and "TIMEOUT after" not in r.output, r.output[-500:]
    assert r.check.line == f"MBM BRINGUP TIMEOUT set={b.name} n=0 fail=0 first=- crc=00000000"
    assert r.check.why.startswith(f"the design's watchdog ended the run: no result came after 0 of {b.count}")
    assert r.leds[-5:] == "10101"  # timeout, fail, not pass, done


# ---- exact lanes: MULT18X18D in the netlist ----

ICARUS = pytest.param("icarus", marks=pytest.mark.icarus)
SLOW_VERILATOR = pytest.param("verilator", marks=pytest.mark.slow)  # its netlist build: ~25 s


@pytest.fixture(scope="module")
def exact_set(tmp_path_factory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("exact_vectors")
    return root, _write_small(root, "exact")


@pytest.fixture(scope="module")
def exact_netlist(tmp_path_factory, exact_set) -> tuple[bringup.Bringup, Path, dict[str, int]]:
    """The exact set's plan, its synthesized build folder and Yosys's cell counts."""
    root, name = exact_set
    b = bringup.plan(name, root, board("ulx3s-25f"), 25.0, 25, FAST_BAUD)
    folder = tmp_path_factory.mktemp("exact_build")
    return b, folder, flow.synthesize(b, folder)


def _mult_instances(netlist: str) -> list[str]:
    """The text of every MULT18X18D instance in a Yosys netlist, header to ``);``."""
    return re.findall(r"^\s*MULT18X18D\b.*?^\s*\);", netlist, re.M | re.S)


def test_exact_lanes_map_to_mult18x18d_in_the_configuration_the_model_covers(exact_netlist):
    """What mult18x18d_model.v implements is what synth_ecp5 writes here: one DSP a lane, no
    ALU54B, no parameter (every register bypassed), SOURCEA/SOURCEB and C tied to 0, no
    clock, enable or reset, unsigned operands (the lanes multiply magnitudes) and the product
    taken from P0..P15 (2N bits)."""
    b, folder, cells = exact_netlist
    assert cells["MULT18X18D"] == LANES and "ALU54B" not in cells
    netlist = (folder / "netlist.v").read_text()
    assert "defparam" not in netlist
    instances = _mult_instances(netlist)
    assert len(instances) == LANES
    for inst in instances:
        assert re.match(r"\s*MULT18X18D\s+\\\S+\s+\(", inst), inst[:200]  # no #( parameters )
        ports = dict(re.findall(r"\.(\w+)\(([^()]*)\)", inst))
        assert {ports[p] for p in ("SIGNEDA", "SIGNEDB", "SOURCEA", "SOURCEB")} == {"1'h0"}
        assert {ports[f"C{i}"] for i in range(18)} == {"1'h0"}
        assert not {p for p in ports if re.fullmatch(r"(CLK|CE|RST)\d|S?RO[ABC]\d+|SRI[AB]\d+|SIGNEDP", p)}
        assert all(ports[f"P{i}"].endswith(f".u_mul.p_o [{i}]") for i in range(2 * b.parameters()["N"]))


@pytest.mark.parametrize("netlist_sim", [SLOW_VERILATOR, ICARUS])  # the model read by both; Verilator's build in the slow set
def test_an_exact_set_passes_its_netlist_simulation_through_the_dsp_model(exact_netlist, netlist_sim):
    b, folder, cells = exact_netlist
    results = [sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells), netlist_sim)]
    if netlist_sim == "verilator":
        results.append(sim.simulate_rtl(b, folder))
    for r in results:
        assert r.status == "PASS", (r.kind, r.check.why)
        assert r.check.line == f"MBM BRINGUP PASS set={b.name} n=4 fail=0 first=- crc={b.expected_crc:08x}"
        assert r.leds[-3:] == "011"  # pass, done


@pytest.mark.parametrize("netlist_sim", [SLOW_VERILATOR, ICARUS])
def test_a_wrong_expected_dot_product_fails_the_exact_netlist_at_its_index(tmp_path, exact_set,
                                                                            corrupt_expected_word, netlist_sim):
    b, folder, cells = _with_a_wrong_dot_product(tmp_path, exact_set, corrupt_expected_word)
    assert "MULT18X18D" in cells
    _caught_at_index_2(sim.simulate_netlist(b, folder, folder / "netlist.v", cells, netlist_sim))


@pytest.mark.parametrize("netlist_sim", [SLOW_VERILATOR, ICARUS])
def test_a_dsp_model_with_a_wrong_product_bit_fails_the_exact_netlist(tmp_path, exact_netlist, monkeypatch, netlist_sim):
    """The model with P8 and P9 swapped: every lane's product goes through it, so the
    accumulators differ and the bring-up FAILs (the PASS above is the model's)."""
    b, built, cells = exact_netlist
    text = sim.MULT18X18D_MODEL.read_text()
    assert text.count("P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p ^ {36{unmodelled}};") == 1
    broken = tmp_path / "mult18x18d_model.v"
    broken.write_text(text.replace("P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = p ^ {36{unmodelled}};",
                                   "P8, P9, P7, P6, P5, P4, P3, P2, P1, P0} = p ^ {36{unmodelled}};"))
    monkeypatch.setitem(sim.OWN_MODELS, "MULT18X18D", broken)
    folder = tmp_path / "build"
    shutil.copytree(built, folder, ignore=shutil.ignore_patterns("sim_*"))
    r = sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells), netlist_sim)
    assert r.status == "FAIL" and r.check.fail and r.check.fail > 0, r.check
    assert r.check.line.startswith(f"MBM BRINGUP FAIL set={b.name} n=4 fail=")


@pytest.mark.parametrize("netlist_sim", ["verilator", ICARUS])
def test_a_dsp_register_the_model_lacks_stops_the_netlist_simulation_naming_it(tmp_path, exact_netlist, netlist_sim):
    """A netlist whose first MULT18X18D registers its output (REG_OUTPUT_CLK "CLK0", as a
    later Yosys might pack it) is refused at elaboration, the parameter named, not simulated
    as a combinational block."""
    b, built, cells = exact_netlist
    folder = tmp_path / "build"
    shutil.copytree(built, folder, ignore=shutil.ignore_patterns("sim_*"))
    netlist = (folder / "netlist.v").read_text()
    first = _mult_instances(netlist)[0]
    registered = first.replace("MULT18X18D ", 'MULT18X18D #(.REG_OUTPUT_CLK("CLK0")) ', 1)
    (folder / "netlist.v").write_text(netlist.replace(first, registered, 1))
    with pytest.raises(tools.ToolError, match="ERROR_MULT18X18D_model_REG_OUTPUT_CLK_not_NONE"):
        sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells), netlist_sim)


@pytest.mark.slow  # place and route too: `pymodel fpga` end to end for an exact set
def test_an_exact_set_runs_the_whole_flow_with_its_dsps(tmp_path, exact_set):
    root, name = exact_set
    netlist_sim = "icarus" if shutil.which("iverilog") else "verilator"  # Icarus: 7 s against 23 s
    report, status = flow.run(_options(root, name, tmp_path, netlist_simulator=netlist_sim), log=lambda _: None)
    assert status == 0 and report["sim_rtl"] == report["sim_netlist"] == "PASS", report.get("sim_netlist_why")
    assert report["utilization"]["dsp"]["used"] == report["yosys_cells"]["MULT18X18D"] == LANES


@pytest.mark.slow  # the bring-up of docs/fpga.md: 16 lanes, 3,024 beats on the 85F
def test_the_16_lane_array_bring_up_of_the_docs(tmp_path):
    vs = array_set("layer", MulConfig("mbm", 8), lanes=16, tile="0:0:1:1")
    folder = write_set(vs, tmp_path / "vectors", commit="test")
    name = str(folder.relative_to(tmp_path / "vectors"))
    report, status = flow.run(_options(tmp_path / "vectors", name, tmp_path, board=board("ulx3s-85f"),
                                       baud=bringup.BAUD, prove=True), log=lambda _: None)
    assert status == 0 and report["sim_rtl"] == report["sim_netlist"] == "PASS"
    assert report["equivalence"] == "proven" and (report["vectors"], report["beats"]) == (3, 3024)
