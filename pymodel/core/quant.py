"""Quantization of float tensors to the operands of the MAC array's multiplier.

Why: the RTL multiplies integers in [-(2^N - 1), 2^N - 1] (sign-magnitude: the built-in
multipliers and unsigned imported ones) or in [-2^(N-1), 2^(N-1) - 1] (two's complement: an
imported ``:signed`` module, :mod:`pymodel.core.multiplier`); a float layer reaches it through
a scale per tensor (the "image multiplier" s_x for activations, the "kernel multiplier" s_w
for weights, docs/arithmetic.md). Users either give the scales by hand, as they did with the lookup
table flow, or calibrate them here from data.

Conventions (all scales are float64 tensors):

* ``encoding`` ("signmag", the default, or "twos") is the multiplier's operand encoding
  (:func:`pymodel.core.multiplier.encoding`); it sets the range [lo, hi] below.
* ``x_q = round_half_even(x * s)``; the result must lie in [lo, hi]. A value past that range
  is an error naming the tensor, the value and the range, unless ``on_overflow="clamp"``
  (then it is clamped and counted). Calibration maps max |x| to min(-lo, hi) (2^N - 1, or
  2^(N-1) - 1 for two's complement: the range is symmetric but for the one extra negative code).
* A per-tensor scale is a 0-d tensor. A per-channel scale either broadcasts against the
  tensor as is (the keep-dim shape :func:`calibrate` returns, e.g. (Cout, 1, 1, 1) for
  weights) or is 1-d with one value per index of axis 0 (the output channel).
* ``bias_q = round_half_even(b * s_x * s_w * cfg.scale)`` and the accumulator dequantizes as
  ``y = acc / (s_x * s_w * cfg.scale)`` (cfg.scale = 2^F with frac_out, else 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pymodel.core.arith import MAX_BITS, MIN_BITS, MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.table import TABLE_MAX_BITS, operand_bounds

if TYPE_CHECKING:
    import torch

METHODS = ("max", "percentile", "mse")
OVERFLOW_POLICIES = ("error", "clamp")
#: Clip fractions of the max that the MSE search tries (fine near 1, coarse below).
_MSE_STEPS = 128
#: Elements the MSE search looks at per channel (an even stride over the data).
_MSE_SAMPLE = 1 << 20


def max_operand(bits: int) -> int:
    """2^bits - 1 after checking bits is a legal operand width (4..16)."""
    if isinstance(bits, bool) or not isinstance(bits, int) or not MIN_BITS <= bits <= MAX_BITS:
        raise MBMError(f"bits={bits} is out of range: allowed {MIN_BITS}..{MAX_BITS}")
    return (1 << bits) - 1


def operand_range(bits: int, encoding: str = "signmag") -> tuple[int, int]:
    """(lo, hi) of a quantized operand: +-(2^bits - 1) for ``signmag`` (bits 4..16), or
    -2^(bits-1)..2^(bits-1) - 1 for ``twos`` (an imported table's width, 2..10)."""
    if encoding == "signmag":
        return -max_operand(bits), max_operand(bits)
    if encoding != "twos":
        raise MBMError(f"operand encoding {encoding!r}: allowed signmag or twos")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 2 <= bits <= TABLE_MAX_BITS:
        raise MBMError(f"bits={bits} is out of range for two's-complement operands: allowed 2..{TABLE_MAX_BITS}")
    return operand_bounds("twos", bits)


def _range_text(bits: int, encoding: str) -> str:
    lo, hi = operand_range(bits, encoding)
    what = "two's-complement" if encoding == "twos" else "sign-magnitude"
    return f"{lo}..{hi} (bits={bits} {what})"


def _as_float64(x: "torch.Tensor", name: str) -> "torch.Tensor":
    """x as a float64 tensor, refusing NaN and Inf with the first bad element's index."""
    import torch

    t = torch.as_tensor(x).detach()
    if t.dtype.is_complex:
        raise MBMError(f"tensor {name!r} has complex dtype {t.dtype}: allowed real values")
    t = t.to(torch.float64)
    bad = ~torch.isfinite(t)
    if bool(bad.any()):
        idx = tuple(int(i) for i in torch.nonzero(bad)[0])
        raise MBMError(f"tensor {name!r} has {float(t[idx])} at index {idx}: allowed finite values")
    return t


def _check_scale(scale: "torch.Tensor", name: str) -> "torch.Tensor":
    s = _as_float64(scale, f"scale of {name}")
    if bool((s <= 0).any()):
        raise MBMError(f"scale of {name!r} has {float(s[s <= 0].flatten()[0])}: allowed positive values")
    return s


def _channel_view(scale: "torch.Tensor", x: "torch.Tensor", axis: int = 0) -> "torch.Tensor":
    """A 1-d per-channel scale reshaped to broadcast along ``axis`` of x; others unchanged."""
    if scale.dim() == 1 and scale.numel() > 1 and x.dim() > 1:
        if scale.numel() != x.shape[axis]:
            raise MBMError(
                f"per-channel scale has {scale.numel()} values: allowed one per channel ({x.shape[axis]})"
            )
        shape = [1] * x.dim()
        shape[axis] = -1
        return scale.reshape(shape)
    return scale


def _channels_first(x: "torch.Tensor", axis: int | None) -> "torch.Tensor":
    """x as (channels, elements): one row per channel of ``axis`` or a single row."""
    if axis is None:
        return x.reshape(1, -1)
    if not -x.dim() <= axis < x.dim():
        raise MBMError(f"per_channel_axis={axis} is out of range: allowed {-x.dim()}..{x.dim() - 1}")
    return x.movedim(axis, 0).reshape(x.shape[axis], -1)


def _mse_amax(rows: "torch.Tensor", amax: "torch.Tensor", qmax: int, lo: int) -> "torch.Tensor":
    """Per-row clip level c <= amax minimizing the mean squared quantize/dequantize error
    (x * s maps c to qmax and clamps to lo..qmax)."""
    import torch

    stride = max(1, rows.shape[1] // _MSE_SAMPLE)
    sample = rows[:, ::stride]
    alphas = torch.linspace(1.0 / _MSE_STEPS, 1.0, _MSE_STEPS, dtype=torch.float64)
    best_err = torch.full_like(amax, float("inf"))
    best = amax.clone()
    for alpha in alphas:
        clip = amax * alpha
        s = (qmax / clip).unsqueeze(1)
        q = torch.round(sample * s).clamp(lo, qmax)
        err = ((q / s - sample) ** 2).mean(dim=1)
        better = err < best_err
        best_err = torch.where(better, err, best_err)
        best = torch.where(better, clip, best)
    return best


def calibrate(
    x: "torch.Tensor",
    bits: int,
    method: str = "max",
    per_channel_axis: int | None = None,
    pow2: bool = False,
    percentile: float = 99.99,
    name: str = "x",
    encoding: str = "signmag",
) -> "torch.Tensor":
    """Scale s so that x * s uses the operand range of ``encoding`` at ``bits``:
    [-(2^bits - 1), 2^bits - 1] sign-magnitude, [-2^(bits-1), 2^(bits-1) - 1] two's complement.

    method: "max" maps max |x| to qmax = 2^bits - 1 (two's complement: 2^(bits-1) - 1; nothing
    clips); "percentile" maps the given
    percentile of |x| (0 < percentile <= 100) there, so outliers clip; "mse" picks the clip
    level that minimizes the quantize/dequantize squared error (outliers may clip).
    Quantize percentile and MSE scales with ``on_overflow="clamp"``.
    per_channel_axis: one scale per index of that axis (axis 0 of a conv weight is the output
    channel); the result then has x's shape with every other axis 1, so it broadcasts.
    pow2: round each scale down to a power of two (the shift-only hardware case).
    An all-zero tensor or channel gets scale 1. Returns a float64 tensor (0-d per tensor).
    """
    import torch

    lo, qmax = operand_range(bits, encoding)
    if method not in METHODS:
        raise MBMError(f"unknown calibration method {method!r}: allowed {', '.join(METHODS)}")
    if not 0 < percentile <= 100:
        raise MBMError(f"percentile={percentile} is out of range: allowed (0, 100]")
    t = _as_float64(x, name)
    if t.numel() == 0:
        raise MBMError(f"tensor {name!r} is empty: calibration needs at least one value")
    rows = _channels_first(t, per_channel_axis).abs()
    amax = rows.max(dim=1).values
    if method == "percentile":
        k = max(1, min(rows.shape[1], int(-(-percentile * rows.shape[1] // 100))))
        amax = rows.kthvalue(k, dim=1).values
    elif method == "mse":
        amax = torch.where(amax > 0, _mse_amax(rows, amax, qmax, lo), amax)
    scale = torch.where(amax > 0, qmax / amax, torch.ones_like(amax))
    if not bool(torch.isfinite(scale).all()):
        tiny = float(amax[~torch.isfinite(scale)][0])
        raise MBMError(f"tensor {name!r} has max |x| = {tiny}: too small for a finite scale, allowed >= 1e-300")
    if pow2:
        scale = torch.exp2(torch.floor(torch.log2(scale)))
    if per_channel_axis is None:
        return scale.reshape(())
    shape = [1] * t.dim()
    shape[per_channel_axis] = -1
    return scale.reshape(shape)


def quantize(
    x: "torch.Tensor",
    scale: "torch.Tensor | float",
    bits: int,
    name: str,
    on_overflow: str = "error",
    encoding: str = "signmag",
) -> tuple["torch.Tensor", int]:
    """(x_q, clamped): round_half_even(x * scale) as int64 and how many values were clamped.

    A NaN/Inf in x or a value past the operand range of ``encoding`` (:func:`operand_range`)
    raises MBMError naming the tensor, the value and the allowed range; with
    on_overflow="clamp" such values (not NaN) are clamped and counted instead.
    """
    import torch

    lo_q, hi_q = operand_range(bits, encoding)
    if on_overflow not in OVERFLOW_POLICIES:
        raise MBMError(f"on_overflow={on_overflow!r}: allowed {', '.join(OVERFLOW_POLICIES)}")
    t = torch.as_tensor(x).detach().to(torch.float64)
    s = _channel_view(_check_scale(torch.as_tensor(scale), name), t)
    r = torch.round_(t * s)
    # One pass decides the common case: every value finite and inside the range. (A NaN or
    # Inf in x makes an extreme NaN/Inf, since s is finite and positive.)
    lo, hi = (float(v) for v in r.aminmax()) if r.numel() else (0.0, 0.0)
    if lo_q <= lo and hi <= hi_q:
        return r.to(torch.int64), 0
    t = _as_float64(x, name)  # names the first NaN/Inf element, if any
    past = torch.where(r > hi_q, r - hi_q, torch.where(r < lo_q, lo_q - r, torch.zeros_like(r)))
    over = past > 0
    clamped = int(over.sum())
    if clamped and on_overflow == "error":
        worst = int(torch.argmax(past))
        idx = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), r.shape))
        raise MBMError(
            f"tensor {name!r} value {float(t[idx])} at index {idx} quantizes to {int(r[idx])}, "
            f"past the operand range: allowed {_range_text(bits, encoding)} "
            f"(use a smaller scale or on_overflow='clamp')"
        )
    return r.clamp(lo_q, hi_q).to(torch.int64), clamped


def _per_channel_flat(scale: "torch.Tensor", name: str) -> "torch.Tensor":
    """A scale as 0-d (per tensor) or 1-d (one per output channel)."""
    s = _check_scale(scale, name)
    return s.reshape(()) if s.numel() == 1 else s.reshape(-1)


def quantize_bias(
    b: "torch.Tensor", s_x: "torch.Tensor | float", s_w: "torch.Tensor | float", cfg: MulConfig
) -> "torch.Tensor":
    """round_half_even(b * s_x * s_w * cfg.scale) as int64: the bias in accumulator units.

    b has one value per output channel; s_x is per tensor; s_w per tensor or per output
    channel (1-d or keep-dim shape).
    """
    import torch

    t = _as_float64(b, "bias").reshape(-1)
    s_x = _per_channel_flat(torch.as_tensor(s_x), "x")
    if s_x.dim() != 0:
        raise MBMError(f"s_x has {s_x.numel()} values: allowed one (per-tensor activation scale)")
    q = torch.round(t * s_x * _per_channel_flat(torch.as_tensor(s_w), "w") * cfg.scale)
    if bool((q.abs() >= 2.0**62).any()):
        raise MBMError(f"bias quantizes to {float(q.abs().max())}: allowed magnitudes below 2^62")
    return q.to(torch.int64)


def dequantize(
    acc: "torch.Tensor",
    s_x: "torch.Tensor | float",
    s_w: "torch.Tensor | float",
    cfg: MulConfig,
    channel_axis: int = 1,
) -> "torch.Tensor":
    """acc / (s_x * s_w * cfg.scale) as float64; a per-channel s_w applies along channel_axis
    (1 for NCHW conv outputs, -1 for linear outputs)."""
    import torch

    s_x = _per_channel_flat(torch.as_tensor(s_x), "x")
    s_w = _per_channel_flat(torch.as_tensor(s_w), "w")
    acc = torch.as_tensor(acc).to(torch.float64)
    axis = channel_axis % acc.dim() if acc.dim() else 0
    return acc / (s_x * _channel_view(s_w, acc, axis) * cfg.scale)
