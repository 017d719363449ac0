"""The corner operands: one set for the RTL benches, the FPGA vector sets and characterize.

Why one set: a corner the benches cross but the board vectors lack (or the other way round)
is a corner the sign-off never sees twice. The magnitudes of an N-bit operand that sit on
the edges of the logarithmic encoding:

* 0, 1, 2, 3 (zero and the shortest fractions);
* every power of two 2^k and its neighbours 2^k - 1, 2^k + 1 (the leading-one edges);
* every midpoint 3 * 2^(k-1) between 2^k and 2^(k+1) (fraction 1/2: fa + fb = 1 is the
  carry edge of the fraction sum);
* all ones and its two neighbours below (2^N - 1, 2^N - 2, 2^N - 3: the largest fraction);
* the alternating patterns 0101... and 1010... (every other fraction bit set).

Signed operands (sign-magnitude, values in [-(2^N - 1), 2^N - 1]) take every corner
magnitude with both signs; as pin words (:func:`corner_words`) that includes negative zero,
the sign bit over a zero magnitude, which the RTL must read as zero.
"""

from __future__ import annotations

import numpy as np

from pymodel.core.arith import sm_encode


def corner_magnitudes(bits: int) -> np.ndarray:
    """The corner magnitudes of a ``bits``-wide operand (module docstring), sorted, unique."""
    top = (1 << bits) - 1
    values = {0, 1, 2, 3, top, top - 1, top - 2, top // 3, top - top // 3}
    for k in range(bits):
        values |= {(1 << k) - 1, 1 << k, (1 << k) + 1, 3 << k >> 1}
    return np.array(sorted(v for v in values if 0 <= v <= top), dtype=np.int64)


def corner_values(bits: int, signed: bool = False) -> np.ndarray:
    """Corner operand values: the magnitudes, and with ``signed`` also their negatives."""
    mags = corner_magnitudes(bits)
    return np.unique(np.concatenate([-mags, mags])) if signed else mags


def corner_words(bits: int, signed: bool = False) -> np.ndarray:
    """Corner operand pin words: the magnitudes, and with ``signed`` each magnitude under
    both sign bits (positive ones first), negative zero included."""
    mags = corner_magnitudes(bits)
    return np.concatenate([sm_encode(mags, bits), sm_encode(-mags, bits, zero_sign=1)]) if signed else mags
