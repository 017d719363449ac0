"""Approximate layers: same integer path as the MAC-array model, selection, scales, restore."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pymodel.core import conv, quant
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.nn.approx import ApproxLayer, ScaleOptions, approximate, calibrate_scales, restore, select_layers
from pymodel.nn.nets import SMALL_CONFIG, build_depth_net


@pytest.fixture()
def net():
    torch.manual_seed(0)
    return build_depth_net(SMALL_CONFIG)


@pytest.fixture(scope="module")
def images():
    torch.manual_seed(1)
    return torch.rand(1, 3, 64, 96)


def test_layer_equals_reference_integer_conv(net, images):
    """The swapped layer's output is exactly dequantize(conv2d_int(quantize(x), quantize(w)))."""
    cfg = MulConfig("mbm", bits=8)
    name = "decoder.up2.convA"
    conv_layer = net.get_submodule(name)
    inputs = []
    conv_layer.register_forward_hook(lambda _m, a, _o: inputs.append(a[0]))
    with torch.no_grad():
        net(images)
    x = inputs[0]
    s_x, s_w = torch.tensor(40.0, dtype=torch.float64), torch.tensor(300.0, dtype=torch.float64)
    layer = approximate(net, name, cfg, s_x=s_x, s_w=s_w)[name]
    x_q, _ = quant.quantize(x, s_x, 8, "x", on_overflow="clamp")
    w_q, _ = quant.quantize(conv_layer.weight, s_w, 8, "w", on_overflow="clamp")
    b_q = quant.quantize_bias(conv_layer.bias, s_x, s_w, cfg)
    acc, _ = conv.conv2d_int(x_q, w_q, b_q, cfg, padding=1)
    expected = quant.dequantize(acc, s_x, s_w, cfg).float()
    with torch.no_grad():
        assert torch.equal(layer(x), expected)
        # The check can fail: the exact multiplier gives different integers.
        exact_acc, _ = conv.conv2d_int(x_q, w_q, b_q, MulConfig("exact", bits=8), padding=1)
        assert not torch.equal(acc, exact_acc)


def test_exact_wide_multiplier_tracks_float(net, images):
    with torch.no_grad():
        y0 = net(images)
        keys = list(net.state_dict())
        approximate(net, "decoder.*", MulConfig("exact", bits=16), calibration=images)
        assert list(net.state_dict()) == keys  # checkpoint names unchanged
        y16 = net(images)
        restore(net)
        approximate(net, "decoder.*", MulConfig("mbm", bits=6), calibration=images)
        y6 = net(images)
    err16 = (y16 - y0).abs().max() / y0.abs().max()
    err6 = (y6 - y0).abs().max() / y0.abs().max()
    assert err16 < 1e-3
    assert err6 > 10 * err16  # coarse approximate arithmetic is visible


def test_restore_gives_back_the_float_model(net, images):
    with torch.no_grad():
        y0 = net(images)
        approximate(net, ["decoder.conv2", "decoder.conv3"], MulConfig(), calibration=images)
        assert sum(isinstance(m, ApproxLayer) for m in net.modules()) == 2
        assert restore(net) == ["decoder.conv2", "decoder.conv3"]
        assert torch.equal(net(images), y0)


def test_select_by_glob_and_errors(net):
    assert select_layers(net, "decoder.up*.convA") == [f"decoder.up{i}.convA" for i in range(6)]
    assert select_layers(net, "decoder.conv3, decoder.conv2") == ["decoder.conv2", "decoder.conv3"]
    with pytest.raises(MBMError, match=r"'decoder.up7\*' matches no Conv2d/Linear: allowed e.g. decoder.conv2"):
        select_layers(net, "decoder.up7*")
    with pytest.raises(MBMError, match="has no s_x/s_w"):
        approximate(net, "decoder.conv3", MulConfig())


def test_hand_scales_per_layer_and_overflow(net, images):
    s_x = {"decoder.conv3": 1000.0}
    layer = approximate(net, "decoder.conv3", MulConfig(), s_x=s_x, s_w=50.0, on_overflow="error")["decoder.conv3"]
    assert float(layer.s_x) == 1000.0 and float(layer.s_w) == 50.0
    with pytest.raises(MBMError, match="decoder.conv3 input"):
        with torch.no_grad():
            net(images * 50)


def test_per_channel_calibration(net, images):
    scales = calibrate_scales(net, ["decoder.up5.convB"], images, 8, ScaleOptions(per_channel=True, pow2=True))
    s_x, s_w = scales["decoder.up5.convB"]
    assert s_w.shape == (net.get_submodule("decoder.up5.convB").out_channels, 1, 1, 1)
    assert torch.equal(torch.log2(s_w), torch.log2(s_w).round())
    approximate(net, "decoder.up5.convB", MulConfig(), scales=scales)
    with torch.no_grad():
        assert torch.isfinite(net(images)).all()


def test_linear_layers_of_any_model():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(12, 7), nn.ReLU(), nn.Linear(7, 3))
    x = torch.randn(5, 12)
    with torch.no_grad():
        y0 = model(x)
        swapped = approximate(model, "*", MulConfig("exact", bits=16), calibration=x)
        assert list(swapped) == ["0", "2"]
        assert torch.allclose(model(x), y0, atol=1e-3)


def test_a_per_layer_mapping_gives_each_layer_its_multiplier():
    from pymodel.nn import approx as approx_mod

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Conv2d(4, 2, 1))
    x = torch.rand(1, 3, 6, 6)
    swapped = approx_mod.approximate(model, {"0": "mbm:8", "2": MulConfig("mitchell", 6)}, calibration=x)
    assert {n: (s.cfg.mult, s.cfg.bits) for n, s in swapped.items()} == {"0": ("mbm", 8), "2": ("mitchell", 6)}
    mixed = model(x)
    scales = {n: (s.s_x, s.s_w) for n, s in swapped.items()}  # calibrated on the exact model, each at its width
    approx_mod.restore(model)
    approx_mod.approximate(model, "0", MulConfig("mbm", 8), scales=scales)
    approx_mod.approximate(model, "2", MulConfig("mitchell", 6), scales=scales)
    assert torch.equal(model(x), mixed)  # the same as swapping one layer at a time with those scales
    approx_mod.restore(model)
    with pytest.raises(MBMError, match="assigned mbm:8 and exact:8"):
        approx_mod.approximate(model, {"*": "mbm:8", "2": "exact:8"}, calibration=x)
    with pytest.raises(MBMError, match="mapping and cfg"):
        approx_mod.approximate(model, {"0": "mbm:8"}, MulConfig(), calibration=x)
    with pytest.raises(MBMError, match="does not parse"):
        approx_mod.approximate(model, {"0": "mbm8"}, calibration=x)
