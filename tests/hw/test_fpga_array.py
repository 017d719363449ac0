"""The MAC array's place-and-route measurement (pymodel.hw.fpga.array): CI-sized points on the
LFE5U-25F. The full sweep (`make fpga-array`, LANES 1..64 on the 85F) is not run here."""

from __future__ import annotations

import json

import pytest

from pymodel.hw.array_params import array_mul_config
from pymodel.hw.fpga import array
from pymodel.hw.fpga.boards import board

pytestmark = pytest.mark.rtl


def test_points_name_and_parameters():
    p = array.Point("exact", 16, skid=1, pipe=1)
    assert p.name == "exact-l16-skid-pipe"
    assert p.parameters() == {"N": 8, "TRUNC": 0, "FRAC_OUT": 0, "MITCHELL": 0, "EXACT": 1, "SKID": 1, "PIPE": 1,
                              "LANES": 16, "ACC_W": 32}
    assert array_mul_config(p.parameters()).mult == "exact"
    assert array.Point("mbm", 4).parameters() == {"N": 8, "TRUNC": 0, "FRAC_OUT": 0, "MITCHELL": 0, "LANES": 4, "ACC_W": 32}


@pytest.fixture(scope="module")
def small_sweep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fpga-array")
    points = [array.Point("mbm", 1), array.Point("exact", 1), array.Point("mbm", 4)]
    records = array.sweep(points, board("ulx3s-25f"), 25.0, log=lambda _: None, build_root=tmp / "build",
                          reports=tmp / "reports")
    return tmp, {r["point"]: r for r in records}


def test_exact_lanes_use_dsps_and_approximate_ones_do_not(small_sweep):
    _, rec = small_sweep
    assert rec["exact-l1"]["utilization"]["dsp"]["used"] == 1
    assert rec["mbm-l1"]["utilization"]["dsp"]["used"] == 0
    assert rec["mbm-l1"]["utilization"]["lut4"]["used"] > rec["exact-l1"]["utilization"]["lut4"]["used"]
    for r in rec.values():
        assert r["fmax_mhz"] > 0 and r["target_mhz"] == 25.0 and r["device"] == "LFE5U-25F"


def test_lanes_are_not_merged(small_sweep):
    """Every lane reads its own weight registers: four lanes cost about four times one (a
    harness that broadcast one weight to every lane would let Yosys merge them)."""
    _, rec = small_sweep
    assert rec["mbm-l4"]["per_lane"]["lut4"] > 0.8 * rec["mbm-l1"]["per_lane"]["lut4"]


def test_summary_and_point_files_are_written(small_sweep):
    tmp, rec = small_sweep
    summary = json.loads((tmp / "reports" / array.SUMMARY_FILE).read_text())
    assert {r["point"] for r in summary["points"]} == set(rec)
    assert json.loads((tmp / "reports" / "array" / "exact-l1.json").read_text())["per_lane"]["dsp"] == 1.0
