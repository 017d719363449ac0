"""pyuvm environment of the MBM multipliers: mbm_mul, mbm_mul_signed and (with the
AXI-Stream BFM) mbm_mul_axis.

Configuration comes from the HDL parameters the runner built with (``SIM_PARAMS``):
N, TRUNC, FRAC_OUT, MITCHELL give the :class:`~pymodel.core.arith.MulConfig` of the RTL
(:class:`MulEnvCfg`), and the scoreboard's model is the same; with ``MODEL_OVERRIDE`` (JSON
of MulConfig fields) the test installs :class:`MulOverrideScoreboard` by a factory override,
only for the runs proving the bench can fail.

Transactions are rows (a, b) of operand VALUES: unsigned 0..2^N-1, or sign-magnitude
-(2^N-1)..2^N-1. The BFM encodes them as pin words (sign bit above the magnitude; a zero
gets a random sign bit, so "negative zero" is exercised) and decodes what it reads back.

Coverage (one cover group per test): leading-one position of |a| and of |b| (zero
operands masked) and their cross, carry / no carry of the fraction sum (pairs without a
zero), which operands are zero, and for signed DUTs the sign-bit combination and
negative-zero operands.

An imported multiplier in mbm_mul_axis's slot (IMPORTED=1; :mod:`tb.common.imported`) is
scored against its own table: unsigned operands against the module's table, signed ones
against its table over the network operands (sign-magnitude-wrapped, or two's complement
with TWOS=1); its coverage drops the MBM-specific carry point (and negative zero for two's
complement operands).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from pyuvm import uvm_env, uvm_sequencer

from pymodel.core.arith import MulConfig, log_fraction, mul, sm_decode, sm_encode, sm_sign, tc_decode
from pymodel.core.corners import corner_values
from pymodel.core.multiplier import Multiplier, encoding, label, network_table, operand_bounds
from pymodel.hw.tb.common.base_test import BaseTest
from pymodel.hw.tb.common.bfm import CombBfm
from pymodel.hw.tb.common.cfg import EnvCfg, get_cfg
from pymodel.hw.tb.common.components import BfmDriver, CoverageSubscriber, QueueMonitor
from pymodel.hw.tb.common.imported import rtl_multiplier
from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.scoreboard import InOrderScoreboard, ModelOverride
from pymodel.hw.tb.common.sequences import ArrayItem, OperandSpace


@dataclass
class MulEnvCfg(EnvCfg):
    """A multiplier env: the RTL's multiplier, signed operands, and (mbm_mul_axis) LATENCY."""

    rtl: Multiplier
    signed: bool
    latency: int = 0

    @property
    def twos(self) -> bool:
        """Two's complement operands (an imported module with TWOS=1)."""
        return self.signed and encoding(self.rtl) == "twos"


def operand_space(cfg: Multiplier, signed: bool) -> OperandSpace:
    if isinstance(cfg, MulConfig) or not signed:
        lo, hi = (-((1 << cfg.bits) - 1) if signed else 0), (1 << cfg.bits) - 1
        corners = corner_values(cfg.bits, signed).tolist()
    else:  # an imported module's signed operands: its network range; two's complement adds -2^(N-1)
        lo, hi = operand_bounds(cfg)
        corners = sorted({lo, *corner_values(hi.bit_length(), True).tolist()})
    return OperandSpace(ranges={"a": (lo, hi), "b": (lo, hi)}, corners={"a": corners, "b": corners})


# ---- pin encoding ----
def encode_operands(values: np.ndarray, bits: int, signed: bool, rng: np.random.Generator,
                    twos: bool = False) -> np.ndarray:
    """Pin words of operand values: the value, or {sign, magnitude} with zero's sign random,
    or (``twos``: an imported two's complement module's) the N-bit two's complement pattern."""
    if twos:
        return np.asarray(values, dtype=np.int64) & ((1 << bits) - 1)
    if not signed:
        return values
    return sm_encode(values, bits, zero_sign=rng.random(np.shape(values)) < 0.5)


def decode_operands(words: np.ndarray, bits: int, signed: bool, twos: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(values, sign bits) of operand pin words."""
    if twos:
        return tc_decode(words, bits), (words >> (bits - 1)) & 1
    if not signed:
        return words, np.zeros_like(words)
    return sm_decode(words, bits), sm_sign(words, bits)


def decode_product(words: np.ndarray, width: int, signed: bool) -> np.ndarray:
    """Product values of ``width``-bit pin words (two's complement when signed)."""
    return tc_decode(words, width) if signed else words


class MulBfm(CombBfm):
    """Combinational BFM of mbm_mul / mbm_mul_signed: ports a_i, b_i, p_o."""

    def __init__(self, dut, cfg: MulConfig, signed: bool, rng: np.random.Generator) -> None:
        super().__init__({"a": dut.a_i, "b": dut.b_i}, {"p": dut.p_o})
        self.cfg, self.signed, self.rng = cfg, signed, rng
        self.p_width = check_widths(cfg, signed, len(dut.a_i), len(dut.p_o), dut._name)

    def encode(self, item: ArrayItem) -> dict[str, np.ndarray]:
        return {c: encode_operands(item[c], self.cfg.bits, self.signed, self.rng) for c in ("a", "b")}

    def decode(self, pins: dict[str, np.ndarray]) -> ArrayItem:
        a, sa = decode_operands(pins["a"], self.cfg.bits, self.signed)
        b, sb = decode_operands(pins["b"], self.cfg.bits, self.signed)
        return ArrayItem("observed", a=a, b=b, sa=sa, sb=sb, p=decode_product(pins["p"], self.p_width, self.signed))


def check_widths(cfg: Multiplier, signed: bool, operand_width: int, product_width: int, name: str) -> int:
    """Check the DUT's port widths against its parameters; returns the product width."""
    twos = int(signed and encoding(cfg) == "twos")
    pbits = cfg.product_bits if isinstance(cfg, MulConfig) else cfg.table.product_bits
    want_op = cfg.bits + int(signed) - twos
    want_p = pbits + int(signed) - twos
    if (operand_width, product_width) != (want_op, want_p):
        raise RuntimeError(
            f"{name}: operand/product ports are {operand_width}/{product_width} bits, "
            f"{label(cfg)}{' signed' if signed else ''} needs {want_op}/{want_p}: stale build?"
        )
    return product_width


# ---- scoreboard and coverage ----
class MulScoreboard(InOrderScoreboard):
    """Expected products from :func:`pymodel.core.arith.mul`, one vectorized call per batch."""

    input_columns = ("a", "b")
    output_columns = ("p",)

    def rtl_model(self) -> MulConfig:
        return self.cfg.rtl

    def with_fields(self, model: MulConfig, fields: dict) -> MulConfig:
        return dataclasses.replace(model, **fields)

    def predict(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        if not isinstance(self.model, MulConfig):  # an imported module: its own table
            table = network_table(self.model) if self.cfg.signed else self.model.table
            return {"p": table.mul(inputs["a"], inputs["b"])}
        return {"p": mul(inputs["a"], inputs["b"], self.model, signed=self.cfg.signed)}

    def describe(self) -> str:
        return f"pymodel {label(self.model)}{' signed' if self.cfg.signed else ''}"


class MulOverrideScoreboard(ModelOverride, MulScoreboard):
    """MulScoreboard with the model fields of MODEL_OVERRIDE (a run that must fail)."""


def mul_coverage(name: str, cfg: Multiplier, signed: bool) -> BatchCoverage:
    """The multiplier's cover group ``<name>.operands`` (see the module docstring)."""
    leads = Point(range(cfg.bits))
    points = {
        "lead_a": leads,
        "lead_b": leads,
        "carry": Point([0, 1], ["no_carry", "carry"]),
        "zeros": Point([0, 1, 2, 3], ["none", "a_zero", "b_zero", "both_zero"]),
    }
    if not isinstance(cfg, MulConfig):
        del points["carry"]  # the fraction sum is MBM's
    if signed:
        points["signs"] = Point([0, 1, 2, 3], ["+a+b", "+a-b", "-a+b", "-a-b"])
        if encoding(cfg) == "signmag":
            points["neg_zero"] = Point([0, 1], ["no", "negative_zero_operand"])
    return BatchCoverage(f"{name}.operands", points, {"lead_a_x_lead_b": ("lead_a", "lead_b")})


def mul_features(batch: ArrayItem, cfg: Multiplier, signed: bool) -> dict[str, np.ndarray]:
    """Coverage features per transaction; -1 masks a point for that row."""
    ma, mb = np.abs(batch["a"]), np.abs(batch["b"])
    za, zb = ma == 0, mb == 0
    out = {"zeros": za.astype(np.int64) + 2 * zb.astype(np.int64)}
    if isinstance(cfg, MulConfig):
        ka, fa = log_fraction(ma, cfg)
        kb, fb = log_fraction(mb, cfg)
        out["carry"] = np.where(~(za | zb), (fa + fb) >> cfg.frac, -1)
    else:  # the leading one of |a| (up to 2^(N-1) for two's complement)
        ka, kb = (np.floor(np.log2(np.maximum(m, 1))).astype(np.int64) for m in (ma, mb))
    out |= {"lead_a": np.where(za, -1, ka), "lead_b": np.where(zb, -1, kb)}
    if signed:
        out["signs"] = 2 * batch["sa"] + batch["sb"]
        if encoding(cfg) == "signmag":
            out["neg_zero"] = ((za & (batch["sa"] == 1)) | (zb & (batch["sb"] == 1))).astype(np.int64)
    return out


class MulCoverageSubscriber(CoverageSubscriber):
    def build_phase(self) -> None:
        self.cfg: MulEnvCfg = get_cfg(self)
        self.coverage = mul_coverage(self.cfg.cover_name, self.cfg.rtl, self.cfg.signed)

    def features(self, batch: ArrayItem) -> dict[str, np.ndarray]:
        return mul_features(batch, self.cfg.rtl, self.cfg.signed)


class MulEnv(uvm_env):
    """Sequencer, driver, monitor, scoreboard and coverage of a combinational multiplier."""

    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = BfmDriver("driver", self)
        self.monitor = QueueMonitor("monitor", self)
        self.scoreboard = MulScoreboard.create("scoreboard", self)
        self.cover = MulCoverageSubscriber("coverage", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
        self.monitor.ap.connect(self.scoreboard.in_export)
        self.monitor.ap.connect(self.scoreboard.out_export)
        self.monitor.ap.connect(self.cover.analysis_export)

    @property
    def coverages(self) -> list[BatchCoverage]:
        return [self.cover.coverage]


class MulTestBase(BaseTest):
    """Shared set-up of the multiplier tests: configuration, BFM, env, operand space."""

    signed = False
    #: every bin must be hit: the sequences always include the corner cross
    required_coverage = 100.0
    model_override = (MulScoreboard, MulOverrideScoreboard)

    def make_cfg(self, dut) -> MulEnvCfg:
        rtl = rtl_multiplier(self.params, MulConfig.from_rtl_parameters)
        self.space = operand_space(rtl, self.signed)
        cfg = MulEnvCfg(None, self.test_name, rtl, self.signed)
        cfg.bfm = self.make_bfm(dut, cfg)
        return cfg

    def make_bfm(self, dut, cfg: MulEnvCfg) -> MulBfm:
        return MulBfm(dut, cfg.rtl, cfg.signed, self.rng)

    def make_env(self) -> MulEnv:
        return MulEnv("env", self)
