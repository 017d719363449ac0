"""pyuvm tests of mbm_mac_array; see tb/mbm_mac_array/env.py and its neighbours.

Every test runs under rotating random input stalls and output backpressure, with the
full-throughput check, and scoreboards every result against pymodel.core.conv.dot_int.

* MacArrayTest: saturation corners, resets in the middle of dot products, bursts of 1..3-beat
  dot products (output backpressure reaching the input), the length sweep
  1..11,520, then SAMPLES random beats; every cover bin must be hit.
* MacArraySaturationTest: the saturation corners alone (a quick run; with MODEL_OVERRIDE
  it proves that a wrong model fails).
* MacArrayHandshakeTest: saturation corners, resets and short bursts, a quick run of every
  handshake and reset check (the broken-RTL tests of tests/hw/test_rtl_regressions.py).
* MacArrayWrongModelTest: the saturation corners scored against exact products instead
  of the approximate multiplier (a factory override installs ExactProductScoreboard);
  expected to FAIL (cocotb expect_fail), so every run proves the bench can.
* MacArraySoakTest: SAMPLES random beats of dot products up to 11,520 long.
"""

import pyuvm

from pymodel.hw.tb.mbm_mac_array.base_test import MacArrayTestBase
from pymodel.hw.tb.mbm_mac_array.scoreboard import ExactProductScoreboard, MacArrayScoreboard
from pymodel.hw.tb.mbm_mac_array.seq_lib import (
    MAX_K,
    BurstSeq,
    LengthSweepSeq,
    RandomDotSeq,
    ResetSeq,
    SaturationSeq,
)


@pyuvm.test()
class MacArrayTest(MacArrayTestBase):
    required_coverage = 100.0

    async def stimulus(self) -> None:
        await self.seq(SaturationSeq, "saturation").start(self.env.seqr)
        await self.seq(ResetSeq, "reset").start(self.env.seqr)
        await self.seq(BurstSeq, "burst").start(self.env.seqr)
        await self.seq(LengthSweepSeq, "lengths").start(self.env.seqr)
        await self.seq(RandomDotSeq, "random", self.samples).start(self.env.seqr)


@pyuvm.test()
class MacArraySoakTest(MacArrayTestBase):
    async def stimulus(self) -> None:
        await self.seq(RandomDotSeq, "random", self.samples, MAX_K).start(self.env.seqr)


@pyuvm.test()
class MacArraySaturationTest(MacArrayTestBase):
    async def stimulus(self) -> None:
        await self.seq(SaturationSeq, "saturation").start(self.env.seqr)


@pyuvm.test()
class MacArrayHandshakeTest(MacArrayTestBase):
    async def stimulus(self) -> None:
        await self.seq(SaturationSeq, "saturation").start(self.env.seqr)
        await self.seq(ResetSeq, "reset").start(self.env.seqr)
        await self.seq(BurstSeq, "burst", 300).start(self.env.seqr)


@pyuvm.test(expect_fail=True)
class MacArrayWrongModelTest(MacArrayTestBase):
    def type_overrides(self) -> list[tuple[type, type]]:
        return [(MacArrayScoreboard, ExactProductScoreboard)]

    async def stimulus(self) -> None:
        await self.seq(SaturationSeq, "saturation").start(self.env.seqr)
