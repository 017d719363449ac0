"""The agent side of mbm_mac_array: its transaction and its pins, on the generic stream BFM.

A transaction is a whole dot product (:class:`DotItem`): K activations, a (K, LANES) weight
block and LANES biases, optionally with a reset after ``reset_after`` of its beats. The
generic :class:`~tb.common.axis.AxisBfm` drives and observes it (random input stalls,
output backpressure, one result per dot product, resets, the sticky ``overflow_o`` sampled
with every result) and makes the header's timing checks: full throughput (SKID=1: one cycle
late), the input stalling only as documented, s_axis_tready low and overflow_o cleared in
reset, nothing from before a reset after it; this module only packs and unpacks the port words,
through the one Python copy of the packing, :func:`pymodel.hw.vectors.array_ports`:
s_axis_tdata {act, w[LANES-1..0]} (sign-magnitude: a zero goes out with a random sign bit, so
negative zero is exercised; or, TWOS=1, two's complement), s_axis_tuser {b[LANES-1..0]} (the bias on a dot product's first
beat, random bits on the others, which the DUT must ignore), m_axis_tdata {acc[LANES-1..0]},
m_axis_tuser {ovf[LANES-1..0]}.
"""

from __future__ import annotations

import numpy as np
from pyuvm import uvm_sequence_item

from pymodel.hw.tb.common.axis import AxisBfm
from pymodel.hw.tb.mbm_mac_array.cfg import MacArrayCfg
from pymodel.hw.tb.mbm_mul.env import encode_operands
from pymodel.hw.vecformat import Layout, gather, pack_named, spread, unpack_hex


class DotItem(uvm_sequence_item):
    """One dot product per lane: act (K,), wgt (K, LANES), bias (LANES,) as values;
    reset_after > 0: reset after that many of its beats were taken (the rest is dropped)."""

    def __init__(self, name: str, act: np.ndarray, wgt: np.ndarray, bias: np.ndarray, reset_after: int = 0) -> None:
        super().__init__(name)
        self.act, self.wgt, self.bias, self.reset_after = act, wgt, bias, reset_after

    def __str__(self) -> str:
        return f"{self.get_name()}: K={len(self.act)} bias={self.bias.tolist()} reset_after={self.reset_after}"


def _words(layout: Layout, columns: dict[str, np.ndarray]) -> list[int]:
    return [int(w, 16) for w in pack_named(layout, columns)]


def _fields(layout: Layout, words: list[int]) -> dict[str, np.ndarray]:
    return unpack_hex(layout, [format(w, f"0{layout.digits}x") for w in words])


def make_bfm(dut, cfg: MacArrayCfg, rng: np.random.Generator) -> AxisBfm:
    """The stream BFM of mbm_mac_array, with the port packing of ``cfg``."""
    ports, bits, lanes = cfg.ports, cfg.rtl.bits, cfg.lanes
    widths = {name: len(getattr(dut, name)) for name in ports}
    if widths != {name: lay.width for name, lay in ports.items()}:
        raise RuntimeError(f"mbm_mac_array port widths {widths}, parameters need "
                           f"{ {n: lay.width for n, lay in ports.items()} }: stale build?")
    s_data, s_user = ports["s_axis_tdata"], ports["s_axis_tuser"]

    def pack(item: DotItem) -> dict[str, list[int]]:
        k = len(item.act)
        sm = {"act": encode_operands(item.act, bits, True, rng, cfg.twos),
              **spread("w", encode_operands(item.wgt, bits, True, rng, cfg.twos))}
        # the port carries ACC_W bits: a directed bias beyond them (the saturation corners of a
        # narrow accumulator) goes out wrapped, and the scoreboard reads back what was driven
        bias = _words(s_user.patterns(), spread("b", item.bias[None, :] & ((1 << cfg.acc_w) - 1)))
        ignored = _words(s_user.patterns(), spread("b", rng.integers(0, 1 << cfg.acc_w, (k - 1, lanes))))
        return {"tdata": _words(s_data.patterns(), sm), "tuser": bias + ignored, "tlast": [0] * (k - 1) + [1]}

    def unpack_in(words: dict[str, list[int]]) -> dict[str, np.ndarray]:
        data, user = _fields(s_data, words["tdata"]), _fields(s_user, words["tuser"])
        return {"act": data["act"], "wgt": gather("w", data, lanes), "bias": gather("b", user, lanes)}

    def unpack_out(words: dict[str, list[int]]) -> dict[str, np.ndarray]:
        acc, ovf = _fields(ports["m_axis_tdata"], words["tdata"]), _fields(ports["m_axis_tuser"], words["tuser"])
        return {"acc": gather("acc", acc, lanes), "ovf": gather("ovf", ovf, lanes)}

    return AxisBfm(dut, rng, pack, unpack_in, unpack_out, latency=cfg.latency, full_throughput=True,
                   ready_lag=cfg.skid, stall_lookback=cfg.stall_lookback, reset_tready_low=True, packets=True,
                   sideband=("overflow_o",), reset_clears=("overflow_o",))
