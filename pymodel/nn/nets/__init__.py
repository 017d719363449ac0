"""The seed depth network: architecture, checkpoints, the bundled synthetic default.

Public entry points::

    build_depth_net(cfg=None, **overrides)   full-width reference architecture by default
    load_checkpoint(model, path_or_dict)      strict load with clear key errors
    load_depth_net(path_or_dict)              build from a checkpoint's config and load it
    default_model()                           the SMALL model trained on SYNTHETIC scenes
    layer_input(model, layer_name, image)     (module, the tensor that module receives)

The default model is not the seed network's real weights: it is a narrow member of the same
architecture family (identical layer names) trained by ``scripts/train_default.py`` on
procedural scenes from :mod:`pymodel.nn.scenes`, so that everything runs with nothing downloaded.
Real users pass their own checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor, nn

from pymodel.core.errors import MBMError
from pymodel.nn.nets.checkpoint import load_checkpoint, load_depth_net, read_checkpoint
from pymodel.nn.nets.depth import DECODER_LAYERS, DepthNet, NetConfig, build_depth_net
from pymodel.nn.scenes import DEFAULT_HW

#: Committed weights of the bundled synthetic default (written by scripts/train_default.py).
DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "synthetic_small.pt"
#: The small architecture of the synthetic default (same names, narrower widths).
SMALL_CONFIG = NetConfig(width_mult=0.35, last_channel=256, decoder_width=0.5, num_classes=10)
#: Input size (H, W) the synthetic default was trained and is evaluated at.
DEFAULT_INPUT_HW = DEFAULT_HW
SYNTHETIC_NOTE = (
    "SYNTHETIC default: small model trained on procedural scenes (pymodel.nn.scenes), not the seed "
    "network or NYU data; pass --checkpoint and --data for real results"
)

__all__ = [
    "DECODER_LAYERS", "DEFAULT_INPUT_HW", "DEFAULT_WEIGHTS", "DepthNet", "NetConfig", "SMALL_CONFIG",
    "SYNTHETIC_NOTE", "build_depth_net", "default_model", "layer_input", "load_checkpoint",
    "layer_inputs", "load_depth_net", "read_checkpoint",
]


def default_model() -> DepthNet:
    """The bundled synthetic small model, in eval mode (see SYNTHETIC_NOTE)."""
    if not DEFAULT_WEIGHTS.is_file():
        raise MBMError(f"bundled weights {DEFAULT_WEIGHTS} are missing: run scripts/train_default.py")
    return load_depth_net(DEFAULT_WEIGHTS)


def layer_input(model: nn.Module, layer_name: str, image: Tensor) -> tuple[nn.Module, Tensor]:
    """Run ``model(image)`` once and return (the named module, the input tensor it received).

    Used by the MAC-array co-simulation to pull a real layer's activations. ``image`` is
    N x 3 x H x W in [0, 1]; the returned tensor is detached.
    """
    return layer_inputs(model, [layer_name], image)[layer_name]


def layer_inputs(model: nn.Module, layer_names: Sequence[str], image: Tensor) -> dict[str, tuple[nn.Module, Tensor]]:
    """:func:`layer_input` of several layers from one forward pass (a hook on each)."""
    modules = dict(model.named_modules())
    missing = next((n for n in layer_names if n not in modules), None)
    if missing is not None:
        convs = [n for n, m in modules.items() if isinstance(m, (nn.Conv2d, nn.Linear))]
        raise MBMError(f"no layer named {missing!r}: allowed e.g. {', '.join(convs[-4:])}")
    seen: dict[str, Tensor] = {}

    def hook(name: str):  # a forward hook that returns None, so the module's output stays its own
        def keep(_module: nn.Module, args: tuple, _out: Tensor) -> None:
            seen.setdefault(name, args[0].detach())
        return keep

    handles = [modules[n].register_forward_hook(hook(n)) for n in layer_names]
    try:
        with torch.no_grad():
            model(image)
    finally:
        for handle in handles:
            handle.remove()
    unused = next((n for n in layer_names if n not in seen), None)
    if unused is not None:
        raise MBMError(f"layer {unused!r} is not used by the forward pass: pick a decoder or feature layer")
    return {n: (modules[n], seen[n]) for n in layer_names}
