"""pyuvm tests of mbm_mul_axis (registered AXI-Stream MBM); see tb/mbm_mul_axis/env.py.

Every test runs under rotating random stalls on the input and backpressure on the output
(tb/common/axis.py), with the handshake, latency and reset checks of the header; each also
sends env.RESETS bursts of up to 3 LATENCY + 2 beats, each cut by a reset with outputs in
flight.

* AxisRandomTest: every corner pair, the reset bursts, then SAMPLES seeded random pairs.
* AxisExhaustiveTest: the reset bursts, then every operand pair (N <= 8).
"""

import pyuvm

from pymodel.hw.tb.common.sequences import CornerSeq, ExhaustiveSeq, RandomSeq
from pymodel.hw.tb.mbm_mul_axis.env import MulAxisTestBase


@pyuvm.test()
class AxisRandomTest(MulAxisTestBase):
    async def stimulus(self) -> None:
        await CornerSeq("corners", self.space, extra=self.last_flags).start(self.env.seqr)
        await self.resets()
        await RandomSeq("random", self.space, self.samples, self.rng, extra=self.last_flags).start(self.env.seqr)


@pyuvm.test()
class AxisExhaustiveTest(MulAxisTestBase):
    async def stimulus(self) -> None:
        await self.resets()
        await ExhaustiveSeq("exhaustive", self.space, extra=self.last_flags).start(self.env.seqr)
