"""The HDL parameters of rtl/mbm_mac_array.v and the multiplier they build.

The array, unlike mbm_mul, has an exact mode (EXACT=1, exact_mul's products), so its
parameters map to and from every MulConfig, "exact" included, while
:meth:`MulConfig.rtl_parameters` stays the multiplier's own. An imported multiplier is
IMPORTED=1 with its width, encoding (TWOS) and product width (IMP_P_W) in the slot
(:mod:`pymodel.hw.imported_rtl`); those parameters do not name the module, so the way back
is :func:`check_parameters` against the recorded multiplier. One place for the bench, the
regressions, the vector sets, cosim and the report; kept free of torch so that
``pymodel sim`` imports fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, TableMultiplier, spec_of


def slot_parameters(m: TableMultiplier) -> dict[str, int]:
    """N, IMPORTED=1, TWOS and IMP_P_W of a design whose multiplier slot holds the imported
    ``m`` (rtl/mbm_mac_array.v, rtl/mbm_mul_axis.v), from its table: no simulator needed."""
    return {"N": m.bits, "IMPORTED": 1, "TWOS": int(m.encoding == "twos"), "IMP_P_W": m.table.product_bits}


def array_parameters(cfg: Multiplier, lanes: int, acc_w: int, **extra: int) -> dict[str, int]:
    """The HDL parameters of an mbm_mac_array build of ``cfg``: the multiplier's
    (:meth:`MulConfig.rtl_parameters`, or an imported one's slot parameters), LANES, ACC_W and
    ``extra`` (SKID, PIPE). The array, unlike mbm_mul, has an exact mode: mult="exact" is
    EXACT=1 (only written when set, so an MBM or Mitchell build's parameters are those it
    always had)."""
    if not isinstance(cfg, MulConfig):
        mul = slot_parameters(cfg)
    elif cfg.mult == "exact":
        mul = {**replace(cfg, mult="mbm").rtl_parameters(), "EXACT": 1}
    else:
        mul = cfg.rtl_parameters()
    return {**mul, **extra, "LANES": lanes, "ACC_W": acc_w}


def array_mul_config(params: Mapping[str, Any]) -> MulConfig:
    """The multiplier an mbm_mac_array build implements (the inverse of
    :func:`array_parameters`; without EXACT the same as :meth:`MulConfig.from_rtl_parameters`).
    Illegal combinations are a one-line MBMError worded as the RTL's $error."""
    if params.get("IMPORTED", 0):
        raise MBMError(f"IMPORTED=1 parameters {dict(params)} do not name the imported module: "
                       "allowed built-in parameters (read an imported multiplier from its record)")
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


def check_parameters(params: Mapping[str, Any], m: Multiplier) -> None:
    """Refuse (one-line MBMError) HDL parameters that do not build ``m``: for a built-in,
    :func:`array_mul_config` must give it back; for an imported one, the slot parameters must
    be its own and the built-in options (EXACT, MITCHELL, TRUNC, FRAC_OUT) absent or 0."""
    if isinstance(m, MulConfig):
        built = array_mul_config(params)
        if built != m:
            raise MBMError(f"parameters {dict(params)} build {built.label}, not {m.label}")
        return
    want = slot_parameters(m)
    got = {k: params.get(k, 0) for k in want}
    builtin = {k: params[k] for k in ("EXACT", "MITCHELL", "TRUNC", "FRAC_OUT") if params.get(k, 0)}
    if got != want or builtin:
        raise MBMError(f"parameters {dict(params)} do not build {spec_of(m)}: allowed {want} "
                       f"and no EXACT/MITCHELL/TRUNC/FRAC_OUT")
