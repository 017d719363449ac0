"""Loading checkpoints of the seed network (and of any model) with clear errors.

Accepted: a raw state_dict, or a dict holding one under ``'state_dict'`` or ``'model'``
(optionally with a ``'config'`` dict of :class:`~pymodel.nn.nets.depth.NetConfig` fields, as the
bundled synthetic weights have). A ``'module.'`` prefix left by DataParallel is stripped. Key
mismatches raise MBMError naming the first few missing and unexpected keys and their counts.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pymodel.core.errors import MBMError
from pymodel.nn.nets.depth import DepthNet, NetConfig, build_depth_net

_SHOW = 4


def read_checkpoint(path_or_dict: str | Path | Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], dict]:
    """(state_dict, extras) from a file or a dict; extras holds the other top-level entries."""
    if isinstance(path_or_dict, Mapping):
        blob: Any = path_or_dict
    else:
        path = Path(path_or_dict)
        if not path.is_file():
            raise MBMError(f"checkpoint {str(path)!r} does not exist: pass a .pt/.pth file saved by torch.save")
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:
            if "Unsupported global" not in str(err):
                raise MBMError(f"checkpoint {str(path)!r} is not a torch file: {type(err).__name__}") from None
            # A real torch file that pickles Python objects: weights_only refuses to run them.
            first = next(line for line in str(err).splitlines() if "Unsupported global" in line).strip()[:120]
            raise MBMError(
                f"checkpoint {str(path)!r} holds pickled objects torch will not load safely ({first}): "
                "re-save it as torch.save(model.state_dict(), path)"
            ) from None
        except Exception as err:  # torch raises many types for a corrupt or non-torch file
            raise MBMError(f"checkpoint {str(path)!r} is not a torch file: {type(err).__name__}") from None
    if not isinstance(blob, Mapping):
        raise MBMError(f"checkpoint holds a {type(blob).__name__}: allowed a state_dict or a dict with one")
    extras: dict = {}
    for key in ("state_dict", "model"):
        if isinstance(blob.get(key), Mapping):
            extras = {k: v for k, v in blob.items() if k != key}
            blob = blob[key]
            break
    state = {k.removeprefix("module."): v for k, v in blob.items()}
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise MBMError(f"checkpoint entry {bad[0]!r} is not a tensor: allowed a state_dict of tensors")
    return state, extras


def _few(keys: list[str]) -> str:
    more = f", ... ({len(keys)} in all)" if len(keys) > _SHOW else f" ({len(keys)})"
    return ", ".join(keys[:_SHOW]) + more


def load_checkpoint(model: nn.Module, path_or_dict: str | Path | Mapping[str, Any]) -> nn.Module:
    """Load weights into ``model`` strictly; returns the model. Raises MBMError on any mismatch."""
    state, _ = read_checkpoint(path_or_dict)
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    if missing or unexpected:
        raise MBMError(
            f"checkpoint keys do not match the model: missing {_few(missing) if missing else 'none'}; "
            f"unexpected {_few(unexpected) if unexpected else 'none'}"
        )
    wrong = [k for k in own if own[k].shape != state[k].shape]
    if wrong:
        k = wrong[0]
        raise MBMError(
            f"checkpoint tensor {k!r} has shape {tuple(state[k].shape)}: the model needs "
            f"{tuple(own[k].shape)} ({len(wrong)} tensors differ; wrong architecture or width?)"
        )
    model.load_state_dict(state)
    return model


def load_depth_net(path_or_dict: str | Path | Mapping[str, Any]) -> DepthNet:
    """Build the DepthNet a checkpoint describes (its 'config', else the reference) and load it."""
    state, extras = read_checkpoint(path_or_dict)
    cfg = NetConfig(**extras["config"]) if isinstance(extras.get("config"), Mapping) else NetConfig()
    model = build_depth_net(cfg)
    load_checkpoint(model, state)
    return model.eval()
