"""Integer conv model: hand-checked cases, torch agreement, per-step saturation."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.conv import acc_bits_needed, acc_range, conv2d_int, dot_int, im2col, linear_int
from pymodel.core.errors import MBMError

EXACT = MulConfig(mult="exact", bits=8)
MBM = MulConfig(mult="mbm", bits=8)


def loop_dot(x, w, bias, cfg, acc_bits):
    """The MAC lane written as a plain Python loop over scalars."""
    lo, hi = -(1 << (acc_bits - 1)), (1 << (acc_bits - 1)) - 1
    acc, flag = bias, False
    for a, b in zip(x, w):
        acc += int(mul_signed(a, b, cfg))
        if acc < lo or acc > hi:
            flag, acc = True, min(hi, max(lo, acc))
    return acc, flag


def test_dot_hand_checked_mbm():
    # mbm(3,5)=14, mbm(255,255)=66304 (docs/arithmetic.md reference values), signs by XOR
    acc, ovf = dot_int(torch.tensor([[3, -255, 0]]), torch.tensor([[5, 255, -7], [-5, -255, 1]]),
                       torch.tensor([10, -1]), MBM)
    assert acc.tolist() == [[10 + 14 - 66304, -1 - 14 + 66304]]
    assert not ovf.any()


def test_saturation_order_matters():
    """+100, +100, -100 in 8 bits: saturates at 127 then 27 (not the plain sum 100)."""
    x = torch.tensor([[100, 100, -100]])
    w = torch.tensor([[1, 1, 1]])
    acc, ovf = dot_int(x, w, None, EXACT, acc_bits=8)
    assert acc.tolist() == [[27]] and ovf.tolist() == [[True]]
    acc, ovf = dot_int(x.flip(1), w, None, EXACT, acc_bits=8)
    assert acc.tolist() == [[100]] and ovf.tolist() == [[False]]


def test_sticky_flag_and_negative_saturation():
    acc, ovf = dot_int(torch.tensor([[-100, -100, 50, 50]]), torch.ones(1, 4, dtype=torch.long), None,
                       EXACT, acc_bits=8)
    assert acc.tolist() == [[-28]] and ovf.tolist() == [[True]]


def test_bias_must_fit_accumulator():
    with pytest.raises(MBMError, match="bias value 200 does not fit acc_bits=8: allowed -128..127"):
        dot_int(torch.ones(1, 2, dtype=torch.long), torch.ones(1, 2, dtype=torch.long), torch.tensor([200]),
                EXACT, acc_bits=8)


@pytest.mark.parametrize("bits", [1, 64, 0])
def test_bad_acc_bits(bits):
    with pytest.raises(MBMError, match=f"acc_bits={bits} is out of range"):
        acc_range(bits)


def test_float_input_refused():
    with pytest.raises(MBMError, match="quantize first"):
        conv2d_int(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 1, 1, dtype=torch.long), None, EXACT)


def test_operand_range_enforced():
    with pytest.raises(MBMError, match="out of range"):
        dot_int(torch.tensor([[256]]), torch.tensor([[1]]), None, MBM)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.integers(4, 12), st.sampled_from(["mbm", "mitchell", "exact"]),
       st.integers(0, 2**32 - 1))
def test_saturation_matches_python_loop(k, cout, acc_bits, mult, seed):
    cfg = MulConfig(mult=mult, bits=4)
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(-15, 16, (3, k), generator=g)
    w = torch.randint(-15, 16, (cout, k), generator=g)
    lo, hi = acc_range(acc_bits)
    b = torch.randint(lo, hi + 1, (cout,), generator=g)
    acc, ovf = dot_int(x, w, b, cfg, acc_bits=acc_bits)
    for i in range(3):
        for c in range(cout):
            want = loop_dot(x[i].tolist(), w[c].tolist(), int(b[c]), cfg, acc_bits)
            assert (int(acc[i, c]), bool(ovf[i, c])) == want


def test_loop_checker_catches_wrong_bound():
    """The Python-loop oracle is a real check: an off-by-one saturation bound disagrees."""
    x, w = torch.tensor([[100, 100]]), torch.tensor([[1, 1]])
    acc, _ = dot_int(x, w, None, EXACT, acc_bits=8)
    assert (int(acc[0, 0]), True) == loop_dot([100, 100], [1, 1], 0, EXACT, 8)
    assert (int(acc[0, 0]), True) != loop_dot([100, 100], [1, 1], 0, EXACT, 9)


conv_shapes = st.tuples(
    st.integers(1, 2),  # N
    st.integers(1, 3),  # groups
    st.integers(1, 3),  # Cin per group
    st.integers(1, 3),  # Cout per group
    st.integers(1, 3), st.integers(1, 3),  # kh kw
    st.integers(1, 3), st.integers(0, 2), st.integers(1, 2),  # stride padding dilation
)


@settings(max_examples=40, deadline=None)
@given(conv_shapes, st.integers(4, 16), st.integers(0, 2**32 - 1))
def test_exact_conv_equals_torch(shape, bits, seed):
    n, groups, cin_g, cout_g, kh, kw, stride, padding, dilation = shape
    g = torch.Generator().manual_seed(seed)
    hi = (1 << bits) - 1
    x = torch.randint(-hi, hi + 1, (n, cin_g * groups, 7, 6), generator=g)
    w = torch.randint(-hi, hi + 1, (cout_g * groups, cin_g, kh, kw), generator=g)
    b = torch.randint(-1000, 1000, (cout_g * groups,), generator=g)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    y, sat = conv2d_int(x, w, b, MulConfig(mult="exact", bits=bits), **kwargs)
    ref = torch.nn.functional.conv2d(x.double(), w.double(), b.double(), **kwargs)
    assert sat == 0 and y.dtype == torch.int64
    assert torch.equal(y.double(), ref)


def test_exact_conv_check_catches_flipped_bit():
    g = torch.Generator().manual_seed(1)
    x = torch.randint(-255, 256, (1, 2, 5, 5), generator=g)
    w = torch.randint(-255, 256, (3, 2, 3, 3), generator=g)
    y, _ = conv2d_int(x, w, None, EXACT)
    w2 = w.clone()
    w2[1, 0, 1, 1] ^= 4
    assert not torch.equal(y.double(), torch.nn.functional.conv2d(x.double(), w2.double()))


def test_mbm_conv_uses_arith_products():
    """Each output is bias + sum of arith.mul_signed over its im2col row (spot-checked)."""
    g = torch.Generator().manual_seed(2)
    x = torch.randint(-255, 256, (1, 3, 6, 6), generator=g)
    w = torch.randint(-255, 256, (2, 3, 3, 3), generator=g)
    b = torch.tensor([5, -7])
    y, _ = conv2d_int(x, w, b, MBM, padding=1, stride=2)
    rows = im2col(x, 3, 2, 1, 1)
    assert rows.shape == (1, 3, 3, 27)
    for i, j, c in [(0, 0, 0), (1, 2, 1), (2, 2, 0)]:
        want = int(b[c]) + int(mul_signed(rows[0, i, j], w[c].reshape(-1), MBM).sum())
        assert int(y[0, c, i, j]) == want


def test_im2col_column_order_is_weight_order():
    x = torch.arange(2 * 3 * 3).reshape(1, 2, 3, 3)
    rows = im2col(x, 2)
    # patch at (0,0): channel 0 [[0,1],[3,4]] then channel 1 [[9,10],[12,13]]
    assert rows[0, 0, 0].tolist() == [0, 1, 3, 4, 9, 10, 12, 13]


def test_linear_int_and_saturation_count():
    x = torch.tensor([[100, 100], [1, 2]])
    w = torch.tensor([[1, 1], [-1, -1]])
    y, sat = linear_int(x, w, torch.tensor([0, 0]), EXACT, acc_bits=8)
    assert y.tolist() == [[127, -128], [3, -3]] and sat == 2


def test_acc_bits_needed_never_saturates():
    cfg = MulConfig(bits=4, frac_out=True)
    k = 9
    width = acc_bits_needed(k, cfg, bias_bound=100)
    hi = cfg.max_operand
    x = torch.full((1, k), hi)
    w = torch.full((2, k), hi)
    w[1] = -hi
    acc, ovf = dot_int(x, w, torch.tensor([100, -100]), cfg, acc_bits=width)
    assert not ovf.any()
    assert acc_bits_needed(11520, MulConfig(bits=8)) == 32
