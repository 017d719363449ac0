"""pyuvm tests of mbm_mul_axis (registered AXI-Stream MBM); see tb/mbm_mul_axis/env.py.

Every test runs under rotating random stalls on the input and backpressure on the output
(tb/common/axis.py), with full-throughput, stability and latency checks.

* AxisRandomTest: every corner pair, then SAMPLES seeded random pairs.
* AxisExhaustiveTest: every operand pair (N <= 8), through the handshakes.
"""

import pyuvm

from pymodel.hw.tb.common.sequences import CornerSeq, ExhaustiveSeq, RandomSeq
from pymodel.hw.tb.mbm_mul_axis.env import MulAxisTestBase


@pyuvm.test()
class AxisRandomTest(MulAxisTestBase):
    async def stimulus(self) -> None:
        await CornerSeq("corners", self.space, extra=self.last_flags).start(self.env.seqr)
        await RandomSeq("random", self.space, self.samples, self.rng, extra=self.last_flags).start(self.env.seqr)


@pyuvm.test()
class AxisExhaustiveTest(MulAxisTestBase):
    async def stimulus(self) -> None:
        await ExhaustiveSeq("exhaustive", self.space, extra=self.last_flags).start(self.env.seqr)
