"""pyuvm tests of mbm_mul (unsigned combinational MBM core); see tb/mbm_mul/env.py.

* MulExhaustiveTest: every (a, b) pair, bit-exact (meant for N <= 8: 2^(2N) pairs).
* MulRandomTest: every corner pair, then SAMPLES seeded random pairs.
"""

import pyuvm

from pymodel.hw.tb.common.sequences import CornerSeq, ExhaustiveSeq, RandomSeq
from pymodel.hw.tb.mbm_mul.env import MulTestBase


class UnsignedMulTest(MulTestBase):
    signed = False


@pyuvm.test()
class MulExhaustiveTest(UnsignedMulTest):
    async def stimulus(self) -> None:
        await ExhaustiveSeq("exhaustive", self.space).start(self.env.seqr)


@pyuvm.test()
class MulRandomTest(UnsignedMulTest):
    async def stimulus(self) -> None:
        await CornerSeq("corners", self.space).start(self.env.seqr)
        await RandomSeq("random", self.space, self.samples, self.rng).start(self.env.seqr)
