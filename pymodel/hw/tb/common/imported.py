"""The multiplier a DUT was built with, an imported one in its slot included.

Why: HDL parameters name a built-in multiplier completely (N, TRUNC, FRAC_OUT, MITCHELL,
EXACT), but an imported one's (IMPORTED=1) name only its width, encoding and product width.
The runner therefore hands the bench the imported multiplier's spec in
:data:`pymodel.hw.imported_rtl.MULT_ENV` (:func:`pymodel.hw.imported_rtl.bench_inputs`); the
bench resolves it (the cached import: a file read) and refuses parameters that do not build
it, so a scoreboard can never score one module's RTL against another module's table.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier
from pymodel.hw.array_params import check_parameters
from pymodel.hw.imported_rtl import MULT_ENV
from pymodel.hw.multiplier import resolve


def rtl_multiplier(params: Mapping[str, int], builtin: Callable[[Mapping[str, int]], MulConfig]) -> Multiplier:
    """The DUT's multiplier: ``builtin(params)`` (the DUT's own parameter mapping), or with
    IMPORTED=1 the multiplier of ``MULT_SPEC``, checked against the parameters."""
    if not params.get("IMPORTED", 0):
        return builtin(params)
    spec = os.environ.get(MULT_ENV, "")
    if not spec:
        raise MBMError(f"IMPORTED=1 but {MULT_ENV} is not set: the runner hands the bench the imported multiplier")
    m = resolve(spec)
    check_parameters(params, m)
    return m
