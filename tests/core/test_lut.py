"""Lookup-table export: indexing, formats and limits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from pymodel.core.arith import MulConfig, mul_signed, mul_unsigned


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "pymodel", "lut", *args], capture_output=True, text=True)


def test_unsigned_npy_is_indexed_a_b(tmp_path):
    out = tmp_path / "mbm8.npy"
    assert run_cli("--bits", "8", "--format", "npy", "--out", str(out)).returncode == 0
    table = np.load(out)
    assert table.shape == (256, 256) and table.dtype == np.int64
    assert table[255, 255] == 66304 and table[3, 5] == 14 and table[0, 9] == 0
    a, b = np.divmod(np.arange(256 * 256), 256)
    np.testing.assert_array_equal(table.ravel(), mul_unsigned(a, b, MulConfig()))


def test_signed_npy_is_offset_by_max_operand(tmp_path):
    out = tmp_path / "s6.npy"
    assert run_cli("--bits", "6", "--signed", "--trunc", "0", "--format", "npy", "--out", str(out)).returncode == 0
    table = np.load(out)
    assert table.shape == (127, 127)
    off = 63
    cfg = MulConfig("mbm", 6)
    for a, b in [(-63, 63), (-1, -1), (0, -5), (17, -40)]:
        assert table[a + off, b + off] == int(mul_signed(a, b, cfg))


def test_hex_is_one_twos_complement_word_per_entry(tmp_path):
    out = tmp_path / "s4.hex"
    assert run_cli("--bits", "4", "--signed", "--frac-out", "--format", "hex", "--out", str(out)).returncode == 0
    words = out.read_text().split()
    cfg = MulConfig("mbm", 4, frac_out=True)
    width = cfg.product_bits + 1  # sign bit
    assert len(words) == 31 * 31 and all(len(w) == (width + 3) // 4 for w in words)
    raw = np.array([int(w, 16) for w in words])
    decoded = np.where(raw >= 1 << (width - 1), raw - (1 << width), raw)
    ops = np.arange(-15, 16)
    np.testing.assert_array_equal(decoded, mul_signed(ops[:, None], ops[None, :], cfg).ravel())
    assert decoded[0] == int(mul_signed(-15, -15, cfg)) and decoded[16] == int(mul_signed(-15, 1, cfg)) < 0


@pytest.mark.parametrize(
    "args,message",
    [
        (["--bits", "12", "--format", "npy"], "error: bits=12 is too wide for a lookup table: allowed 4..10"),
        (["--bits", "8", "--format", "csv"], "error: unknown LUT format 'csv': allowed npy, hex, tfapprox, adapt, approxtorch"),
    ],
)
def test_bad_input_is_one_line(tmp_path, args, message):
    out = run_cli(*args, "--out", str(tmp_path / "x"))
    assert out.returncode == 2 and out.stderr.strip() == message
