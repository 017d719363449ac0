"""Fast approximate conv / linear over quantized integers, with interchangeable backends.

Why: the reference integer model (:mod:`pymodel.core.conv`) is obviously right and far too slow
for a network sweep. Every backend here returns exactly its integers (accumulators and the
saturated-output count), so a user picks one for speed only:

* ``reference``: :func:`pymodel.core.conv.conv2d_int` / :func:`pymodel.core.conv.linear_int` itself;
* ``cpu``: the compiled multi-threaded numba kernel (:mod:`pymodel.core.kernels.cpu`);
* ``triton``: the Triton kernel (:mod:`pymodel.core.kernels.triton`) on CUDA tensors, or on CPU
  tensors under ``TRITON_INTERPRET=1`` (how CI checks it without a GPU);
* ``auto``: triton for CUDA tensors when it is installed, else cpu.

A multiplier given as a product table (:class:`pymodel.core.table.ProductTable`, e.g. an
imported Verilog module) runs on the same backend names through the gather kernels
:mod:`pymodel.core.kernels.lut_cpu` and :mod:`pymodel.core.kernels.lut_triton`; ``reference``
is :func:`pymodel.core.conv.conv2d_int` with the table.

Saturation (``acc_bits``): the fast kernels compute plain int64 sums. An output can only
saturate when |bias| + sum of |products| exceeds the accumulator's positive limit; those
outputs (found with the same kernel on |x| and |w|, or ruled out at once by a global bound)
are recomputed step by step by the reference model, so the result stays bit-exact.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from typing import TYPE_CHECKING

import numpy as np

from pymodel.core import conv
from pymodel.core.arith import check_extremes
from pymodel.core.errors import MBMError
from pymodel.core.kernels.logcode import product_bound
from pymodel.core.table import ProductTable

if TYPE_CHECKING:
    import torch

BACKENDS = ("reference", "cpu", "triton")
#: Reference recomputation of possibly saturating outputs: im2col elements held at once.
_RECOMPUTE_ELEMENTS = 1 << 22


def triton_interpreted() -> bool:
    """True when TRITON_INTERPRET=1: Triton kernels then run on CPU tensors (slowly)."""
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


@functools.cache
def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def available_backends() -> list[str]:
    """Backends usable in this process, fastest last: reference always; cpu with numba;
    triton with the triton package and a CUDA GPU (or TRITON_INTERPRET=1)."""
    names = ["reference"]
    if _installed("numba"):
        names.append("cpu")
    if _installed("triton"):
        import torch

        if torch.cuda.is_available() or triton_interpreted():
            names.append("triton")
    return names


def resolve_backend(backend: str, device: "torch.device | None" = None) -> str:
    """The concrete backend ``backend`` means for tensors on ``device`` (MBMError if unusable)."""
    available = available_backends()
    if backend == "auto":
        if device is not None and device.type == "cuda" and "triton" in available:
            return "triton"
        return "cpu" if "cpu" in available else "reference"
    if backend not in BACKENDS:
        raise MBMError(f"unknown backend {backend!r}: allowed auto, {', '.join(available)}")
    if backend not in available:
        raise MBMError(f"backend {backend!r} is not available here: allowed auto, {', '.join(available)}")
    return backend


def _check_operands(x: "torch.Tensor", name: str, cfg: "conv.Multiplier") -> None:
    if x.numel() == 0:
        return
    if x.device.type == "cpu" and "cpu" in available_backends():
        from pymodel.core.kernels.cpu import extremes

        lo, hi = extremes(x.contiguous())
    else:
        lo, hi = (int(v) for v in x.aminmax())
    if isinstance(cfg, ProductTable):
        cfg.check_operands(np.array([lo, hi]), name)
    else:
        check_extremes(lo, hi, -cfg.max_operand, cfg.max_operand, name, cfg)


def kernel_module(name: str, cfg: "conv.Multiplier") -> str:
    """The module of backend ``name`` for ``cfg``: the gather kernels for a product table."""
    return f"pymodel.core.kernels.{'lut_' if isinstance(cfg, ProductTable) else ''}{name}"


def _abs_table(table: ProductTable) -> ProductTable:
    """|P| of every entry (bounds sum |P| for the saturation check; cached on the table)."""
    cache = table.__dict__.setdefault("_abs", {})
    if "abs" not in cache:
        cache["abs"] = ProductTable(np.abs(table.values), table.encoding, name=f"|{table.name}|")
    return cache["abs"]


def approx_conv2d(
    x_q: "torch.Tensor",
    w_q: "torch.Tensor",
    bias_q: "torch.Tensor | None",
    cfg: "conv.Multiplier",
    *,
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int | tuple[int, int] = 1,
    groups: int = 1,
    acc_bits: int | None = None,
    backend: str = "auto",
) -> tuple["torch.Tensor", int]:
    """Integer approximate conv, bit-exact to :func:`pymodel.core.conv.conv2d_int`.

    x_q (N, Cin, H, W), w_q (Cout, Cin/groups, kh, kw): integer tensors in
    [-(2^N - 1), 2^N - 1]; bias_q (Cout,) in accumulator units or None; zero padding.
    Returns (NCHW int64 accumulators on x_q's device, number of saturated outputs).

    Peak extra memory besides the int64 output: cpu, two code planes of 4 bytes (8 above
    N = 10) per zero-padded input element plus 32 KiB of partial sums per thread
    (:func:`pymodel.core.kernels.cpu.scratch_bytes`; 70 MB for the largest seed layer); triton,
    two code tensors the size of the input; never an im2col. With acc_bits, a second kernel
    pass bounds sum |P| and only the outputs that may saturate are recomputed by the
    reference, at most 2^22 im2col elements at a time.
    """
    import torch

    x = conv._int_tensor(x_q, "x")
    name = resolve_backend(backend, x.device)
    if name == "reference":
        return conv.conv2d_int(x_q, w_q, bias_q, cfg, stride=stride, padding=padding,
                               dilation=dilation, groups=groups, acc_bits=acc_bits)
    w = conv._int_tensor(w_q, "w").to(x.device)
    if x.dim() != 4 or w.dim() != 4:
        raise MBMError(f"x {tuple(x.shape)}, w {tuple(w.shape)}: allowed NCHW input and (Cout, Cin/g, kh, kw)")
    if not isinstance(groups, int) or groups < 1 or x.shape[1] % groups or w.shape[0] % groups:
        raise MBMError(f"groups={groups} must divide Cin={x.shape[1]} and Cout={w.shape[0]}")
    if w.shape[1] != x.shape[1] // groups:
        raise MBMError(f"weight has {w.shape[1]} input channels: allowed Cin/groups = {x.shape[1] // groups}")
    geometry = [conv._pair(v, what) for v, what in ((stride, "stride"), (padding, "padding"), (dilation, "dilation"))]
    if min(*geometry[0], *geometry[2]) < 1:
        raise MBMError(f"stride={stride}, dilation={dilation}: allowed values >= 1")
    out_hw = conv.conv_output_size(tuple(x.shape[2:]), tuple(w.shape[2:]), *geometry)
    bias = torch.zeros(w.shape[0], dtype=torch.int64) if bias_q is None else conv._int_tensor(bias_q, "bias")
    bias = bias.reshape(-1).to(x.device)
    if bias.numel() != w.shape[0]:
        raise MBMError(f"bias has {bias.numel()} values: allowed one per output channel ({w.shape[0]})")
    _check_operands(x, "x", cfg)
    _check_operands(w, "w", cfg)
    if acc_bits is not None:
        lo, hi = conv.acc_range(acc_bits)
        if bias.numel() and (int(bias.min()) < lo or int(bias.max()) > hi):
            bad = int(bias.min()) if int(bias.min()) < lo else int(bias.max())
            raise MBMError(f"bias value {bad} does not fit acc_bits={acc_bits}: allowed {lo}..{hi}")
    run = importlib.import_module(kernel_module(name, cfg)).conv2d
    if name == "cpu" and x.device.type != "cpu":
        acc = run(x.cpu(), w.cpu(), bias.cpu(), cfg, *geometry, groups, out_hw).to(x.device)
    else:
        acc = run(x, w, bias, cfg, *geometry, groups, out_hw)
    if acc_bits is None:
        return acc, 0
    args = (cfg, *geometry, groups, out_hw)
    return _resaturate(acc, x, w, bias, acc_bits, run, args)


def _resaturate(acc, x, w, bias, acc_bits, run, args) -> tuple["torch.Tensor", int]:
    """Recompute with the reference every output that could saturate; return (acc, count)."""
    import torch

    cfg, stride, padding, dilation, groups, _ = args
    _, hi = conv.acc_range(acc_bits)
    k = w[0].numel()
    table = isinstance(cfg, ProductTable)
    if int(bias.abs().max()) + k * (cfg.max_abs if table else product_bound(cfg)) <= hi:
        return acc, 0
    device = acc.device
    xc, wc, bc = x.cpu(), w.cpu(), bias.cpu()
    # sum |P| per output: the table of |P| on the operands, or the kernel on |x| and |w|
    # (sign-magnitude products: |P(x, w)| = P(|x|, |w|))
    bound_args = (_abs_table(cfg), *args[1:]) if table else args
    xb, wb = (x, w) if table else (x.abs(), w.abs())
    bound = run(xb.cpu(), wb.cpu(), bc.abs(), *bound_args) if device.type == "cpu" else run(
        xb, wb, bias.abs(), *bound_args).cpu()
    suspect = (bound > hi).nonzero()
    acc = acc.cpu().clone()
    saturated = 0
    xpad = torch.nn.functional.pad(xc, (padding[1], padding[1], padding[0], padding[0]))
    cin_g, cout_g = xc.shape[1] // groups, wc.shape[0] // groups
    kh, kw = wc.shape[2:]
    step = max(1, _RECOMPUTE_ELEMENTS // k)
    for co in suspect[:, 1].unique().tolist():
        where = suspect[suspect[:, 1] == co]
        g = co // cout_g
        for start in range(0, len(where), step):
            n, _, oh, ow = where[start : start + step].unbind(1)
            rows = oh[:, None] * stride[0] + torch.arange(kh) * dilation[0]
            cols = ow[:, None] * stride[1] + torch.arange(kw) * dilation[1]
            chans = g * cin_g + torch.arange(cin_g)
            patches = xpad[n[:, None, None, None], chans[None, :, None, None], rows[:, None, :, None],
                           cols[:, None, None, :]]
            vals, count = conv.conv2d_int(patches, wc[co : co + 1], bc[co : co + 1], cfg, acc_bits=acc_bits)
            acc[n, co, oh, ow] = vals.reshape(-1)
            saturated += count
    return acc.to(device), saturated


def approx_linear(
    x_q: "torch.Tensor",
    w_q: "torch.Tensor",
    bias_q: "torch.Tensor | None",
    cfg: "conv.Multiplier",
    *,
    acc_bits: int | None = None,
    backend: str = "auto",
) -> tuple["torch.Tensor", int]:
    """Integer approximate linear layer, bit-exact to :func:`pymodel.core.conv.linear_int`.

    x_q (..., in), w_q (out, in). The fast backends run it as a 1x1 conv whose "pixels" are
    the rows of x, so the kernels' lanes run over the batch.
    """
    x = conv._int_tensor(x_q, "x")
    name = resolve_backend(backend, x.device)
    if name == "reference":
        return conv.linear_int(x_q, w_q, bias_q, cfg, acc_bits=acc_bits)
    w = conv._int_tensor(w_q, "w")
    if w.dim() != 2 or x.dim() < 1 or x.shape[-1] != w.shape[1]:
        raise MBMError(f"x {tuple(x.shape)}, w {tuple(w.shape)}: allowed (..., in) and (out, in)")
    rows = x.reshape(-1, x.shape[-1])
    acc, count = approx_conv2d(rows.t().reshape(1, rows.shape[1], 1, rows.shape[0]), w[:, :, None, None],
                               bias_q, cfg, acc_bits=acc_bits, backend=name)
    return acc.reshape(w.shape[0], rows.shape[0]).t().reshape(*x.shape[:-1], w.shape[0]), count
