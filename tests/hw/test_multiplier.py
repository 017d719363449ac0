"""Spec string -> multiplier (pymodel.hw.multiplier) and the imported multiplier's properties
(pymodel.core.multiplier): encodings, bounds, the sign-magnitude wrap, records read back."""

import json

import numpy as np
import pytest

from pymodel.core import multiplier as mm
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.hw.multiplier import from_dict, resolve

VERILOG = REPO_ROOT / "tests" / "data" / "verilog"


@pytest.fixture
def table_file(tmp_path):
    """An unsigned 4-bit table written as .npy: P = a*b with the lowest bit cleared."""
    ops = np.arange(16)
    path = tmp_path / "clr4.npy"
    np.save(path, (ops[:, None] * ops[None, :]) & ~1)
    return path


def test_builtin_specs_resolve_to_mulconfig():
    assert resolve("mbm:12:t3") == MulConfig("mbm", 12, trunc=3)
    assert mm.encoding(MulConfig()) == "signmag"
    assert mm.operand_bounds(MulConfig("mbm", 8)) == (-255, 255)


def test_unsigned_table_is_wrapped_in_sign_magnitude(table_file):
    m = resolve(f"lut:{table_file}")
    assert (m.mult, m.bits, m.encoding) == ("lut", 4, "signmag")
    assert mm.operand_bounds(m) == (-15, 15)
    net = mm.network_table(m)
    assert net.encoding == "signmag"
    for a, b in [(3, 5), (-3, 5), (3, -5), (-7, -7), (0, -9), (15, 15)]:
        want = np.sign(a) * np.sign(b) * ((abs(a) * abs(b)) & ~1)
        assert int(net.mul(np.array(a), np.array(b))) == want


def test_signed_module_keeps_twos_complement():
    m = resolve(f"verilog:{VERILOG / 'trunc_mul_s.v'}", signed=True)
    assert (m.mult, m.bits, m.encoding, m.name) == ("verilog", 8, "twos", "trunc_mul_s")
    assert mm.operand_bounds(m) == (-128, 127)
    assert mm.network_table(m) is m.table
    assert mm.spec_of(m).endswith(":signed")


def test_signed_npy_is_indexed_in_twos_complement(tmp_path):
    ops = np.arange(-8, 8)
    path = tmp_path / "s4.npy"
    np.save(path, ops[:, None] * ops[None, :])
    m = resolve(f"lut:{path}:signed")
    assert (m.encoding, mm.operand_bounds(m)) == ("twos", (-8, 7))
    assert int(mm.network_table(m).mul(np.array(-8), np.array(7))) == -56
    with pytest.raises(MBMError, match="is negative: allowed products >= 0 for unsigned operands"):
        resolve(f"lut:{path}")  # the same file without :signed


@pytest.mark.parametrize("bits", [4, None])
def test_bits_must_match(table_file, bits):
    assert resolve(f"lut:{table_file}", bits=bits).bits == 4
    with pytest.raises(MBMError, match="--bits 8 disagrees with lut:.*operands are 4 bits wide: allowed --bits 4"):
        resolve(f"lut:{table_file}", bits=8)


def test_missing_file_is_one_line():
    with pytest.raises(MBMError, match="'nope.npy' does not exist"):
        resolve("lut:nope.npy")


def test_records_read_back_and_catch_a_changed_file(table_file):
    m = resolve(f"lut:{table_file}")
    record = json.loads(json.dumps(mm.to_dict(m)))
    assert set(record) == set(mm.IMPORT_KEYS)
    assert from_dict(record).table.sha256 == m.table.sha256
    assert from_dict(mm.to_dict(MulConfig("mitchell", 8))) == MulConfig("mitchell", 8)
    np.save(table_file, np.arange(256).reshape(16, 16))  # the file changes after the result
    with pytest.raises(MBMError, match="its products changed since this result was made"):
        from_dict(record)
    with pytest.raises(MBMError, match="lacks table_sha256"):
        from_dict({k: v for k, v in record.items() if k != "table_sha256"})


def test_quantize_layer_follows_the_encoding(tmp_path):
    """A twos multiplier's layer is calibrated to max |x| -> 127 and clamped to -128..127;
    the built-in's to 255 (the numbers of every existing sign-magnitude test)."""
    from pymodel.hw.layers import load_layer, quantize_layer

    ops = np.arange(-128, 128)
    np.save(tmp_path / "s8.npy", ops[:, None] * ops[None, :])
    conv, x, name = load_layer("synthetic", 0)
    twos = quantize_layer(conv, x, name, resolve(f"lut:{tmp_path / 's8.npy'}:signed"))
    sm = quantize_layer(conv, x, name, MulConfig("mbm", 8))
    assert int(twos.x_q.abs().max()) == 127 and int(sm.x_q.abs().max()) == 255
    assert int(twos.w_q.abs().amax(dim=(1, 2, 3)).min()) == 127 and int(twos.w_q.min()) >= -128
    clipped = quantize_layer(conv, x, name, resolve(f"lut:{tmp_path / 's8.npy'}:signed"), method="percentile")
    assert int(clipped.x_q.min()) >= -128 and int(clipped.x_q.max()) == 127
