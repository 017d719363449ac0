"""pyuvm tests of mbm_mul_signed (sign-magnitude combinational MBM); see tb/mbm_mul/env.py.

* SignedExhaustiveTest: every (a, b) in [-(2^N-1), 2^N-1]^2, bit-exact (N <= 8).
* SignedRandomTest: every pair of the signed corner values of pymodel.core.corners (both
  signs of each corner magnitude), then SAMPLES seeded random pairs.
Zero operands go out with a random sign bit, so negative zero is covered too.
"""

import pyuvm

from pymodel.hw.tb.common.sequences import CornerSeq, ExhaustiveSeq, RandomSeq
from pymodel.hw.tb.mbm_mul.env import MulTestBase


class SignedMulTest(MulTestBase):
    signed = True


@pyuvm.test()
class SignedExhaustiveTest(SignedMulTest):
    async def stimulus(self) -> None:
        await ExhaustiveSeq("exhaustive", self.space).start(self.env.seqr)


@pyuvm.test()
class SignedRandomTest(SignedMulTest):
    async def stimulus(self) -> None:
        await CornerSeq("corners", self.space).start(self.env.seqr)
        await RandomSeq("random", self.space, self.samples, self.rng).start(self.env.seqr)
