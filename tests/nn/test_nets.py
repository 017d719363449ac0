"""Seed network: reference key names, decoder layer shapes at 480x640, checkpoint loading."""

from __future__ import annotations

import pytest
import torch

from pymodel.core.errors import MBMError
from pymodel.nn.nets import (
    DECODER_LAYERS,
    DEFAULT_INPUT_HW,
    build_depth_net,
    default_model,
    layer_input,
    load_checkpoint,
    load_depth_net,
)

BN = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")

#: Issue 5 table: layer -> (input H, W, Cin, Cout, kernel) at 480 x 640 input.
DECODER_TABLE = {
    "decoder.conv2": (15, 20, 1280, 768, 1),
    "decoder.up0.convA": (15, 20, 1088, 384, 3), "decoder.up0.convB": (15, 20, 384, 384, 3),
    "decoder.up1.convA": (15, 20, 544, 384, 3), "decoder.up1.convB": (15, 20, 384, 384, 3),
    "decoder.up2.convA": (30, 40, 448, 192, 3), "decoder.up2.convB": (30, 40, 192, 192, 3),
    "decoder.up3.convA": (60, 80, 224, 96, 3), "decoder.up3.convB": (60, 80, 96, 96, 3),
    "decoder.up4.convA": (120, 160, 120, 96, 3), "decoder.up4.convB": (120, 160, 96, 96, 3),
    "decoder.up5.convA": (240, 320, 112, 48, 3), "decoder.up5.convB": (240, 320, 48, 48, 3),
    "decoder.conv3": (240, 320, 48, 1, 3),
}


def reference_keys() -> list[str]:
    """The reference model's state-dict keys, spelled out from torchvision's mobilenet_v2 layout."""

    def conv_bn(prefix: str) -> list[str]:
        return [f"{prefix}.0.weight"] + [f"{prefix}.1.{b}" for b in BN]

    enc = "encoder.original_model"
    keys = conv_bn(f"{enc}.features.0")
    keys += conv_bn(f"{enc}.features.1.conv.0") + [f"{enc}.features.1.conv.1.weight"]
    keys += [f"{enc}.features.1.conv.2.{b}" for b in BN]
    for i in range(2, 18):
        keys += conv_bn(f"{enc}.features.{i}.conv.0") + conv_bn(f"{enc}.features.{i}.conv.1")
        keys += [f"{enc}.features.{i}.conv.2.weight"] + [f"{enc}.features.{i}.conv.3.{b}" for b in BN]
    keys += conv_bn(f"{enc}.features.18") + [f"{enc}.classifier.1.weight", f"{enc}.classifier.1.bias"]
    keys += ["decoder.conv2.weight", "decoder.conv2.bias"]
    keys += [f"decoder.up{i}.conv{ab}.{p}" for i in range(6) for ab in "AB" for p in ("weight", "bias")]
    return keys + ["decoder.conv3.weight", "decoder.conv3.bias"]


@pytest.fixture(scope="module")
def meta_net():
    with torch.device("meta"):
        return build_depth_net()


def test_state_dict_keys_match_reference(meta_net):
    keys = list(meta_net.state_dict())
    assert keys == reference_keys()
    assert len(keys) == 342 and sum(k.startswith("encoder.") for k in keys) == 314


def test_reference_shapes(meta_net):
    sd = meta_net.state_dict()
    enc = "encoder.original_model"
    assert sd[f"{enc}.features.0.0.weight"].shape == (32, 3, 3, 3)
    assert sd[f"{enc}.features.1.conv.0.0.weight"].shape == (32, 1, 3, 3)
    assert sd[f"{enc}.features.17.conv.2.weight"].shape == (320, 960, 1, 1)
    assert sd[f"{enc}.features.18.0.weight"].shape == (1280, 320, 1, 1)
    assert sd[f"{enc}.classifier.1.weight"].shape == (1000, 1280)
    for name, (_, _, cin, cout, k) in DECODER_TABLE.items():
        assert sd[f"{name}.weight"].shape == (cout, cin, k, k), name
        assert sd[f"{name}.bias"].shape == (cout,), name


def test_decoder_layer_inputs_at_480x640(meta_net):
    """Every decoder layer's input at 480 x 640 (meta tensors: shapes only, no compute)."""
    assert list(DECODER_LAYERS) == list(DECODER_TABLE)
    image = torch.empty(1, 3, 480, 640, device="meta")
    for name, (h, w, cin, cout, k) in DECODER_TABLE.items():
        module, x = layer_input(meta_net, name, image)
        assert tuple(x.shape) == (1, cin, h, w), name
        assert module.padding == (1, 1) and module.stride == (1, 1)
    assert tuple(meta_net(image).shape) == (1, 1, 240, 320)


def test_layer_input_errors(meta_net):
    image = torch.empty(1, 3, 480, 640, device="meta")
    with pytest.raises(MBMError, match="no layer named 'decoder.up9.convA'.*decoder.conv3"):
        layer_input(meta_net, "decoder.up9.convA", image)
    with pytest.raises(MBMError, match="not used by the forward"):
        layer_input(meta_net, "encoder.original_model.classifier.1", image)


@pytest.fixture(scope="module")
def small_pair():
    """Two small nets with different random weights (same architecture as the default)."""
    from pymodel.nn.nets import SMALL_CONFIG

    torch.manual_seed(1)
    a = build_depth_net(SMALL_CONFIG)
    b = build_depth_net(SMALL_CONFIG)
    return a, b


@pytest.mark.parametrize("wrap", ["raw", "state_dict", "model", "dataparallel"])
def test_load_checkpoint_forms(small_pair, tmp_path, wrap):
    a, b = small_pair
    sd = a.state_dict()
    blob = {
        "raw": sd,
        "state_dict": {"state_dict": sd, "epoch": 3},
        "model": {"model": sd},
        "dataparallel": {f"module.{k}": v for k, v in sd.items()},
    }[wrap]
    path = tmp_path / "ck.pt"
    torch.save(blob, path)
    load_checkpoint(b, path)
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(a(x), b(x))


def test_load_checkpoint_names_missing_and_unexpected(small_pair):
    a, b = small_pair
    sd = dict(a.state_dict())
    del sd["decoder.up3.convB.bias"]
    sd["decoder.up9.convA.weight"] = torch.zeros(1)
    with pytest.raises(MBMError, match=r"missing decoder.up3.convB.bias \(1\); unexpected decoder.up9.convA.weight"):
        load_checkpoint(b, sd)
    many = {f"x{i}": torch.zeros(1) for i in range(9)}
    with pytest.raises(MBMError, match=r"unexpected x0, x1, x2, x3, \.\.\. \(9 in all\)"):
        load_checkpoint(b, {**a.state_dict(), **many})


def test_load_checkpoint_rejects_wrong_shapes_and_files(small_pair, tmp_path):
    _, b = small_pair
    with torch.device("meta"):
        full = build_depth_net()
    with pytest.raises(MBMError, match="has shape .* wrong architecture"):
        load_checkpoint(b, {k: torch.zeros(v.shape) for k, v in full.state_dict().items()})
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    with pytest.raises(MBMError, match="not a torch file"):
        load_checkpoint(b, bad)
    with pytest.raises(MBMError, match="does not exist"):
        load_checkpoint(b, tmp_path / "missing.pt")


def test_load_depth_net_uses_config(small_pair):
    a, _ = small_pair
    net = load_depth_net({"state_dict": a.state_dict(), "config": a.config.to_dict()})
    assert net.config == a.config


def test_default_model_runs():
    net = default_model()
    out = net(torch.rand(1, 3, *DEFAULT_INPUT_HW))
    assert out.shape == (1, 1, DEFAULT_INPUT_HW[0] // 2, DEFAULT_INPUT_HW[1] // 2)
    assert list(net.state_dict())[-1] == "decoder.conv3.bias"


def test_pickled_objects_are_refused_with_advice(tmp_path):
    path = tmp_path / "whole.pt"
    torch.save({"state_dict": {}, "args": BN.__class__.__mro__}, path)  # a pickled class object
    with pytest.raises(MBMError, match=r"pickled objects .* torch.save\(model.state_dict\(\), path\)"):
        load_depth_net(path)


def test_training_script_is_reproducible(tmp_path):
    """scripts/train_default.py is seeded: two short runs write identical weights."""
    import subprocess
    import sys

    outs = [tmp_path / f"run{i}.pt" for i in range(2)]
    for out in outs:
        subprocess.run(
            [sys.executable, "scripts/train_default.py", "--steps", "6", "--scenes", "32", "--batch", "4",
             "--out", str(out)], check=True, capture_output=True,
        )
    a, b = (torch.load(o, weights_only=True) for o in outs)
    assert a["config"] == b["config"] and "SYNTHETIC" in a["note"]
    assert all(torch.equal(a["state_dict"][k], b["state_dict"][k]) for k in a["state_dict"])
    net = load_depth_net(outs[0])
    assert all(torch.equal(v, a["state_dict"][k]) for k, v in net.state_dict().items())
