"""The HDL parameters of rtl/mbm_mac_array.v and the multiplier they build.

The array, unlike mbm_mul, has an exact mode (EXACT=1, exact_mul's products), so its
parameters map to and from every MulConfig, "exact" included, while
:meth:`MulConfig.rtl_parameters` stays the multiplier's own. One place for the bench, the
regressions, the vector sets, cosim and the report; kept free of torch so that
``pymodel sim`` imports fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError


def array_parameters(cfg: MulConfig, lanes: int, acc_w: int, **extra: int) -> dict[str, int]:
    """The HDL parameters of an mbm_mac_array build of ``cfg``: the multiplier's
    (:meth:`MulConfig.rtl_parameters`), LANES, ACC_W and ``extra`` (SKID, PIPE). The array,
    unlike mbm_mul, has an exact mode: mult="exact" is EXACT=1 (only written when set, so an
    MBM or Mitchell build's parameters are those it always had)."""
    if cfg.mult == "exact":
        mul = {**replace(cfg, mult="mbm").rtl_parameters(), "EXACT": 1}
    else:
        mul = cfg.rtl_parameters()
    return {**mul, **extra, "LANES": lanes, "ACC_W": acc_w}


def array_mul_config(params: Mapping[str, Any]) -> MulConfig:
    """The multiplier an mbm_mac_array build implements (the inverse of
    :func:`array_parameters`; without EXACT the same as :meth:`MulConfig.from_rtl_parameters`).
    Illegal combinations are a one-line MBMError worded as the RTL's $error."""
    exact = params.get("EXACT", 0)
    if isinstance(exact, bool) or exact not in (0, 1):
        raise MBMError(f"EXACT={exact!r} is not allowed: allowed 0 or 1")
    cfg = MulConfig.from_rtl_parameters(params)
    if not exact:
        return cfg
    if cfg.mult != "mbm" or cfg.trunc:
        raise MBMError(f"EXACT=1 with MITCHELL={int(cfg.mult == 'mitchell')} TRUNC={cfg.trunc} is not allowed: "
                       "EXACT=1 needs MITCHELL=0 and TRUNC=0")
    return replace(cfg, mult="exact")
