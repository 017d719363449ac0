"""Real-layer co-simulation through the MAC array RTL (seeded synthetic up5.convA layer)."""

import json

import pytest

from pymodel.core.arith import MulConfig
from pymodel.cli import main
from pymodel.hw.cosim import cosimulate
from pymodel.hw.layers import Tile, default_acc_bits, load_layer, quantize_layer
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT

pytestmark = pytest.mark.rtl
MBM8 = MulConfig("mbm", 8)


def test_cosim_cli_small_tile_bit_exact(tmp_path):
    out = tmp_path / "cosim"
    rc = main(["cosim", "--layer", "synthetic", "--tile", "0:0:1:2", "--out", str(out), "--quiet"])
    report = json.loads((out / "synthetic.json").read_text())
    assert rc == 0 and report["mismatches"] == 0
    assert report["macs"] == 2 * 48 * 112 * 9 and report["tile"] == [0, 0, 1, 2]
    assert set(report) >= {"layer", "shape", "tile", "macs", "mismatches", "seconds", "macs_per_s", "config", "seed"}
    assert report["shape"]["weight"] == [48, 112, 3, 3]


def test_cosim_network_layer_by_name(tmp_path):
    """decoder.up5.convA of the bundled depth network (pymodel.nn.nets), same bench build."""
    out = tmp_path / "cosim"
    rc = main(["cosim", "--layer", "decoder.up5.convA", "--tile", "0:0:1:2", "--lanes", "16", "--acc-bits", "28",
               "--out", str(out), "--quiet"])
    report = json.loads((out / "decoder.up5.convA.json").read_text())
    assert rc == 0 and report["mismatches"] == 0 and report["macs"] > 0


def test_cosim_users_checkpoint_on_an_image_of_their_data(tmp_path):
    """--checkpoint and --data: the layer's input is what the network computes from that image
    (an nyu_test folder written in DenseDepth's layout; the bundled weights as the checkpoint)."""
    import numpy as np

    from pymodel.nn.nets import DEFAULT_WEIGHTS
    from pymodel.nn.scenes import render_scene

    data = tmp_path / "nyu"
    data.mkdir()
    scenes = [render_scene(i, 96, 128, seed=5) for i in range(2)]
    np.save(data / "eigen_test_rgb.npy", np.stack([rgb for rgb, _ in scenes]))
    np.save(data / "eigen_test_depth.npy", np.stack([d for _, d in scenes]).astype(np.float32))
    np.save(data / "eigen_test_crop.npy", np.array([4, 92, 5, 123]))
    out = tmp_path / "cosim"
    args = ["cosim", "--checkpoint", str(DEFAULT_WEIGHTS), "--data", str(data), "--layer", "decoder.up4.convB",
            "--tile", "0:0:1:2", "--out", str(out), "--quiet"]
    assert main([*args, "--image", "1"]) == 0
    report = json.loads((out / "decoder.up4.convB.json").read_text())
    assert report["mismatches"] == 0 and report["source"]["image"] == 1
    with pytest.raises(MBMError, match="--image 2 is past the 2 images"):
        load_layer("decoder.up4.convB", 1, checkpoint=str(DEFAULT_WEIGHTS), data=str(data), image=2)


def test_cosim_catches_a_model_rtl_disagreement():
    """A Mitchell model against the MBM RTL (the build of the test above) must mismatch."""
    q = quantize_layer(*load_layer("synthetic", 1), MulConfig("mitchell", 8))
    acc_bits = default_acc_bits(quantize_layer(*load_layer("synthetic", 1), MBM8))
    r = cosimulate(q, Tile(0, 0, 1, 2), 16, acc_bits, progress=False, rtl_overrides={"MITCHELL": 0})
    assert r.mismatches > 0 and r.examples[0]["rtl"] != r.examples[0]["model"]


def test_cosim_saturating_accumulator_bit_exact():
    q = quantize_layer(*load_layer("synthetic", 2), MBM8)
    r = cosimulate(q, Tile(3, 5, 1, 2), 16, 18, progress=False)
    assert r.mismatches == 0 and r.saturated > 0


def test_the_stream_engine_agrees_on_a_saturating_tile(tmp_path):
    """`pymodel cosim --engine stream` (the harness of make cosim-all) with per-step saturation:
    the overflow flags and the sticky overflow_o are compared too."""
    out = tmp_path / "cosim"
    assert main(["cosim", "--layer", "synthetic", "--tile", "3:5:1:2", "--acc-bits", "18", "--seed", "2",
                 "--engine", "stream", "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "synthetic.json").read_text())
    assert report["mismatches"] == 0 and report["saturated"] > 0 and report["sim_cpu_seconds"] > 0


def test_the_stream_engine_runs_an_imported_unsigned_module(tmp_path):
    """drum_mul (unsigned) in the sign-magnitude array's slot: `pymodel cosim --engine stream
    --mult verilog:...` against the model with its table."""
    out = tmp_path / "cosim"
    spec = f"verilog:{REPO_ROOT / 'tests' / 'data' / 'verilog' / 'drum_mul.v'}"
    assert main(["cosim", "--layer", "synthetic", "--tile", "0:0:1:2", "--lanes", "4", "--engine", "stream",
                 "--mult", spec, "--out", str(out), "--quiet"]) == 0
    report = json.loads((out / "synthetic.json").read_text())
    assert report["mismatches"] == 0 and report["sim_cpu_seconds"] > 0
    assert (report["config"]["spec"], report["config"]["encoding"]) == (spec, "signmag")


def test_tile_and_layer_errors():
    with pytest.raises(MBMError, match="outside the 24x32 output"):
        Tile.parse("20:0:5:1", (24, 32))
    with pytest.raises(MBMError, match="I0:J0:H:W"):
        Tile.parse("1:2", (24, 32))


def test_the_exact_multiplier_cosimulates_through_the_exact_array(tmp_path):
    """EXACT=1 arrays (rtl/mbm_mac_array.v) let the exact multiplier be co-simulated like the others."""
    out = tmp_path / "cosim"
    assert main(["cosim", "--layer", "synthetic", "--tile", "0:0:1:1", "--mult", "exact", "--out", str(out),
                 "--quiet"]) == 0
    report = json.loads((out / "synthetic.json").read_text())
    assert report["mismatches"] == 0 and report["config"]["mult"] == "exact"


def test_hand_scales_past_the_range_are_named(capsys):
    assert main(["cosim", "--layer", "synthetic", "--s-x", "1000", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "error: tensor 'synthetic.input' value" in err and "allowed -255..255" in err


def test_hand_scales_clamped_and_counted():
    conv, x, name = load_layer("synthetic", 1)
    q = quantize_layer(conv, x, name, MBM8, s_x=1000.0, s_w=100.0, on_overflow="clamp")
    assert q.clamped > 0 and int(q.x_q.abs().max()) == 255
