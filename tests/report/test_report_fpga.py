"""The sign-off report's FPGA implementation section and its verdict checks, over fabricated
reports/fpga/*.json files shaped as pymodel.hw.fpga.flow writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymodel.core.paths import REPO_ROOT
from pymodel.report.collect import collect
from pymodel.report.config import load_config
from pymodel.report.render import build_report, write_report
from pymodel.report.verdict import FAIL, INCOMPLETE, PASS, check_fpga
from tests.report import report_fixtures as fx

CFG = load_config(REPO_ROOT / "signoff.toml")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    out, repo = tmp_path / "reports", tmp_path / "repo"
    out.mkdir()
    repo.mkdir()
    return out, repo


def _checks(out: Path, repo: Path):
    return check_fpga(collect(out, repo)["fpga"])


def test_without_make_fpga_every_fpga_check_is_incomplete_naming_it(dirs):
    checks = _checks(*dirs)
    assert len(checks) == 3 and {c.status for c in checks} == {INCOMPLETE}
    assert all("run `make fpga`" in c.summary for c in checks)


def test_a_good_design_passes_every_fpga_check(dirs):
    out, repo = dirs
    fx.write_fpga(out)
    assert [c.status for c in _checks(out, repo)] == [PASS, PASS, PASS]


@pytest.mark.parametrize("kwargs, index, reason", [
    ({"timing_met": False}, 0, "Fmax 20.0 MHz below the 25 MHz target"),
    ({"sim_netlist": "FAIL"}, 1, "netlist simulation FAIL: fail=1, the first at index 123"),
    ({"equivalence": "failed"}, 2, "equivalence failed (mbm_mul N=16)"),
])
def test_each_fpga_failure_is_named(dirs, kwargs, index, reason):
    out, repo = dirs
    fx.write_fpga(out, **kwargs)
    checks = _checks(out, repo)
    assert checks[index].status == FAIL and any(reason in r for r in checks[index].reasons), checks[index]
    assert [c.status for i, c in enumerate(checks) if i != index] == [PASS, PASS]


def test_the_section_shows_utilization_fmax_and_checks(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    report = build_report(CFG, out, repo)
    assert report["verdict"]["status"] == PASS
    write_report(report, out)
    md = (out / "signoff.md").read_text()
    section = md.split("## (g) FPGA implementation")[1].split("## Backend benchmark")[0]
    assert "| `ulx3s-85f-mbm_mul-exhaustive-mbm-n8-t0-25mhz` | LFE5U-85F (ulx3s-85f) |" in section
    assert "118 / 208 (56.7 %)" in section and "35.5 / 25.0" in section and "| met |" in section
    assert "mbm_mul N=16 proven" in section and "is in (f) Hardware cost" in section
    html = (out / "signoff.html").read_text()
    assert 'id="fpga"' in html and "118 / 208" in html


def _array_point(mult: str, lanes: int, lut4: int, dsp: int, fmax: float) -> dict:
    """A point as pymodel.hw.fpga.array writes it (the keys the report reads)."""
    used = {"lut4": lut4, "ff": 100 * lanes, "dsp": dsp, "bram": 0}
    return {"point": f"{mult}-l{lanes}", "mult": mult, "lanes": lanes, "bits": 8, "skid": 0, "pipe": 0,
            "device": "LFE5U-85F", "board": "ulx3s-85f", "target_mhz": 25.0, "fmax_mhz": fmax, "timing_met": fmax >= 25,
            "utilization": {k: {"used": v, "available": 1000, "percent": 0.0} for k, v in used.items()},
            "per_lane": {k: v / lanes for k, v in used.items()},
            "critical_path": {"from": "a.Q", "to": "b.DI", "delay_ns": 1.0}}


def _hardware_section(out: Path, repo: Path) -> str:
    fx.write_all(out, repo)
    write_report(build_report(CFG, out, repo), out)
    return (out / "signoff.md").read_text().split("## (f) Hardware cost")[1].split("## (g) FPGA implementation")[0]


def test_the_hardware_cost_section_shows_the_array_per_mac(dirs):
    out, repo = dirs
    (out / "fpga" / "array").mkdir(parents=True)
    (out / "fpga" / "array" / "summary.json").write_text(json.dumps({"harness": "H", "dsp": "D", "points": [
        _array_point("exact", 16, 2400, 16, 80.0), _array_point("mbm", 16, 5600, 0, 56.1)]}))
    section = _hardware_section(out, repo)
    assert "### MAC array on ECP5, place and route" in section
    # per lane = per MAC; MBM before exact at the same LANES; GMAC/s = 16 x 56.1 MHz
    mbm, exact = section.index("| mbm | 16 |"), section.index("| exact | 16 |")
    assert mbm < exact
    assert "| 5,600 | 1,600 | 0 | 0 | 350.0 | 100.0 | 0.00 | 56.1 / 25.0 | 0.90 |" in section
    assert "| 150.0 | 100.0 | 1.00 | 80.0 / 25.0 |" in section


def test_without_make_fpga_array_the_section_names_it(dirs):
    section = _hardware_section(*dirs)
    assert "fpga/array/summary.json` found. Run `make fpga-array`" in section
