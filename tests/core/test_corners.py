"""The one corner-operand set (pymodel.core.corners): its members, and that it is the union
of the three sets the benches, the vectors and characterize used to define on their own."""

from __future__ import annotations

import pytest

from pymodel.core.arith import MAX_BITS, MIN_BITS, sm_decode
from pymodel.core.corners import corner_magnitudes, corner_values, corner_words

WIDTHS = range(MIN_BITS, MAX_BITS + 1)


def test_the_4_bit_corners_by_hand():
    # 0..3; 2^k +- 1 for k = 0..3; midpoints 3, 6, 12; 15, 14, 13; 0101 and 1010
    assert corner_magnitudes(4).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15]
    assert corner_values(4, signed=True)[:3].tolist() == [-15, -14, -13]
    assert 0 in corner_values(4, signed=True) and -0 not in corner_values(4, signed=True)[:-16]


def _old_sets(bits: int) -> list[set[int]]:
    """The three sets this one replaces, as their modules defined them (characterize and
    tb/common/sequences shared one; hw/vectors had its own)."""
    top = (1 << bits) - 1
    characterize = {0, 1, top} | {v for k in range(bits) for v in ((1 << k) - 1, 1 << k, (1 << k) + 1)}
    vectors = {0, 1, 2, 3, top, top - 1, top - 2, int("01" * 8, 2) & top, int("10" * 8, 2) & top}
    vectors |= {v for k in range(1, bits) for v in ((1 << k) - 1, 1 << k, (1 << k) + 1)}
    return [characterize, vectors]


@pytest.mark.parametrize("bits", WIDTHS)
def test_the_set_holds_every_old_corner_and_the_midpoints(bits):
    mags = corner_magnitudes(bits)
    assert mags.tolist() == sorted(set(mags.tolist())) and mags.min() == 0 and mags.max() == (1 << bits) - 1
    for old in _old_sets(bits):
        assert old <= set(mags.tolist())
    assert {3 << k for k in range(bits - 1)} <= set(mags.tolist())  # fraction 1/2: the carry edge


@pytest.mark.parametrize("bits", [4, 8, 16])
def test_signed_words_hold_both_signs_of_every_magnitude_with_negative_zero(bits):
    words, mags = corner_words(bits, signed=True), corner_magnitudes(bits)
    assert len(words) == 2 * len(mags) and len(set(words.tolist())) == len(words)
    assert 1 << bits in words.tolist()  # negative zero
    assert sorted(set(sm_decode(words, bits).tolist())) == corner_values(bits, signed=True).tolist()
    assert corner_words(bits).tolist() == mags.tolist()
