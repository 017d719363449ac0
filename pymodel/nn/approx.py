"""Swap nn.Conv2d / nn.Linear layers of any model for approximate-multiplier layers.

Why: the user's question is what an approximate multiplier in layer X costs in accuracy.
An approximate layer runs exactly what the MAC array computes:

    x_q  = quantize(x, s_x)            image multiplier s_x (per tensor)
    w_q  = quantize(w, s_w)            kernel multiplier s_w (per tensor or per output channel)
    b_q  = quantize_bias(b, s_x, s_w)  bias in accumulator units
    acc  = integer conv / linear with the golden products of cfg (pymodel.core.arith), through
           pymodel.core.kernels.approx_conv2d / approx_linear (bit-exact fast backends;
           backend="reference" runs the plain pymodel.core.conv model)
    y    = acc / (s_x * s_w * cfg.scale)

so the accuracy numbers and the RTL regression share one arithmetic (never a copy of it).
Scales are given by hand (one number for every layer, or a dict name -> number, as users
tune them today) or calibrated per layer with pymodel.core.quant.calibrate from a few images run
through the EXACT model (forward hooks record each selected layer's input).

Layers are selected by module name or glob (``decoder.up*.convA``), all with one multiplier,
or by a per-layer mapping ``{layer: "mbm:8", ...}`` (mixed multipliers, as design-space
exploration assigns them; spec strings of :mod:`pymodel.core.spec`); the swapped module keeps
``weight`` and ``bias`` under the same names, so state_dict keys do not change, and
:func:`restore` puts the float layers back.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from pymodel.core import kernels, quant
from pymodel.core import multiplier as mm
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.spec import parse_spec, spec_string

Scale = float | Tensor | Mapping[str, float | Tensor] | None


@dataclass(frozen=True)
class ScaleOptions:
    """How calibration picks scales. method/weight_method: "max", "percentile" or "mse"
    (pymodel.core.quant.calibrate); per_channel: one s_w per output channel; pow2: power-of-two
    scales (shift-only hardware); percentile: for method "percentile" (0 < p <= 100)."""

    method: str = "max"
    weight_method: str = "max"
    per_channel: bool = False
    pow2: bool = False
    percentile: float = 99.99


def warm_up(cfg: MulConfig, backend: str = "auto") -> None:
    """Run the integer conv once on a tiny tensor, so a compiled backend's one-time JIT cost
    is not charged to the first layer a caller times."""
    x = torch.ones(1, 1, 3, 3, dtype=torch.int64)
    kernels.approx_conv2d(x, x, None, cfg, padding=1, backend=backend)


def resolved_backend(backend: str) -> str:
    """The concrete backend ``backend`` names on the CPU (e.g. "auto" -> "cpu")."""
    return kernels.resolve_backend(backend)


class ApproxLayer(nn.Module):
    """A Conv2d or Linear computed with quantized operands and the golden integer arithmetic.

    ``weight``/``bias`` are the float layer's own parameters (shared, same state_dict keys).
    ``stats`` counts calls, input values quantized ("inputs") and clamped to the operand range
    ("clamped"), accumulators computed and saturated (acc_bits=None: a wide accumulator that
    never saturates); ``weight_clamped`` counts the weights clamped once at construction. The
    counts come from quantize and the kernels as they run (no extra pass over a tensor), so
    :meth:`counts` is free to ask for.
    """

    def __init__(
        self, layer: nn.Conv2d | nn.Linear, name: str, cfg: MulConfig, s_x: Tensor, s_w: Tensor, *,
        on_overflow: str = "clamp", acc_bits: int | None = None, backend: str = "auto",
    ) -> None:
        super().__init__()
        if isinstance(layer, nn.Conv2d) and (layer.padding_mode != "zeros" or isinstance(layer.padding, str)):
            raise MBMError(
                f"layer {name!r} has padding {layer.padding!r} mode {layer.padding_mode!r}: allowed integer zero padding"
            )
        self.__dict__["float_layer"] = layer  # not registered: keeps state_dict keys unchanged
        self.name, self.cfg = name, cfg
        self.weight, self.bias = layer.weight, layer.bias
        self.s_x = torch.as_tensor(s_x, dtype=torch.float64).reshape(())
        self.s_w = torch.as_tensor(s_w, dtype=torch.float64)
        self.on_overflow, self.acc_bits = on_overflow, acc_bits
        self.kind = "conv2d" if isinstance(layer, nn.Conv2d) else "linear"
        self.backend = backend
        self.encoding = mm.encoding(cfg)  # the operand range follows the multiplier's encoding
        self.w_q, self.weight_clamped = quant.quantize(
            layer.weight, self.s_w, cfg.bits, f"{name}.weight", on_overflow=on_overflow, encoding=self.encoding
        )
        self.b_q = None if layer.bias is None else quant.quantize_bias(layer.bias, self.s_x, self.s_w, cfg)
        self.stats = {"calls": 0, "inputs": 0, "clamped": 0, "accumulators": 0, "saturated": 0}

    def counts(self) -> dict[str, int]:
        """Operands and accumulators so far, and how many were clamped or saturated (all calls)."""
        return {
            "inputs": self.stats["inputs"], "clamped_inputs": self.stats["clamped"],
            "weights": self.w_q.numel(), "clamped_weights": self.weight_clamped,
            "accumulators": self.stats["accumulators"], "saturated": self.stats["saturated"],
        }

    def extra_repr(self) -> str:
        return f"{self.kind} {self.name}, {self.cfg.label}, s_x={float(self.s_x):.4g}"

    def forward(self, x: Tensor) -> Tensor:
        x_q, clamped = quant.quantize(x, self.s_x, self.cfg.bits, f"{self.name} input", on_overflow=self.on_overflow,
                                      encoding=self.encoding)
        if self.kind == "conv2d":
            layer = self.float_layer
            acc, saturated = kernels.approx_conv2d(
                x_q, self.w_q, self.b_q, self.cfg, stride=layer.stride, padding=layer.padding,
                dilation=layer.dilation, groups=layer.groups, acc_bits=self.acc_bits, backend=self.backend,
            )
            axis = 1
        else:
            acc, saturated = kernels.approx_linear(
                x_q, self.w_q, self.b_q, self.cfg, acc_bits=self.acc_bits, backend=self.backend
            )
            axis = -1
        self.stats["calls"] += 1
        self.stats["inputs"] += x_q.numel()
        self.stats["clamped"] += clamped
        self.stats["accumulators"] += acc.numel()
        self.stats["saturated"] += saturated
        return quant.dequantize(acc, self.s_x, self.s_w, self.cfg, channel_axis=axis).to(x.dtype)


def layer_names(model: nn.Module) -> list[str]:
    """Names of every nn.Conv2d / nn.Linear of the model (the swappable layers), in order."""
    return [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def select_layers(model: nn.Module, patterns: str | Iterable[str]) -> list[str]:
    """Layer names matching any pattern (exact name or fnmatch glob; a string may hold a comma list)."""
    if isinstance(patterns, str):
        patterns = [p.strip() for p in patterns.split(",") if p.strip()]
    names = layer_names(model)
    chosen: list[str] = []
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not hits:
            tail = [n for n in names if n.startswith("decoder.")] or names
            raise MBMError(f"layer pattern {pattern!r} matches no Conv2d/Linear: allowed e.g. {', '.join(tail[:4])}")
        chosen += [n for n in hits if n not in chosen]
    return [n for n in names if n in chosen]


def _per_layer(value: Scale, name: str) -> Tensor | None:
    if isinstance(value, Mapping):
        value = value.get(name)
    return None if value is None else torch.as_tensor(value, dtype=torch.float64)


def _batches(calibration: Tensor | Iterable[Tensor]) -> list[Tensor]:
    return [calibration] if isinstance(calibration, Tensor) else list(calibration)


def calibrate_scales(
    model: nn.Module, names: list[str], calibration: Tensor | Iterable[Tensor], bits: int,
    options: ScaleOptions = ScaleOptions(), encoding: str = "signmag",
) -> dict[str, tuple[Tensor, Tensor]]:
    """name -> (s_x, s_w) from the inputs each layer sees when ``calibration`` images (N x 3 x H x W
    batches) run through the model as it is now (call it on the exact model), for operands of
    ``bits`` in ``encoding`` (:func:`pymodel.core.multiplier.encoding`). Holds every selected
    layer's inputs in memory while it runs (float32)."""
    modules = dict(model.named_modules())
    seen: dict[str, list[Tensor]] = {n: [] for n in names}
    hooks = [
        modules[n].register_forward_hook(lambda _m, args, _o, n=n: seen[n].append(args[0].detach().float()))
        for n in names
    ]
    try:
        with torch.no_grad():
            for batch in _batches(calibration):
                model(batch)
    finally:
        for h in hooks:
            h.remove()
    scales = {}
    for n in names:
        if not seen[n]:
            raise MBMError(f"layer {n!r} saw no input during calibration: it is not on the forward path")
        s_x = quant.calibrate(
            torch.cat([t.reshape(-1) for t in seen[n]]), bits, options.method, pow2=options.pow2,
            percentile=options.percentile, name=f"{n} input", encoding=encoding,
        )
        s_w = quant.calibrate(
            modules[n].weight, bits, options.weight_method, per_channel_axis=0 if options.per_channel else None,
            pow2=options.pow2, percentile=options.percentile, name=f"{n}.weight", encoding=encoding,
        )
        scales[n] = (s_x, s_w)
        seen[n].clear()
    return scales


Assignment = Mapping[str, "MulConfig | str"]


def resolve_assignment(model: nn.Module, patterns: str | Iterable[str] | Assignment,
                       cfg: MulConfig | None = None) -> dict[str, MulConfig]:
    """layer name -> MulConfig, in forward order, for what :func:`approximate` is asked.

    ``patterns`` is either names/globs that all get ``cfg``, or a per-layer mapping
    ``{name or glob: MulConfig or spec string}`` (the shape of explore.json's "assignment"); a
    layer matched by two keys must get the same multiplier from both."""
    if not isinstance(patterns, Mapping):
        if cfg is None:
            raise MBMError("approximate() needs a multiplier: cfg=MulConfig(...) or a {layer: spec} mapping")
        return dict.fromkeys(select_layers(model, patterns), cfg)
    if cfg is not None:
        raise MBMError("approximate() got a {layer: spec} mapping and cfg: allowed one of the two")
    plan: dict[str, MulConfig] = {}
    for pattern, value in patterns.items():
        chosen = value if isinstance(value, MulConfig) else parse_spec(str(value))
        for name in select_layers(model, pattern):
            if plan.setdefault(name, chosen) != chosen:
                raise MBMError(f"layer {name!r} is assigned {spec_string(plan[name])} and {spec_string(chosen)}: "
                               "allowed one multiplier per layer")
    order = layer_names(model)
    return {n: plan[n] for n in order if n in plan}


def read_assignment(path: str | Path) -> dict[str, str]:
    """A per-layer multiplier file: JSON ``{layer: spec}`` (explore.json's "assignment")."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise MBMError(f"--assignment {path}: {type(err).__name__}: need a JSON file like "
                       '{"decoder.up1.convA": "mbm:8"}') from None
    if isinstance(data, dict) and isinstance(data.get("assignment"), dict):
        data = data["assignment"]  # a whole explore.json
    if not isinstance(data, dict) or not data or not all(isinstance(v, str) for v in data.values()):
        raise MBMError(f"--assignment {path} is not a non-empty object {{layer: spec}}")
    for spec in data.values():
        parse_spec(spec)
    return data


def approximate(
    model: nn.Module, patterns: str | Iterable[str] | Assignment, cfg: MulConfig | None = None, *,
    s_x: Scale = None, s_w: Scale = None,
    calibration: Tensor | Iterable[Tensor] | None = None, options: ScaleOptions = ScaleOptions(),
    scales: Mapping[str, tuple[Tensor, Tensor]] | None = None, on_overflow: str = "clamp",
    acc_bits: int | None = None, backend: str = "auto",
) -> dict[str, ApproxLayer]:
    """Swap the matching layers of ``model`` IN PLACE for ApproxLayers; returns name -> layer.

    Either ``patterns`` (names/globs) with one ``cfg`` for all of them, or a per-layer mapping
    ``{layer or glob: MulConfig or spec string}`` as ``patterns`` (mixed multipliers, cfg None).
    Scales, first found wins per layer: ``s_x``/``s_w`` by hand (a number for every layer or a
    dict name -> number), then ``scales`` (precomputed by :func:`calibrate_scales`), else they are
    calibrated from ``calibration`` images with ``options`` (at each layer's own width).
    on_overflow: "clamp" (count values past the operand range in ApproxLayer.stats) or "error".
    Undo with :func:`restore`.
    """
    plan = resolve_assignment(model, patterns, cfg)
    missing = [n for n in plan if (_per_layer(s_x, n) is None or _per_layer(s_w, n) is None)
               and not (scales and n in scales)]
    if missing and calibration is None:
        raise MBMError(f"layer {missing[0]!r} has no s_x/s_w: give them by hand or pass calibration images")
    found = dict(scales or {})
    for bits, enc in sorted({(plan[n].bits, mm.encoding(plan[n])) for n in missing}):
        group = [n for n in missing if (plan[n].bits, mm.encoding(plan[n])) == (bits, enc)]
        found.update(calibrate_scales(model, group, calibration, bits, options, enc))
    swapped = {}
    for n, layer_cfg in plan.items():
        hand_x, hand_w = _per_layer(s_x, n), _per_layer(s_w, n)
        cal_x, cal_w = found.get(n, (None, None))
        layer = ApproxLayer(
            model.get_submodule(n), n, layer_cfg, hand_x if hand_x is not None else cal_x,
            hand_w if hand_w is not None else cal_w, on_overflow=on_overflow, acc_bits=acc_bits, backend=backend,
        )
        _set_module(model, n, layer)
        swapped[n] = layer
    return swapped


def restore(model: nn.Module) -> list[str]:
    """Put every ApproxLayer's float layer back; returns the restored names."""
    names = [n for n, m in model.named_modules() if isinstance(m, ApproxLayer)]
    for n in names:
        _set_module(model, n, model.get_submodule(n).float_layer)
    return names


def _set_module(model: nn.Module, name: str, module: nn.Module) -> None:
    parent, _, leaf = name.rpartition(".")
    setattr(model.get_submodule(parent) if parent else model, leaf, module)
