"""pyuvm environment of the MBM multipliers: mbm_mul, mbm_mul_signed and (with the
AXI-Stream BFM) mbm_mul_axis.

Configuration comes from the HDL parameters the runner built with (``SIM_PARAMS``):
N, TRUNC, FRAC_OUT, MITCHELL give the :class:`~pymodel.core.arith.MulConfig` of the RTL, and
the scoreboard's model is the same unless ``MODEL_OVERRIDE`` (JSON of MulConfig fields)
says otherwise; that is only for the tests proving the bench can fail.

Transactions are rows (a, b) of operand VALUES: unsigned 0..2^N-1, or sign-magnitude
-(2^N-1)..2^N-1. The BFM encodes them as pin words (sign bit above the magnitude; a zero
gets a random sign bit, so "negative zero" is exercised) and decodes what it reads back.

Coverage (one cover group per test): leading-one position of |a| and of |b| (zero
operands masked) and their cross, carry / no carry of the fraction sum (pairs without a
zero), which operands are zero, and for signed DUTs the sign-bit combination and
negative-zero operands.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping

import numpy as np
from pyuvm import ConfigDB, uvm_env, uvm_sequencer

from pymodel.core.arith import MulConfig, log_fraction, mul, sm_decode, sm_encode, sm_sign, tc_decode
from pymodel.core.corners import corner_values
from pymodel.hw.tb.common.base_test import BaseTest
from pymodel.hw.tb.common.bfm import CombBfm
from pymodel.hw.tb.common.components import BfmDriver, CoverageSubscriber, InOrderScoreboard, QueueMonitor
from pymodel.hw.tb.common.coverage import BatchCoverage, Point
from pymodel.hw.tb.common.sequences import ArrayItem, OperandSpace


def model_config(params: Mapping[str, int]) -> MulConfig:
    """The scoreboard's model: the RTL's configuration, unless MODEL_OVERRIDE changes it."""
    cfg = MulConfig.from_rtl_parameters(params)
    override = os.environ.get("MODEL_OVERRIDE")
    return dataclasses.replace(cfg, **json.loads(override)) if override else cfg


def operand_space(cfg: MulConfig, signed: bool) -> OperandSpace:
    lo = -cfg.max_operand if signed else 0
    corners = corner_values(cfg.bits, signed).tolist()
    return OperandSpace(ranges={"a": (lo, cfg.max_operand), "b": (lo, cfg.max_operand)}, corners={"a": corners, "b": corners})


# ---- pin encoding ----
def encode_operands(values: np.ndarray, bits: int, signed: bool, rng: np.random.Generator) -> np.ndarray:
    """Pin words of operand values: the value, or {sign, magnitude} with zero's sign random."""
    if not signed:
        return values
    return sm_encode(values, bits, zero_sign=rng.random(np.shape(values)) < 0.5)


def decode_operands(words: np.ndarray, bits: int, signed: bool) -> tuple[np.ndarray, np.ndarray]:
    """(values, sign bits) of operand pin words."""
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


def check_widths(cfg: MulConfig, signed: bool, operand_width: int, product_width: int, name: str) -> int:
    """Check the DUT's port widths against its parameters; returns the product width."""
    want_op = cfg.bits + int(signed)
    want_p = cfg.product_bits + int(signed)
    if (operand_width, product_width) != (want_op, want_p):
        raise RuntimeError(
            f"{name}: operand/product ports are {operand_width}/{product_width} bits, "
            f"{cfg.label}{' signed' if signed else ''} needs {want_op}/{want_p}: stale build?"
        )
    return product_width


# ---- scoreboard and coverage ----
class MulScoreboard(InOrderScoreboard):
    """Expected products from :func:`pymodel.core.arith.mul`, one vectorized call per batch."""

    input_columns = ("a", "b")
    output_columns = ("p",)

    def build_phase(self) -> None:
        super().build_phase()
        self.cfg: MulConfig = ConfigDB().get(self, "", "MODEL_CFG")
        self.signed: bool = ConfigDB().get(self, "", "SIGNED")

    def predict(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"p": mul(inputs["a"], inputs["b"], self.cfg, signed=self.signed)}

    def describe(self) -> str:
        return f"pymodel {self.cfg.label}{' signed' if self.signed else ''}"


def mul_coverage(name: str, cfg: MulConfig, signed: bool) -> BatchCoverage:
    """The multiplier's cover group ``<name>.operands`` (see the module docstring)."""
    leads = Point(range(cfg.bits))
    points = {
        "lead_a": leads,
        "lead_b": leads,
        "carry": Point([0, 1], ["no_carry", "carry"]),
        "zeros": Point([0, 1, 2, 3], ["none", "a_zero", "b_zero", "both_zero"]),
    }
    if signed:
        points["signs"] = Point([0, 1, 2, 3], ["+a+b", "+a-b", "-a+b", "-a-b"])
        points["neg_zero"] = Point([0, 1], ["no", "negative_zero_operand"])
    return BatchCoverage(f"{name}.operands", points, {"lead_a_x_lead_b": ("lead_a", "lead_b")})


def mul_features(batch: ArrayItem, cfg: MulConfig, signed: bool) -> dict[str, np.ndarray]:
    """Coverage features per transaction; -1 masks a point for that row."""
    ma, mb = np.abs(batch["a"]), np.abs(batch["b"])
    ka, fa = log_fraction(ma, cfg)
    kb, fb = log_fraction(mb, cfg)
    za, zb = ma == 0, mb == 0
    nonzero = ~(za | zb)
    out = {
        "lead_a": np.where(za, -1, ka),
        "lead_b": np.where(zb, -1, kb),
        "carry": np.where(nonzero, (fa + fb) >> cfg.frac, -1),
        "zeros": za.astype(np.int64) + 2 * zb.astype(np.int64),
    }
    if signed:
        out["signs"] = 2 * batch["sa"] + batch["sb"]
        out["neg_zero"] = ((za & (batch["sa"] == 1)) | (zb & (batch["sb"] == 1))).astype(np.int64)
    return out


class MulCoverageSubscriber(CoverageSubscriber):
    def build_phase(self) -> None:
        self.cfg: MulConfig = ConfigDB().get(self, "", "RTL_CFG")
        self.signed: bool = ConfigDB().get(self, "", "SIGNED")
        self.coverage = mul_coverage(ConfigDB().get(self, "", "COVER_NAME"), self.cfg, self.signed)

    def features(self, batch: ArrayItem) -> dict[str, np.ndarray]:
        return mul_features(batch, self.cfg, self.signed)


class MulEnv(uvm_env):
    """Sequencer, driver, monitor, scoreboard and coverage of a combinational multiplier."""

    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = BfmDriver("driver", self)
        self.monitor = QueueMonitor("monitor", self)
        self.scoreboard = MulScoreboard("scoreboard", self)
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
    """Shared set-up of the multiplier tests: configurations, BFM, env, operand space."""

    signed = False
    #: every bin must be hit: the sequences always include the corner cross
    required_coverage = 100.0

    def publish_config(self) -> None:
        self.rtl_cfg = MulConfig.from_rtl_parameters(self.params)
        self.model_cfg = model_config(self.params)
        if self.model_cfg != self.rtl_cfg:
            self.logger.warning(
                f"MODEL_OVERRIDE: RTL is {self.rtl_cfg.label} but the model is {self.model_cfg.label}: "
                "this run is expected to FAIL"
            )
        db = ConfigDB()
        db.set(None, "*", "RTL_CFG", self.rtl_cfg)
        db.set(None, "*", "MODEL_CFG", self.model_cfg)
        db.set(None, "*", "SIGNED", self.signed)
        db.set(None, "*", "COVER_NAME", self.test_name)
        self.space = operand_space(self.rtl_cfg, self.signed)

    def make_bfm(self, dut) -> MulBfm:
        self.publish_config()
        return MulBfm(dut, self.rtl_cfg, self.signed, self.rng)

    def make_env(self) -> MulEnv:
        return MulEnv("env", self)
