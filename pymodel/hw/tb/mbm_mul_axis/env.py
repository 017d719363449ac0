"""pyuvm environment of mbm_mul_axis: the multiplier's scoreboard and coverage behind the
AXI-Stream BFM of tb/common/axis.py, plus handshake coverage and a latency check.

s_axis_tdata is {b, a} (operand pin words, sign-magnitude when SIGNED=1, two's complement
for an imported module with TWOS=1), tlast rides
along and must come out with its product; the scoreboard predicts p with pymodel and
last = the input's last, in order. LATENCY is checked: no beat comes out sooner, and a beat
followed by m_axis_tready high comes out exactly LATENCY cycles after it went in. The BFM
checks the header's handshake claims (tb/common/axis.py): full throughput, bubbles filled
while the output is stalled and at most LATENCY beats held, the output stable while
stalled and m_axis_tvalid independent of m_axis_tready, m_axis_tvalid low in reset, nothing
from before a reset after it, s_axis_tready high right after it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pymodel.hw.tb.common.axis import AxisBfm, handshake_coverage, in_features, out_features, reset_features
from pymodel.hw.tb.common.cfg import get_cfg
from pymodel.hw.tb.common.components import FeatureCoverage, StreamEnv
from pymodel.hw.tb.common.coverage import BatchCoverage
from pymodel.hw.tb.common.scoreboard import ModelOverride
from pymodel.hw.tb.common.sequences import ArrayItem, ResetSeq
from pymodel.hw.tb.mbm_mul.env import (
    MulCoverageSubscriber,
    MulEnvCfg,
    MulScoreboard,
    MulTestBase,
    check_widths,
    decode_operands,
    decode_product,
    encode_operands,
)

#: share of beats with tlast set
LAST_RATE = 0.125
#: bursts cut by a reset per test
RESETS = 40


class MulAxisScoreboard(MulScoreboard):
    """Products and tlast in order, and the pipeline latency."""

    input_columns = ("a", "b", "last")
    output_columns = ("p", "last")

    def expected_latency(self) -> int:
        return self.cfg.latency

    def predict(self, inputs: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {**super().predict(inputs), "last": inputs["last"]}


class MulAxisOverrideScoreboard(ModelOverride, MulAxisScoreboard):
    """MulAxisScoreboard with the model fields of MODEL_OVERRIDE (a run that must fail)."""


class MulAxisEnv(StreamEnv):
    scoreboard_type = MulAxisScoreboard

    def build_phase(self) -> None:
        super().build_phase()
        self.cover = MulCoverageSubscriber("coverage", self)
        hs_in, hs_out, hs_reset = handshake_coverage(get_cfg(self).cover_name, capacity=True)
        self.cover_in = FeatureCoverage("handshake_in", self, hs_in, in_features)
        self.cover_out = FeatureCoverage("handshake_out", self, hs_out, out_features)
        self.cover_reset = FeatureCoverage("handshake_reset", self, hs_reset, reset_features)

    def connect_phase(self) -> None:
        super().connect_phase()
        self.agent.in_ap.connect(self.cover.analysis_export)
        self.agent.in_ap.connect(self.cover_in.analysis_export)
        self.agent.out_ap.connect(self.cover_out.analysis_export)
        self.agent.reset_ap.connect(self.cover_reset.analysis_export)

    @property
    def coverages(self) -> list[BatchCoverage]:
        return [self.cover.coverage, self.cover_in.coverage, self.cover_out.coverage, self.cover_reset.coverage]


class MulAxisTestBase(MulTestBase):
    """Multiplier tests through mbm_mul_axis: SIGNED and LATENCY from the parameters."""

    model_override = (MulAxisScoreboard, MulAxisOverrideScoreboard)

    def make_cfg(self, dut) -> MulEnvCfg:
        self.signed = bool(self.params.get("SIGNED", 0))
        cfg = super().make_cfg(dut)
        cfg.latency = self.latency
        return cfg

    @property
    def latency(self) -> int:
        """LATENCY as built (the RTL's default, 2, when the run leaves it out)."""
        return self.params.get("LATENCY", 2)

    def make_bfm(self, dut, cfg: MulEnvCfg) -> AxisBfm:
        signed, bits, twos = cfg.signed, cfg.rtl.bits, cfg.twos
        op_w = bits + int(signed) - int(twos)
        p_w = check_widths(cfg.rtl, signed, len(dut.s_axis_tdata) // 2, len(dut.m_axis_tdata), dut._name)
        rng = self.rng

        def pack(item: ArrayItem) -> dict[str, np.ndarray]:
            a = encode_operands(item["a"], bits, signed, rng, twos)
            b = encode_operands(item["b"], bits, signed, rng, twos)
            return {"tdata": ((b << op_w) | a).tolist(), **({"tlast": item["last"].tolist()} if "last" in item else {})}

        def unpack_in(ports: dict[str, list[int]]) -> dict[str, np.ndarray]:
            words = np.asarray(ports["tdata"], dtype=np.int64)
            a, sa = decode_operands(words & ((1 << op_w) - 1), bits, signed, twos)
            b, sb = decode_operands(words >> op_w, bits, signed, twos)
            return {"a": a, "b": b, "sa": sa, "sb": sb}

        def unpack_out(ports: dict[str, list[int]]) -> dict[str, np.ndarray]:
            return {"p": decode_product(np.asarray(ports["tdata"], dtype=np.int64), p_w, signed)}

        return AxisBfm(dut, self.rng, pack, unpack_in, unpack_out, latency=self.latency, full_throughput=True,
                       capacity=self.latency)

    def make_env(self) -> MulAxisEnv:
        return MulAxisEnv("env", self)

    async def resets(self) -> None:
        """:data:`RESETS` bursts of up to 3 LATENCY + 2 beats, each cut by a reset."""
        seq = ResetSeq("resets", self.space, RESETS, 3 * self.latency + 2, self.rng, extra=self.last_flags)
        await seq.start(self.env.seqr)

    def last_flags(self, rows: int) -> dict[str, np.ndarray]:
        """A random tlast column (about one beat in 1/LAST_RATE), for the sequences' extra."""
        return {"last": (self.rng.random(rows) < LAST_RATE).astype(np.int64)}
