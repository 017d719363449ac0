"""ProductTable: encodings, validation (one-line errors) and the vectorized gather."""

import numpy as np
import pytest
import torch

from pymodel.core.arith import MulConfig, mul_signed, mul_unsigned
from pymodel.core.errors import MBMError
from pymodel.core.table import MAX_PRODUCT_BITS, ProductTable


def exact(encoding, bits):
    lo = {"unsigned": 0, "twos": -(1 << (bits - 1)), "signmag": -((1 << bits) - 1)}[encoding]
    ops = np.arange(lo, lo + (1 << bits) - (0 if encoding != "signmag" else -(1 << bits) + 1))
    return ops[:, None] * ops[None, :]


def test_encodings_index_as_documented():
    t = ProductTable(exact("twos", 4), "twos")
    assert (t.bits, t.lo, t.hi, t.product_bits) == (4, -8, 7, 8)  # -8 * -8 = 64 needs 8 bits signed
    assert t.values[-3 + 8, 5 + 8] == -15 and int(t.mul(-3, 5)) == -15
    u = ProductTable(exact("unsigned", 5), "unsigned")
    assert (u.bits, u.lo, u.hi, u.product_bits) == (5, 0, 31, 10) and int(u.mul(31, 31)) == 961
    s = ProductTable(exact("signmag", 3), "signmag")
    assert s.values.shape == (15, 15) and (s.bits, s.lo, s.hi) == (3, -7, 7) and int(s.mul(-7, 7)) == -49


def test_mul_is_vectorized_for_numpy_and_torch():
    t = ProductTable(exact("twos", 6), "twos")
    a, b = np.meshgrid(np.arange(-32, 32), np.arange(-32, 32), indexing="ij")
    np.testing.assert_array_equal(t.mul(a, b), a * b)
    got = t.mul(torch.arange(-32, 32)[:, None], torch.arange(-32, 32)[None, :])
    assert got.dtype == torch.int64 and torch.equal(got, torch.from_numpy(a * b))


def test_from_config_is_the_builtin_multiplier():
    cfg = MulConfig("mbm", 6)
    t = ProductTable.from_config(cfg)
    ops = np.arange(64)
    np.testing.assert_array_equal(t.mul(ops[:, None], ops[None, :]), mul_unsigned(ops[:, None], ops[None, :], cfg))
    s = ProductTable.from_config(cfg, signed=True)
    ops = np.arange(-63, 64)
    assert s.encoding == "signmag" and s.product_bits == cfg.product_bits + 1
    np.testing.assert_array_equal(s.mul(ops[:, None], ops[None, :]), mul_signed(ops[:, None], ops[None, :], cfg))
    assert ProductTable.from_config(MulConfig("mbm", 8, frac_out=True)).scale == 128


def test_immutable_and_hashed():
    values = exact("unsigned", 4)
    t = ProductTable(values, "unsigned")
    values[1, 1] = 99  # the table holds its own copy
    assert int(t.mul(1, 1)) == 1
    with pytest.raises(ValueError):
        t.values[1, 1] = 5
    other = exact("unsigned", 4)
    other[2, 3] += 1
    assert t.sha256 == ProductTable(exact("unsigned", 4), "unsigned").sha256 != ProductTable(other, "unsigned").sha256


@pytest.mark.parametrize("values,kwargs,message", [
    (np.zeros((16,), int), {}, r"product table has shape \(16,\): allowed 2 dimensions \(a, b\)"),
    (np.zeros((16, 8), int), {}, r"product table has shape \(16, 8\): allowed a square table"),
    (np.zeros((12, 12), int), {}, r"product table side 12 is not allowed for unsigned operands: allowed 2\^N with N <= 10"),
    (np.zeros((2048, 2048), np.int8), {}, "product table side 2048 is not allowed"),
    (np.zeros((16, 16), int), {"encoding": "signmag"}, r"side 16 is not allowed for signmag operands: allowed 2\^\(N\+1\) - 1"),
    (np.zeros((16, 16)), {}, r"product table has dtype float64 \(float\): allowed an integer dtype"),
    (np.full((16, 16), np.nan), {}, "product table has non-finite entries: allowed integers only"),
    (np.zeros((16, 16), bool), {}, r"dtype bool \(bool\): allowed an integer dtype"),
    (np.zeros((16, 16), object), {}, r"dtype object \(object\): allowed an integer dtype"),
    (np.full((16, 16), -1), {}, r"entry -1 at \(0, 0\) is negative: allowed products >= 0 for unsigned operands"),
    (np.full((16, 16), 300), {"encoding": "twos", "product_bits": 8}, "entry 300 at .* allowed -128..127"),
    (np.full((16, 16), 1 << 50), {}, f"product_bits=51 is out of range: allowed 1..{MAX_PRODUCT_BITS}"),
    (np.full((16, 16), 2**63, np.uint64), {}, "entry 9223372036854775808 is out of range"),
    (np.zeros((16, 16), int), {"encoding": "ones"}, "unknown operand encoding 'ones': allowed unsigned, twos, signmag"),
    (np.zeros((16, 16), int), {"scale": 3}, "scale=3 is not allowed: allowed a power of two >= 1"),
])
def test_bad_tables_are_one_line_errors(values, kwargs, message):
    with pytest.raises(MBMError, match=message) as err:
        ProductTable(values, **kwargs)
    assert "\n" not in str(err.value)


def test_bad_operands_and_widths():
    t = ProductTable(exact("twos", 4), "twos", name="t4")
    with pytest.raises(MBMError, match="operand b=8 is out of range for the twos N=4 table 't4': allowed -8..7"):
        t.mul(np.array([1, 2]), np.array([3, 8]))
    with pytest.raises(MBMError, match="operand a has dtype torch.float32: allowed integer tensors"):
        t.mul(torch.zeros(2), torch.zeros(2, dtype=torch.int64))
    with pytest.raises(MBMError, match="bits=11 is too wide for a lookup table: allowed 4..10"):
        ProductTable.from_config(MulConfig("mbm", 11))


def test_swapped_exchanges_the_operands():
    values = exact("twos", 4)
    values[0, 1] += 3  # P(-8, -7) only
    t = ProductTable(values, "twos", name="t")
    s = t.swapped()
    assert int(s.mul(-7, -8)) == 59 and int(s.mul(-8, -7)) == 56 and int(t.mul(-8, -7)) == 59
    assert s.encoding == "twos" and s.product_bits == t.product_bits and s.name == "t swapped"


def test_pickles_as_a_validated_read_only_copy():
    import pickle

    t = ProductTable(exact("twos", 4), "twos", name="t")
    t.torch_values()  # fills a cache that must not travel
    back = pickle.loads(pickle.dumps(t))
    assert back.sha256 == t.sha256 and back.label == t.label and not back.values.flags.writeable
    assert "_torch" not in back.__dict__
