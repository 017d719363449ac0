"""Signing off an imported multiplier (a ``lut:`` spec in signoff.toml): the verdict asks for
results measured with it (its slot parameters and table in the RTL records, its record in
co-simulation and the sweep), and the report shows its characterization, EvoApproxLib
metrics included, beside the built-ins at its width."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pymodel.core import multiplier as mm
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw import synthesis
from pymodel.hw.sim.record import TestRecord
from pymodel.report.accuracy import sweep_tables
from pymodel.report.collect import collect
from pymodel.report.config import load_config
from pymodel.report.render import build_report, write_report
from pymodel.report.verdict import FAIL, PASS, judge
from tests.report import report_fixtures as fx


@pytest.fixture
def table(tmp_path) -> Path:
    """An unsigned 8-bit table: the exact product with the lowest bit cleared."""
    ops = np.arange(256)
    path = tmp_path / "clr8.npy"
    np.save(path, (ops[:, None] * ops[None, :]) & ~1)
    return path


def config(tmp_path: Path, spec: str):
    path = tmp_path / "signoff.toml"
    path.write_text(f'[multiplier]\nspec = "{spec}"\n')
    return load_config(path)


def imported_results(tmp_path: Path, m: mm.TableMultiplier, *, rtl: bool = True, cosim: bool = True,
                     sweep: bool = True) -> tuple[Path, Path]:
    """The fixtures' passing results, with the imported multiplier's where asked."""
    out, repo = tmp_path / "reports", tmp_path / "repo"
    fx.write_all(out, repo)
    if rtl:
        rec = TestRecord(test="ArrayImportedTest", run="mac-array-imported", dut="mbm_mac_array",
                         parameters={"N": 8, "IMPORTED": 1, "TWOS": 0, "IMP_P_W": 16, "LANES": 4, "ACC_W": 32},
                         seed=5, transactions=1000, mismatches=0, result="PASS", seconds=1.0, tps=1000.0,
                         model=f"table {m.name} sha256 {m.table.sha256[:16]}")
        (out / "rtl" / "mac-array-imported.json").write_text(json.dumps(rec.to_json()))
    if cosim:
        path = out / "cosim" / "decoder.up5.convA.json"
        doc = json.loads(path.read_text())
        doc["config"] = {**mm.to_dict(m), "lanes": 4}
        path.write_text(json.dumps(doc))
    if sweep:
        path = out / "accuracy" / "sweep.json"
        doc = json.loads(path.read_text())
        doc["settings"]["multiplier"] = {**mm.to_dict(m), "label": mm.label(m)}
        path.write_text(json.dumps(doc))
    return out, repo


def verdict(out: Path, repo: Path, cfg):
    sources = collect(out, repo)
    return {c.name: c for c in judge(sources, sweep_tables(sources["accuracy"].data), cfg).checks}


def test_results_of_the_imported_multiplier_sign_it_off(tmp_path, table):
    cfg = config(tmp_path, f"lut:{table}")
    checks = verdict(*imported_results(tmp_path, cfg.multiplier), cfg)
    for name in ("RTL tests pass", "co-simulation bit-exact", "accuracy deviation within limits"):
        assert checks[name].status == PASS, (name, checks[name].reasons)


def test_results_of_the_builtin_do_not_sign_off_the_imported_multiplier(tmp_path, table):
    cfg = config(tmp_path, f"lut:{table}")
    checks = verdict(*imported_results(tmp_path, cfg.multiplier, rtl=False, cosim=False, sweep=False), cfg)
    assert checks["RTL tests pass"].reasons == [
        "no passing RTL test ran the signed-off configuration clr8 N=8 unsigned (IMPORTED=1 N=8 TWOS=0)"]
    assert any(f'--mult lut:{table}' in r for r in checks["co-simulation bit-exact"].reasons)
    assert checks["accuracy deviation within limits"].status == FAIL
    assert "measured mbm N=8 t=0, but the sign-off configuration is clr8 N=8 unsigned" in \
        checks["accuracy deviation within limits"].reasons[0]


def test_an_rtl_run_of_another_table_does_not_count(tmp_path, table):
    """Same slot parameters, another module: the record's golden model names another sha256."""
    cfg = config(tmp_path, f"lut:{table}")
    other = tmp_path / "other.npy"
    ops = np.arange(256)
    np.save(other, ops[:, None] * ops[None, :])
    checks = verdict(*imported_results(tmp_path, config(tmp_path, f"lut:{other}").multiplier), cfg)
    for name in ("RTL tests pass", "co-simulation bit-exact", "accuracy deviation within limits"):
        assert checks[name].status == FAIL, name


def test_the_report_shows_the_imported_multiplier_and_its_metrics(tmp_path, table):
    cfg = config(tmp_path, f"lut:{table}")
    out, repo = imported_results(tmp_path, cfg.multiplier)
    report = build_report(cfg, out, repo)
    rows = {s["label"]: s for s in report["characterization"]["stats"]}
    assert list(rows) == ["mbm N=8 t=0", "mitchell N=8 t=0", "exact N=8 t=0", "clr8 N=8 unsigned"]
    mine = rows["clr8 N=8 unsigned"]
    assert mine["spec"] == f"lut:{table}" and mine["ep_pct"] == pytest.approx(25.0)  # odd a and b: e = -1
    assert mine["mae_pct"] == pytest.approx(0.25 / 65536 * 100) and mine["mse"] == pytest.approx(0.25)
    assert report["title"] == "MBM sign-off report: clr8 N=8 unsigned"
    write_report(report, out)
    md = (out / "signoff.md").read_text()
    assert "EvoApproxLib metrics" in md and f"| clr8 N=8 unsigned | `lut:{table}` | 0.0004 |" in md
    assert "EvoApproxLib metrics" in (out / "signoff.html").read_text()
    assert json.loads((out / "signoff.json").read_text())["config"]["multiplier"]["spec"] == f"lut:{table}"


def test_an_assignment_with_an_imported_multiplier(tmp_path, table):
    path = tmp_path / "signoff.toml"
    path.write_text(f'[assignment]\n"{fx.LAYERS[0]}" = "mbm:8"\n"{fx.LAYERS[1]}" = "lut:{table}"\n')
    cfg = load_config(path)
    assert [mm.spec_of(m) for m in cfg.signed_off()] == ["mbm:8", f"lut:{table}"]
    assert cfg.as_dict()["assignment"] == {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: f"lut:{table}"}


@pytest.mark.parametrize(("text", "message"), [
    ('[multiplier]\nspec = "lut:x.npy"\nbits = 8\n', "has spec and bits: allowed spec alone"),
    ('[multiplier]\nspec = 8\n', "multiplier.spec=8 .*: allowed a spec string"),
    ('[multiplier]\nspec = "lut:none.npy"\n', "'none.npy' does not exist"),
    ('[multiplier]\nspec = "mbm"\n', "does not parse: allowed MULT:BITS"),
])
def test_bad_imported_specs_in_signoff_toml(tmp_path, text, message):
    path = tmp_path / "signoff.toml"
    path.write_text(text)
    with pytest.raises(MBMError, match=message):
        load_config(path)


@pytest.mark.rtl
def test_the_report_shows_an_assignments_imported_modules_by_label_and_spec(tmp_path, table):
    """An explore-style assignment with a verilog: module and a lut: table: section (a) lists
    each layer's multiplier by label and spec, and the hardware cost table has the module's
    own synthesis (from the shared cache) and a row saying the table has no RTL."""
    drum = f"verilog:{REPO_ROOT / 'tests' / 'data' / 'verilog' / 'drum_mul.v'}"
    path = tmp_path / "signoff.toml"
    path.write_text(f'[assignment]\n"{fx.LAYERS[0]}" = "{drum}"\n"{fx.LAYERS[1]}" = "lut:{table}"\n')
    cfg = load_config(path)
    out, repo = imported_results(tmp_path, cfg.assignment[fx.LAYERS[1]], rtl=False, cosim=False, sweep=False)
    design = synthesis.imported(cfg.assignment[fx.LAYERS[0]])
    want = {flow: synthesis.synthesize(design, flow, out / "synth") for flow in synthesis.FLOWS}
    report = build_report(cfg, out, repo)
    rows = {r["spec"]: r for r in report["synthesis"]["rows"] if r["spec"]}
    assert (rows[drum]["design"], rows[drum]["label"], rows[drum]["bits"]) == ("drum_mul", "drum_mul N=8 unsigned", 8)
    assert (rows[drum]["cells"], rows[drum]["luts"]) == (want["generic"].cells, want["xilinx"].luts)
    assert rows[drum]["error"] is None and rows[drum]["cached"]
    assert "has no RTL to synthesize" in rows[f"lut:{table}"]["error"]
    write_report(report, out)
    md = (out / "signoff.md").read_text()
    assert f"| layer `{fx.LAYERS[0]}` | drum_mul N=8 unsigned `{drum}` |" in md
    assert f"| layer `{fx.LAYERS[1]}` | clr8 N=8 unsigned `lut:{table}` |" in md
    assert f"| 8 | drum_mul `{drum}` | `drum_mul` | {want['generic'].cells} |" in md
    html = (out / "signoff.html").read_text()
    assert f"drum_mul <code>{drum}</code>" in html and "drum_mul N=8 unsigned" in html
