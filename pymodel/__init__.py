"""pymodel: golden model and tooling for the Minimally Biased Multiplier (MBM).

The bit-exact arithmetic lives in :mod:`pymodel.core.arith`; everything else (RTL scoreboards,
vectors, approximate network layers, reports) imports it from there.
"""

from pymodel.core.arith import MULTIPLIERS, MulConfig, mul_signed, mul_unsigned
from pymodel.core.errors import MBMError

__version__ = "0.1.0"

__all__ = ["MULTIPLIERS", "MBMError", "MulConfig", "mul_signed", "mul_unsigned", "__version__"]
