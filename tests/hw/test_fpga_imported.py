"""The FPGA flow for an imported multiplier (a ``verilog:`` module in the slot): its sets
bring up through mbm_mul_axis (ARRAY=0) and mbm_mac_array (ARRAY=1), the slot's files in
synthesis and the RTL simulation; a corrupted expected word caught by both simulations at
its index; the module's netlist proven equal to its RTL, and a different netlist caught; a
set whose Verilog file changed refused; `pymodel fpga array` with a ``verilog:`` spec.

CI size: trunc_mul_s (tests/data/verilog/trunc_mul_s.v, two's complement) on the LFE5U-25F,
its 1,024-pair corner set, and the 4-lane array set of test_fpga_bringup_array. The array
bring-up and the trunc_mul_s proof (about 40 s of SAT) run in the slow set; the default
proves bam_mul (a few seconds)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from pymodel.cli import main
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import spec_of
from pymodel.core.paths import REPO_ROOT
from pymodel.hw import replay
from pymodel.hw.fpga import array, bringup, equiv, flow, sim, tools
from pymodel.hw.fpga.boards import board
from pymodel.hw.multiplier import resolve
from pymodel.hw.vectors import array_set, load_set, mul_set, write_set

pytestmark = pytest.mark.rtl
FAST_BAUD = 1_000_000  # as test_fpga_flow: the same design, a shorter UART line
VERILOG = REPO_ROOT / "tests" / "data" / "verilog"
TRUNC_S = "verilog:tests/data/verilog/trunc_mul_s.v:signed"  # repository-relative, as a manifest records it
BOARD = board("ulx3s-25f")


@pytest.fixture(scope="module")
def trunc_s():
    return resolve(f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed")


@pytest.fixture(scope="module")
def sets(tmp_path_factory, trunc_s) -> tuple[Path, str, str]:
    """(root, the mbm_mul_signed corner set, the 4-lane array set) of trunc_mul_s."""
    root = tmp_path_factory.mktemp("vectors")
    mul = write_set(mul_set("mbm_mul_signed", "corners", trunc_s), root, commit="test")
    arr = write_set(array_set("layer", trunc_s, lanes=4, layer="decoder.up5.convB", tile="0:0:1:2"), root,
                    commit="test")
    return root, str(mul.relative_to(root)), str(arr.relative_to(root))


def _options(vectors: Path, name: str, tmp: Path, **over) -> flow.Options:
    base = dict(set_name=name, board=BOARD, clock_mhz=25.0, stall_pct=25, baud=FAST_BAUD, vectors=vectors,
                build_root=tmp / "build", reports=tmp / "reports", prove=False)
    return flow.Options(**{**base, **over})


def test_the_set_records_a_spec_any_cwd_finds(sets, trunc_s, monkeypatch, tmp_path):
    root, mul, arr = sets
    for name in (mul, arr):
        record = json.loads((root / name / "manifest.json").read_text())["mul_config"]
        assert record["spec"] == TRUNC_S and record["file_sha256"] == trunc_s.file_sha256
    monkeypatch.chdir(tmp_path)  # a relative path would now name nothing
    b = bringup.plan(mul, root, BOARD, 25.0)
    assert b.imported.table.sha256 == trunc_s.table.sha256 and b.vs.manifest["dut"] == "mbm_mul_signed"
    p = b.parameters()
    assert "ARRAY" not in p and (p["IMPORTED"], p["TWOS"], p["IMP_P_W"], p["SIGNED"]) == (1, 1, 16, 1)
    assert [f.name for f in b.slot.files] == ["mbm_imported_mul.vlt", "mbm_imported_mul.v", "trunc_mul_s.v"]
    assert flow.hdl_sources(b)[:2] == b.slot.hdl  # synthesis: the wrapper and the module, no waiver


@pytest.fixture(scope="module")
def mul_flow(tmp_path_factory, sets):
    root, mul, _ = sets
    tmp = tmp_path_factory.mktemp("fpga_imported")
    return flow.run(_options(root, mul, tmp), log=lambda _: None)


def test_an_imported_multiplier_set_builds_meets_timing_and_passes_both_simulations(mul_flow, sets, trunc_s):
    report, status = mul_flow
    _, mul, _ = sets
    assert status == 0 and report["timing_met"] and report["parameters"]["IMPORTED"] == 1
    assert (report["spec"], report["table_sha256"]) == (TRUNC_S, trunc_s.table.sha256)
    for kind in ("rtl", "netlist"):
        assert report[f"sim_{kind}"] == "PASS", report[f"sim_{kind}_why"]
        assert report[f"sim_{kind}_line"] == f"MBM BRINGUP PASS set={mul} n=1024 fail=0 first=- crc={report['expected_crc']}"
    # synth_ecp5 flattens: the netlist simulated is one module, nothing of the RTL in it
    netlist = REPO_ROOT / report["netlist"]  # the report's path: repository-relative or absolute
    assert re.findall(r"^module (\w+)", netlist.read_text(), re.M) == ["mbm_bringup_top"]


@pytest.mark.slow  # the same corrupt-word machinery as every set (test_fpga_flow.py), two more builds
def test_a_wrong_expected_word_of_an_imported_set_fails_both_simulations(tmp_path, sets, corrupt_expected_word):
    root, mul, _ = sets
    shutil.copytree(root / mul, tmp_path / "vectors" / "bad")
    corrupt_expected_word(tmp_path / "vectors" / "bad", 321)
    b = bringup.plan("bad", tmp_path / "vectors", BOARD, 25.0, 25, FAST_BAUD)
    folder = tmp_path / "build"
    cells = flow.synthesize(b, folder)
    results = [sim.simulate_rtl(b, folder), sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells))]
    for r in results:
        assert r.status == "FAIL" and (r.check.fail, r.check.first) == (1, 321), (r.kind, r.check)
        assert r.check.line.startswith(f"MBM BRINGUP FAIL set=bad n={b.count} fail=1 first=321 crc=")


def test_an_imported_array_set_passes_its_rtl_bring_up_simulation(tmp_path, sets):
    """ARRAY=1 with the module in the array's slot (bringup_dut_array passes IMPORTED, TWOS,
    IMP_P_W through; two's complement beats are (LANES+1)*N+1 bits); the whole flow of this
    set is in the slow set."""
    root, _, arr = sets
    b = bringup.plan(arr, root, BOARD, 25.0, 25, FAST_BAUD)
    assert (b.parameters()["ARRAY"], b.parameters()["TWOS"], b.widths["stim"]) == (1, 1, 1 + 5 * 8)
    b.write_roms(tmp_path)
    r = sim.simulate_rtl(b, tmp_path)
    assert r.status == "PASS", r.check.why


def test_the_imported_module_is_proven_equal_to_its_netlist(tmp_path):
    """bam_mul (unsigned, 8 bits) proves in seconds; a set of a built-in multiplier keeps
    the built-in proofs (prove_set(None) is prove_all's list)."""
    m = resolve(f"verilog:{VERILOG / 'bam_mul.v'}")
    t = equiv.imported_target(m)
    assert (t.top, t.name, [f.name for f in t.sources]) == ("bam_mul", "bam_mul", ["bam_mul.v"])
    proofs = equiv.prove_set(m, tmp_path)
    assert [p.name for p in proofs] == ["bam_mul"] and proofs[0].proven and proofs[0].gate_cells["LUT4"] > 0, proofs


def test_the_imported_equivalence_catches_a_different_netlist(tmp_path, trunc_s):
    """trunc_mul_s's netlist with one dropped column fewer (K=3) against its RTL (K=4)."""
    p = equiv.prove(equiv.imported_target(trunc_s), tmp_path, gate_overrides={"K": 3})
    assert p.result == "failed" and "in_a=" in p.counterexample, p


def test_a_module_with_a_dsp_block_is_proven_through_the_dsp_model(tmp_path):
    """drum_mul's K x K core product becomes a MULT18X18D: the proof reads the netlist
    simulation's model of it and succeeds; with K=3 in the netlist (another DSP product and
    other glue) it fails with a counterexample; a netlist whose DSP takes A from the shift
    chain (SOURCEA tied high, which the model cannot $fatal on under Yosys) fails too."""
    t = equiv.imported_target(resolve(f"verilog:{VERILOG / 'drum_mul.v'}"))
    p = equiv.prove(t, tmp_path / "ok")
    assert p.proven and p.gate_cells["MULT18X18D"] == 1, p
    other = equiv.prove(t, tmp_path / "k3", gate_overrides={"K": 3})
    assert other.result == "failed" and "in_a=" in other.counterexample, other
    gate = tmp_path / "ok" / "gate.v"
    text, n = re.subn(r"\.SOURCEA\(1'h0\)", ".SOURCEA(1'h1)", gate.read_text())
    assert n == 1, "the netlist ties SOURCEA to 0 once"
    gate.write_text(text)
    out = tools.run("yosys", ["miter.ys"], tmp_path / "ok", "miter.log")  # the proof's own script, rerun
    assert "SUCCESS" not in out and "FAIL" in out, out[-500:]


def test_a_set_of_a_table_is_refused_before_synthesis(tmp_path):
    """A lut: table has no circuit for the slot: plan refuses its set in one line, naming
    what is allowed, before anything is synthesized."""
    ops = np.arange(16)
    np.save(tmp_path / "clr4.npy", (ops[:, None] * ops[None, :]) & ~1)
    root = tmp_path / "vectors"
    name = write_set(mul_set("mbm_mul", "corners", resolve(f"lut:{tmp_path / 'clr4.npy'}")), root, commit="test")
    with pytest.raises(MBMError, match=r"is a table: the RTL flows need its circuit: allowed verilog:"):
        bringup.plan(str(name.relative_to(root)), root, BOARD, 25.0)


def test_a_set_whose_verilog_file_changed_is_refused(tmp_path, capsys):
    """A set made from a copy outside the repository (an absolute spec), then the copy edited:
    refused in one line naming the set, the file and both sha256, exit 2."""
    src = tmp_path / "trunc_mul_s.v"
    shutil.copy(VERILOG / "trunc_mul_s.v", src)
    spec = f"verilog:{src}:signed"
    folder = write_set(mul_set("mbm_mul_signed", "corners", resolve(spec)), tmp_path / "vectors", commit="test")
    name = str(folder.relative_to(tmp_path / "vectors"))
    assert json.loads((folder / "manifest.json").read_text())["mul_config"]["spec"] == spec
    src.write_text(src.read_text() + "// edited\n")
    argv = ["fpga", "--set", name, "--vectors", str(tmp_path / "vectors"), "--board", "ulx3s-25f",
            "--build", str(tmp_path / "build"), "--reports", str(tmp_path / "reports")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"error: set {name!r} is stale: it was made from {src} with sha256 ")
    assert f"`make vectors` or `pymodel vectors --mult {spec} ...`" in err
    assert not (tmp_path / "build").exists()  # refused before anything ran


def test_imported_multiplier_sets_of_mbm_mul_axis(tmp_path, trunc_s, capsys):
    """vectors --dut mbm_mul / mbm_mul_signed: the module's own operands, or sign-magnitude
    wrapped around an unsigned module; a two's complement module needs mbm_mul_signed; the
    multiplier replay bench refuses these sets, naming the bring-up that checks them."""
    trunc = resolve(f"verilog:{VERILOG / 'trunc_mul.v'}")
    own = mul_set("mbm_mul", "exhaustive", trunc)
    assert own.parameters == {"N": 8, "IMPORTED": 1, "TWOS": 0, "IMP_P_W": 16}
    assert own.memories["expect"][1][0xA5 * 256 + 0x3C] == format(int(trunc.table.values[0xA5, 0x3C]), "04x")
    wrapped = mul_set("mbm_mul_signed", "corners", trunc)
    assert wrapped.memories["expect"][0].width == 17 and wrapped.memories["stim"][0].width == 18
    twos = mul_set("mbm_mul_signed", "corners", trunc_s)
    assert twos.memories["stim"][0].width == 16 and twos.memories["expect"][0].width == 16
    with pytest.raises(MBMError, match="two's complement operands: mbm_mul_axis takes them with SIGNED=1"):
        mul_set("mbm_mul", "corners", trunc_s)
    folder = write_set(own, tmp_path, commit="test")
    assert load_set(folder).cfg.table.sha256 == trunc.table.sha256
    with pytest.raises(MBMError, match=r"the multiplier replay bench drives the built-in multipliers only: "
                                       r"allowed `pymodel fpga --set <set>`"):
        replay.replay_set(folder)
    assert main(["vectors", "--out", str(tmp_path / "cli"), "--dut", "mbm_mul", "--mult",
                 f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed"]) == 2
    assert "allowed --dut mbm_mul_signed" in capsys.readouterr().err


def test_fpga_array_places_an_imported_module(tmp_path, trunc_s, capsys):
    """LANES=1 of trunc_mul_s like for like with the built-ins: the point's name, spec and
    table sha256 in its record and the summary; lut: and unknown names refused."""
    reports = tmp_path / "reports"
    records = array.sweep([array.point_of(f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed", 1)], BOARD, 25.0,
                          log=lambda _: None, build_root=tmp_path / "build", reports=reports)
    (r,) = records
    assert (r["point"], r["mult"], r["spec"], r["table_sha256"]) == ("trunc_mul_s-l1", "verilog", spec_of(trunc_s),
                                                                     trunc_s.table.sha256)
    assert r["parameters"] == {"N": 8, "IMPORTED": 1, "TWOS": 1, "IMP_P_W": 16, "LANES": 1, "ACC_W": 32}
    assert r["timing_met"] and r["utilization"]["lut4"]["used"] > 100 and r["utilization"]["dsp"]["used"] == 0
    summary = json.loads((reports / array.SUMMARY_FILE).read_text())
    (entry,) = summary["points"]
    assert (entry["spec"], entry["table_sha256"]) == (r["spec"], r["table_sha256"])
    for bad, why in (("lut:tests/data/t.npy", "a table has no RTL to place"), ("booth", "unknown multiplier")):
        assert main(["fpga", "array", "--mult", bad, "--lanes", "1", "--board", "ulx3s-25f"]) == 2
        assert f"error: --mult {bad!r}: {why}: allowed mbm, mitchell, exact or verilog:" in capsys.readouterr().err


@pytest.mark.slow  # place and route of 4 lanes, both simulations, the trunc_mul_s proof: about 100 s
def test_an_imported_array_set_builds_and_passes_everything(tmp_path, sets, corrupt_expected_word):
    root, _, arr = sets
    report, status = flow.run(_options(root, arr, tmp_path, prove=True), log=lambda _: None)
    assert status == 0 and report["parameters"]["ARRAY"] == 1 and report["parameters"]["TWOS"] == 1
    for kind in ("rtl", "netlist"):
        assert report[f"sim_{kind}"] == "PASS", report[f"sim_{kind}_why"]
        assert report[f"sim_{kind}_line"] == f"MBM BRINGUP PASS set={arr} n=4 fail=0 first=- crc={report['expected_crc']}"
    assert report["equivalence"] == "proven"
    assert [p["name"] for p in report["equivalence_designs"]] == ["trunc_mul_s"]
    shutil.copytree(root / arr, tmp_path / "vectors" / "bad")
    corrupt_expected_word(tmp_path / "vectors" / "bad", 1)
    b = bringup.plan("bad", tmp_path / "vectors", BOARD, 25.0, 25, FAST_BAUD)
    folder = tmp_path / "bad-build"
    cells = flow.synthesize(b, folder)
    for r in (sim.simulate_rtl(b, folder), sim.simulate_netlist(b, folder, folder / "netlist.v", set(cells))):
        assert r.status == "FAIL" and (r.check.fail, r.check.first) == (1, 1), (r.kind, r.check)


def test_staging_keeps_a_file_named_like_an_rtl_one(tmp_path):
    """An imported module's file may share a name with one of rtl/ (e.g. a copy of
    mbm_mul.v): both reach Yosys, the second in a numbered sub-folder, none overwritten."""
    mine = tmp_path / "mine" / "mbm_mul.v"
    mine.parent.mkdir()
    mine.write_text("// mine\n")
    rtl = REPO_ROOT / "rtl" / "mbm_mul.v"
    assert flow.stage([mine, rtl], tmp_path / "f") == ["src/mbm_mul.v", "src/1/mbm_mul.v"]
    assert (tmp_path / "f" / "src" / "mbm_mul.v").read_text() == "// mine\n"
    assert (tmp_path / "f" / "src" / "1" / "mbm_mul.v").read_bytes() == rtl.read_bytes()
