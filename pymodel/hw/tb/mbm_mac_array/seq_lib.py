"""The sequence library of mbm_mac_array (its ``seq_lib``): directed and random dot products.

* :class:`SaturationSeq`: per lane, saturate high and low, land exactly on a bound, overflow
  by one, saturate and come back (sticky flag, value in range), bias at the bounds;
* :class:`ResetSeq`: resets early (beat 1..3) and late (beat >= 4) in dot products and
  right after one (its result in flight), each
  followed by complete dot products that must come out right;
* :class:`BurstSeq`: back-to-back 1..3-beat dot products (output backpressure reaches the input);
* :class:`LengthSweepSeq`: lengths 1 .. :data:`MAX_K`;
* :class:`RandomDotSeq`: log-uniform lengths until a number of beats was sent.

Operands stay within the multiplier's range (:func:`pymodel.core.multiplier.operand_bounds`);
random biases within ACC_W bits (a directed corner beyond a narrow accumulator's range goes
out wrapped to ACC_W bits, see agent.py). The saturation corners use the operands of the
largest and the most negative product (:func:`extreme_products`).
"""

from __future__ import annotations

import numpy as np
from pyuvm import uvm_sequence

from pymodel.core.arith import MulConfig, mul_signed
from pymodel.core.conv import acc_range
from pymodel.core.multiplier import Multiplier, network_table, operand_bounds
from pymodel.hw.tb.mbm_mac_array.agent import DotItem
from pymodel.hw.tb.mbm_mac_array.cfg import MacArrayCfg

#: The seed network's longest dot product (decoder.conv2: 1280 channels x 3x3).
MAX_K = 11520


def extreme_products(m: Multiplier) -> tuple[int, int, int, int, int]:
    """(act, w_up, w_down, p_up, p_down): an activation, the weight that gives the largest
    product p_up > 0 with it and the one that gives the most negative p_down < 0. A built-in
    multiplier's: the full-scale operands +-M; an imported one's: read from its table (the
    row of its largest product)."""
    if isinstance(m, MulConfig):
        top = m.max_operand
        p = int(mul_signed(top, top, m))
        return top, top, -top, p, -p
    table = network_table(m)
    a, w = np.unravel_index(int(np.argmax(table.values)), table.values.shape)
    row = table.values[a]
    down = int(np.argmin(row))
    return table.lo + int(a), table.lo + int(w), table.lo + down, int(row[w]), int(row[down])


class DotSeq(uvm_sequence):
    """Base: sends the DotItems of :meth:`items` (see the module docstring for the ranges)."""

    def __init__(self, name: str, cfg: MacArrayCfg, rng: np.random.Generator) -> None:
        super().__init__(name)
        self.mul, self.lanes, self.rng = cfg.rtl, cfg.lanes, rng
        self.op_lo, self.op_hi = operand_bounds(cfg.rtl)
        self.lo, self.hi = acc_range(cfg.acc_w)

    def items(self):
        raise NotImplementedError

    def random_dot(self, k: int, bias_scale: int | None = None, reset_after: int = 0) -> DotItem:
        act = self.rng.integers(self.op_lo, self.op_hi, k, endpoint=True)
        wgt = self.rng.integers(self.op_lo, self.op_hi, (k, self.lanes), endpoint=True)
        scale = bias_scale if bias_scale is not None else min(self.hi, 1 << 20)
        bias = self.rng.integers(-scale, scale, self.lanes, endpoint=True)
        return DotItem(f"k{k}", act, wgt, bias, reset_after)

    async def body(self) -> None:
        for item in self.items():
            await self.start_item(item)
            await self.finish_item(item)


class LengthSweepSeq(DotSeq):
    """Lengths 1, 2, 3, 9, 10, 99, 100, 1008 (up5.convA), 9999 and 11520 (the longest)."""

    def items(self):
        for k in (1, 2, 3, 9, 10, 99, 100, 1008, 9999, MAX_K):
            yield self.random_dot(k)


class RandomDotSeq(DotSeq):
    """Dot products of log-uniform length 1..max_k until ``beats`` beats were sent."""

    def __init__(self, name, cfg, rng, beats: int, max_k: int = 2000) -> None:
        super().__init__(name, cfg, rng)
        self.beats, self.max_k = beats, max_k

    def items(self):
        sent = 0
        while sent < self.beats:
            k = int(np.exp(self.rng.uniform(0, np.log(self.max_k + 1))))
            k = max(1, min(k, self.max_k))
            yield self.random_dot(k, bias_scale=int(self.rng.choice([0, 1000, self.hi])))
            sent += k


class SaturationSeq(DotSeq):
    """Per lane: saturate high, saturate low, hit the bound exactly without overflow,
    overflow by one, saturate then come back (sticky flag, value in range), bias at the
    bounds; lengths 1 and longer."""

    def items(self):
        lanes, hi, lo = self.lanes, self.hi, self.lo
        m, w_up, w_down, p, p_down = extreme_products(self.mul)  # act m: products p > 0, p_down < 0
        ones = np.ones(lanes, dtype=np.int64)
        full, neg = np.full((1, lanes), w_up), np.full((1, lanes), w_down)

        def dot(name, act, wgt, bias):
            return DotItem(name, np.asarray(act, dtype=np.int64), np.asarray(wgt, dtype=np.int64),
                           np.asarray(bias, dtype=np.int64))

        yield dot("exact_max", [m], full, ones * (hi - p))  # lands exactly on the bound: no overflow
        yield dot("one_over_max", [m], full, ones * (hi - p + 1))
        yield dot("exact_min", [m], neg, ones * (lo - p_down))
        yield dot("one_under_min", [m], neg, ones * (lo - p_down - 1))
        yield dot("bias_at_max", [0], full, ones * hi)
        yield dot("bias_at_min", [1], neg, ones * lo)
        k = 8
        up, down = np.full((k, lanes), w_up), np.full((k, lanes), w_down)
        yield dot("high_then_back", [m] * k, np.concatenate([up[:4], down[:4]]), ones * (hi - p))
        yield dot("low_then_back", [m] * k, np.concatenate([down[:4], up[:4]]), ones * (lo - p_down))
        # mixed lanes: alternate lanes saturate high and low
        sign = np.where(np.arange(lanes) % 2 == 0, 1, -1)
        yield dot("mixed_lanes", [m] * 40, np.tile(np.where(sign > 0, w_up, w_down), (40, 1)),
                  np.where(sign > 0, hi - 10 * p, lo - 10 * p_down))
        # long run into saturation from a random start
        item = self.random_dot(3000, bias_scale=hi)
        item.act[:] = m
        item.wgt[:] = np.where(self.rng.random(lanes) < 0.5, w_up, w_down)
        yield item


class BurstSeq(DotSeq):
    """``count`` back-to-back dot products of 1..3 beats: results leave as fast as beats
    arrive, so output backpressure reaches the input (s_axis_tready drops)."""

    def __init__(self, name, cfg, rng, count: int = 1200) -> None:
        super().__init__(name, cfg, rng)
        self.count = count

    def items(self):
        for _ in range(self.count):
            yield self.random_dot(int(self.rng.integers(1, 3, endpoint=True)))


class ResetSeq(DotSeq):
    """Dot products interrupted by reset early (beat 1..3) and late (beat >= 4), or right
    after their tlast beat (the result in flight), each followed by complete dot products
    that must come out right."""

    def items(self):
        for k, at in ((9, 1), (5, 3), (200, 150), (1008, 1007), (40, 4), (1, 1), (3, 3), (40, 40)):
            yield self.random_dot(k, reset_after=at)
            yield self.random_dot(int(self.rng.integers(1, 50)))
            yield self.random_dot(3)
