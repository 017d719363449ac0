"""An imported Verilog multiplier in the RTL (pymodel/hw/imported_rtl.py, IMPORTED=1 in
rtl/mbm_mac_array.v and rtl/mbm_mul_axis.v): the generated wrapper and core, lint of both
encodings, the parameter checks, the vector sets that record it, co-simulation and replay,
and the scoreboards catching a broken wrapper (operands swapped, the wrong module) and a
broken sign-magnitude wrap (array and AXI-Stream multiplier).

The passing regressions themselves (trunc_mul sign-magnitude-wrapped, trunc_mul_s two's
complement, through the array and mbm_mul_axis) are registry runs of `make sim`:
tests/hw/test_rtl_regressions.py.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import yaml

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import to_dict
from pymodel.core.paths import REPO_ROOT, RTL_DIR
from pymodel.hw import cores, imported_rtl
from pymodel.hw.array_params import array_mul_config, array_parameters, check_parameters, slot_parameters
from pymodel.hw.multiplier import resolve
from pymodel.hw.sim import lint, regressions, runner
from pymodel.hw.vectors import array_set, load_set, write_set

pytestmark = pytest.mark.rtl
VERILOG = REPO_ROOT / "tests" / "data" / "verilog"
TRUNC = f"verilog:{VERILOG / 'trunc_mul.v'}"
TRUNC_S = f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed"


@pytest.fixture(scope="module")
def trunc():
    return resolve(TRUNC)


@pytest.fixture(scope="module")
def trunc_s():
    return resolve(TRUNC_S)


def test_slot_parameters_follow_the_module(trunc, trunc_s):
    assert array_parameters(trunc, 4, 32) == {"N": 8, "IMPORTED": 1, "TWOS": 0, "IMP_P_W": 16, "LANES": 4, "ACC_W": 32}
    assert slot_parameters(trunc_s) == {"N": 8, "IMPORTED": 1, "TWOS": 1, "IMP_P_W": 16}
    check_parameters({**slot_parameters(trunc), "LANES": 4}, trunc)
    with pytest.raises(MBMError, match="do not build .*trunc_mul_s.v:signed: allowed .*'TWOS': 1"):
        check_parameters(slot_parameters(trunc), trunc_s)
    with pytest.raises(MBMError, match="no EXACT/MITCHELL/TRUNC/FRAC_OUT"):
        check_parameters({**slot_parameters(trunc), "MITCHELL": 1}, trunc)
    with pytest.raises(MBMError, match="do not name the imported module"):
        array_mul_config(slot_parameters(trunc))
    with pytest.raises(MBMError, match="build mitchell N=8 t=0, not mbm N=8 t=0"):
        check_parameters({"N": 8, "MITCHELL": 1}, MulConfig("mbm", 8))


def test_generated_wrapper_and_core(trunc):
    slot = imported_rtl.slot(trunc)
    vlt, wrapper, user = slot.files
    assert (vlt.suffix, wrapper.name, user) == (".vlt", "mbm_imported_mul.v", VERILOG / "trunc_mul.v")
    assert slot.hdl == (wrapper, user)
    text = wrapper.read_text()
    assert "trunc_mul u_mul (\n        .a (a_i),\n        .b (b_i),\n        .p (p_o)\n    );" in text
    assert lint.style_problems(text) == []  # the rtl/ conventions: timescale, %m and stop
    core = yaml.safe_load(slot.core.read_text())
    assert core["name"] == "mbm:imported:trunc_mul:0.1.0"
    assert core["targets"]["default"]["toplevel"] == "mbm_imported_mul"
    assert cores.Core(slot.core, core).files() == tuple(f.parent / f.name for f in (vlt, wrapper)) + (
        slot.core.parent / core["filesets"]["rtl"]["files"][1],)
    assert imported_rtl.slot(trunc) == slot  # cached, not regenerated
    assert imported_rtl.sources(MulConfig("mbm", 8)) == ()


def test_a_table_or_changed_file_has_no_slot(tmp_path, trunc):
    np.save(tmp_path / "t.npy", np.zeros((16, 16), dtype=np.int64))
    with pytest.raises(MBMError, match="is a table: the RTL flows need its circuit: allowed verilog:PATH.v"):
        imported_rtl.slot(resolve(f"lut:{tmp_path / 't.npy'}"))
    copy = tmp_path / "trunc_mul.v"
    copy.write_text((VERILOG / "trunc_mul.v").read_text())
    m = resolve(f"verilog:{copy}")
    copy.write_text(copy.read_text().replace("parameter K = 4", "parameter K = 5"))
    with pytest.raises(MBMError, match="changed since it was imported"):
        imported_rtl.slot(m)


def _lint(top: str, m, params: dict, extra=None) -> subprocess.CompletedProcess:
    runner.verilator_env()
    files = [*(extra if extra is not None else imported_rtl.sources(m)), *cores.sources(top, lint.TARGET)]
    cmd = ["verilator", "--lint-only", "-Wall", "--top-module", top, *map(str, files),
           *(f"-G{k}={v}" for k, v in params.items())]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)


@pytest.mark.parametrize("spec,extra", [(TRUNC, {}), (TRUNC, {"SKID": 1, "PIPE": 1, "LANES": 3, "ACC_W": 20}),
                                        (TRUNC_S, {"LANES": 1, "ACC_W": 16})])
def test_array_with_the_slot_lints_clean(spec, extra):
    m = resolve(spec)
    proc = _lint("mbm_mac_array", m, array_parameters(m, 4, 32) | extra)
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("spec,signed", [(TRUNC, 0), (TRUNC, 1), (TRUNC_S, 1)])
def test_axis_with_the_slot_lints_clean(spec, signed):
    m = resolve(spec)
    proc = _lint("mbm_mul_axis", m, {**slot_parameters(m), "SIGNED": signed})
    assert proc.returncode == 0 and "%Warning" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("top,params,message", [
    ("mbm_mac_array", {"TWOS": 0}, "N=8 P_W=16 TWOS=0 do not fit module trunc_mul_s: allowed N=8 P_W=16 TWOS=1"),
    ("mbm_mac_array", {"IMP_P_W": 17}, "N=8 P_W=17 TWOS=1 do not fit module trunc_mul_s"),
    ("mbm_mac_array", {"N": 7}, "N=7 P_W=16 TWOS=1 do not fit module trunc_mul_s"),
    ("mbm_mac_array", {"ACC_W": 15}, "ACC_W=15 is out of range: allowed 16..63"),
    ("mbm_mac_array", {"EXACT": 1}, "IMPORTED=1 with EXACT=1 MITCHELL=0 TRUNC=0 FRAC_OUT=0 is not allowed"),
    ("mbm_mac_array", {"IMP_P_W": 49}, "IMP_P_W=49 is out of range: allowed 1..48"),
    ("mbm_mac_array", {"IMPORTED": 0}, "TWOS=1 with IMPORTED=0 is not allowed"),
    ("mbm_mac_array", {"IMPORTED": 2}, "IMPORTED=2 is not allowed: allowed 0 or 1"),
    ("mbm_mul_axis", {"SIGNED": 0}, "TWOS=1 with IMPORTED=1 SIGNED=0 is not allowed"),
    ("mbm_mul_axis", {"SIGNED": 1, "TRUNC": 1}, "IMPORTED=1 with TRUNC=1 FRAC_OUT=0 MITCHELL=0 is not allowed"),
])
def test_wrong_parameters_stop_elaboration(trunc_s, top, params, message):
    """The wrapper refuses an N, P_W or TWOS that is not its module's; the RTL its own checks."""
    proc = _lint(top, trunc_s, {**slot_parameters(trunc_s), "SIGNED": 1, **params}
                 if top == "mbm_mul_axis" else {**array_parameters(trunc_s, 4, 32), **params})
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr


def test_vector_set_records_the_imported_multiplier(tmp_path, trunc, trunc_s):
    vs = array_set("layer", trunc_s, lanes=4, tile="0:0:1:2")
    assert vs.config == "layer-verilog-trunc_mul_s-n8-twos-l4-a" + str(vs.parameters["ACC_W"])
    folder = write_set(vs, tmp_path, commit="test")
    loaded = load_set(folder)
    # the spec as any cwd finds it: repository-relative (the fixture's path is absolute)
    assert loaded.manifest["mul_config"] == {**to_dict(trunc_s), "spec": "verilog:tests/data/verilog/trunc_mul_s.v:signed"}
    assert loaded.cfg.table.sha256 == trunc_s.table.sha256
    assert [f[1:] for f in loaded.manifest["memories"]["stim"]["layout"][1:3]] == [[8, "tc"], [8, "tc"]]
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    path.write_text(json.dumps({**manifest, "parameters": {**manifest["parameters"], "TWOS": 0}}))
    with pytest.raises(MBMError, match="do not build"):
        load_set(folder)
    path.write_text(json.dumps({**manifest, "mul_config": {**manifest["mul_config"], "table_sha256": "0" * 64}}))
    with pytest.raises(MBMError, match="its products changed since this result was made"):
        load_set(folder)
    assert array_set("layer", trunc, lanes=4, tile="0:0:1:2").config.startswith("layer-verilog-trunc_mul-n8-l4-a")


# ---- the scoreboard catches a broken slot ----

def _mutant_run(tmp_path, label: str, spec: str, edit, extra_files=()) -> runner.SimResult:
    """MacArrayTest (few random beats) on the array whose generated wrapper ``edit`` broke."""
    m = resolve(spec)
    vlt, wrapper, user = imported_rtl.slot(m).files
    broken = tmp_path / "mbm_imported_mul.v"
    broken.write_text(edit(wrapper.read_text()))
    dut = regressions.DUTS["mbm_mac_array"]
    return runner.run(dut.toplevel, [vlt, broken, user, *extra_files, *dut.sources], array_parameters(m, 4, 32),
                      dut.test_module, name=f"mutant-{label}", testcase="MacArrayTest", samples=300,
                      extra_env={imported_rtl.MULT_ENV: spec}, variant=f"mutant-{label}")


def test_scoreboard_catches_swapped_operands(tmp_path):
    """bam_mul omits low rows of b only, so a wrapper that feeds b into a is wrong."""
    result = _mutant_run(tmp_path, "operands-swapped", f"verilog:{VERILOG / 'bam_mul.v'}",
                         lambda t: t.replace(".a (a_i),", ".a (b_i),").replace(".b (b_i),", ".b (a_i),"))
    assert not result.passed
    assert "MISMATCH dot #" in result.log_tail(200_000), result.summary()


def test_scoreboard_catches_the_wrong_module(tmp_path):
    """A wrapper around drum_mul scored against trunc_mul's table (same ports and widths)."""
    result = _mutant_run(tmp_path, "wrong-module", TRUNC, lambda t: t.replace("trunc_mul u_mul", "drum_mul u_mul"),
                         [VERILOG / "drum_mul.v"])
    assert not result.passed
    assert "MISMATCH dot #" in result.log_tail(200_000), result.summary()


def test_scoreboard_catches_a_sign_magnitude_wrap_signed_by_one_operand(tmp_path):
    """The array's own wrap (TWOS=0) broken: the product signed by the activation alone."""
    m = resolve(TRUNC)
    good = "                                                : (act[N] ^ wgt[N]) ? -{1'b0, raw} : {1'b0, raw};"
    source = (RTL_DIR / "mbm_mac_array.v").read_text()
    assert source.count(good) == 1
    broken = tmp_path / "mbm_mac_array.v"
    broken.write_text(source.replace(good, good.replace("(act[N] ^ wgt[N])", "(act[N])")))
    dut = regressions.DUTS["mbm_mac_array"]
    result = runner.run(dut.toplevel, [*imported_rtl.sources(m), *dut.sources[:-1], broken], array_parameters(m, 4, 32),
                        dut.test_module, name="mutant-signmag-wrap", testcase="MacArraySaturationTest",
                        extra_env={imported_rtl.MULT_ENV: TRUNC}, variant="mutant-signmag-wrap")
    assert not result.passed
    assert "MISMATCH dot #" in result.log_tail(200_000), result.summary()


def test_registry_runs_build_what_they_name():
    """The imported regressions' parameters are those of their multiplier (and the wrapper
    would refuse others at elaboration)."""
    runs = [r for r in regressions.REGRESSIONS if r.mult]
    assert {r.name for r in runs if not r.slow} >= {"mac-trunc_mul-l4-a32", "mac-trunc_mul_s-twos-l4-a32-pipe"}
    for r in runs:
        sources, env = r.inputs()
        m = resolve(env[imported_rtl.MULT_ENV])
        check_parameters(r.parameters, m)
        assert sources[: len(imported_rtl.sources(m))] == imported_rtl.sources(m)


# ---- co-simulation and replay ----

@pytest.mark.parametrize("spec", [TRUNC, pytest.param(TRUNC_S, marks=pytest.mark.slow)], ids=["signmag", "twos"])
def test_cosim_cli_with_an_imported_multiplier_is_bit_exact(tmp_path, spec):
    from pymodel.cli import main

    out = tmp_path / "cosim"
    assert main(["cosim", "--mult", spec, "--layer", "synthetic", "--tile", "0:0:1:2", "--lanes", "4",
                 "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "synthetic.json").read_text())
    assert report["mismatches"] == 0 and report["config"]["spec"] == resolve(spec).source.spec


def test_cosim_catches_another_module_in_the_slot(trunc):
    """The model is trunc_mul, the RTL's slot holds drum_mul (same ports and widths)."""
    from pymodel.hw.cosim import cosimulate
    from pymodel.hw.layers import Tile, default_acc_bits, load_layer, quantize_layer

    q = quantize_layer(*load_layer("synthetic", 1), trunc)
    r = cosimulate(q, Tile(0, 0, 1, 2), 4, default_acc_bits(q), progress=False,
                   rtl_mult=resolve(f"verilog:{VERILOG / 'drum_mul.v'}"))
    assert r.mismatches > 0 and r.examples[0]["rtl"] != r.examples[0]["model"]


def test_imported_vector_set_replays(tmp_path):
    from pymodel.cli import main
    from pymodel.hw.replay import replay_set

    assert main(["vectors", "--out", str(tmp_path), "--mult", TRUNC, "--dut", "mbm_mac_array", "--kind", "layer-sat",
                 "--lanes", "4", "--tile", "0:0:1:2"]) == 0
    (folder,) = (tmp_path / "mbm_mac_array").iterdir()
    assert folder.name.startswith("layer-sat-verilog-trunc_mul-n8-l4-a17")
    result = replay_set(folder)
    assert result.ok, result.output[-2000:]


def test_axis_scoreboard_catches_a_broken_wrap(tmp_path):
    """mbm_mul_axis's sign-magnitude wrap of an imported module signed by operand a alone."""
    m = resolve(TRUNC)
    good = "assign product = zero ? {P_W{1'b0}} : (a[N] ^ b[N]) ? -{1'b0, raw} : {1'b0, raw};"
    source = (RTL_DIR / "mbm_mul_axis.v").read_text()
    assert source.count(good) == 1
    broken = tmp_path / "mbm_mul_axis.v"
    broken.write_text(source.replace(good, good.replace("(a[N] ^ b[N])", "(a[N])")))
    dut = regressions.DUTS["mbm_mul_axis"]
    result = runner.run(dut.toplevel, [*imported_rtl.sources(m), *dut.sources[:-1], broken],
                        {**slot_parameters(m), "SIGNED": 1, "LATENCY": 2}, dut.test_module,
                        name="mutant-axis-signmag-wrap", testcase="AxisRandomTest", samples=500,
                        extra_env={imported_rtl.MULT_ENV: TRUNC}, variant="mutant-axis-signmag-wrap")
    assert not result.passed
    assert "MISMATCH" in result.log_tail(200_000), result.summary()
