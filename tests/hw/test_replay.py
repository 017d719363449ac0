"""Plain-Verilog replay benches under verilator --binary: pass, and fail loudly when wrong."""

import pytest

from pymodel.core.arith import MulConfig
from pymodel.cli import main
from pymodel.hw.replay import MUL_DEPTH, depth, replay_set
from pymodel.hw.vectors import array_set, write_set

pytestmark = pytest.mark.rtl
MBM8 = MulConfig("mbm", 8)


def test_depth_rounds_up_to_power_of_two():
    assert [depth(n) for n in (1, 1024, 8192, 8193, 65536)] == [8192, 8192, 8192, 16384, 65536]
    assert depth(676, MUL_DEPTH) == depth(262144, MUL_DEPTH) == 262144


def test_multiplier_replay_passes_then_catches_one_wrong_word(mul_corner_set, corrupt_expected_word):
    ok = replay_set(mul_corner_set)
    assert ok.ok and (ok.passed, ok.failed) == (1024, 0), ok.output
    corrupt_expected_word(mul_corner_set, 5)
    bad = replay_set(mul_corner_set)
    assert bad.returncode != 0 and (bad.passed, bad.failed) == (1023, 1), bad.output
    assert "MISMATCH vector 5" in bad.output and "REPLAY FAIL" in bad.output


def test_array_replay_passes_then_catches_one_wrong_word(tmp_path, corrupt_expected_word):
    vs = array_set("layer-sat", MBM8, lanes=16, tile="0:0:1:2")  # ACC_W 18: lanes saturate
    assert vs.parameters["ACC_W"] == 18 and vs.info["saturated"] > 0
    folder = write_set(vs, tmp_path)
    ok = replay_set(folder, stall=30, seed=3)
    assert ok.ok and (ok.passed, ok.failed) == (6, 0) and "overflow seen" in ok.output, ok.output
    corrupt_expected_word(folder, 4)
    bad = replay_set(folder, stall=30, seed=3)
    assert bad.returncode != 0 and (bad.passed, bad.failed) == (5, 1), bad.output
    assert "MISMATCH dot 4" in bad.output


def test_replay_cli_refuses_sha_mismatch(mul_corner_set, tmp_path, capsys):
    (mul_corner_set / "stim.coe").write_text("memory_initialization_radix=16;\n")
    assert main(["replay", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "stim.coe: sha256" in err and "does not match the manifest" in err
    assert len(err.splitlines()) == 1


def test_replay_cli_passes_and_reports_rate(mul_corner_set, tmp_path, capsys):
    assert main(["replay", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "PASS mbm_mul/corners-mbm-n8-t0: 1024 pass, 0 fail" in out and "vectors/s" in out
