"""make bench: the layer table, the report format and the target verdicts (timings not asserted)."""

import json

import pytest
import torch

from pymodel import cli
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.kernels import approx_conv2d
from pymodel.nn import bench
from pymodel.nn.nets.depth import DECODER_LAYERS


def test_layer_table_is_the_seed_decoder():
    assert tuple(layer.name for layer in bench.SEED_LAYERS) == DECODER_LAYERS
    assert sum(layer.gmac for layer in bench.SEED_LAYERS) == pytest.approx(14.4, abs=0.05)
    conv2 = bench.SEED_LAYERS[0]
    assert conv2.out_hw == (17, 22)  # 1x1 with padding 1 grows 15x20, as in the reference model


def test_layer_selection():
    assert [layer.name for layer in bench.select_layers(["up5*", "decoder.conv3"])] == [
        "decoder.up5.convA", "decoder.up5.convB", "decoder.conv3"]
    with pytest.raises(MBMError, match=r"--layers up9\* matches no layer: allowed decoder.conv2, "):
        bench.select_layers(["up9*"])


def row(backend: str, ratio: float, seconds: float = 1.0) -> dict:
    return {"layer": "decoder.conv3", "backend": backend, "shape": "s", "gmac": 1.0, "seconds": seconds,
            "exact_seconds": seconds / ratio, "gmac_per_s": 1.0 / seconds, "ratio": ratio,
            "device": bench.device_name("cpu"), "threads": 2}


def test_geomean_and_verdicts_can_fail():
    rows = [row("cpu", 4.0), row("cpu", 100.0, seconds=20.0)]
    summary = bench.summarize(rows)
    assert summary["cpu"]["geomean_ratio"] == pytest.approx(20.0)
    assert summary["cpu"]["sweep_seconds"] == pytest.approx(5 * 21.0)
    text = bench.format_table(rows, summary, full=True)
    assert "target <= 10: missed by 2.0x" in text and "(target < 60 s: missed)" in text
    good = [row("cpu", 2.0, seconds=0.1)]
    assert "target <= 10: met" in bench.format_table(good, bench.summarize(good), full=True)


def test_bench_command_writes_the_report(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert cli.main(["bench", "--layers", "conv3", "--repeats", "1", "--warmup", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    keys = {"layer", "backend", "shape", "gmac", "seconds", "exact_seconds", "gmac_per_s", "ratio", "device",
            "threads"}
    assert report["rows"] and all(set(r) == keys for r in report["rows"])
    assert {r["backend"] for r in report["rows"]} == {"cpu"}
    assert report["versions"]["torch"] and "cpu" in report["summary"]
    assert "decoder.conv3" in capsys.readouterr().out


def test_unknown_backend_is_a_one_line_error(tmp_path, capsys):
    assert cli.main(["bench", "--backends", "fpga", "--out", str(tmp_path / "b.json")]) == 2
    assert capsys.readouterr().err.startswith("error: unknown backend 'fpga': allowed auto, reference, cpu")


@pytest.mark.parametrize("kernel", [1, 3])
def test_spot_check_catches_a_flipped_bit(kernel):
    layer = bench.LayerShape("t", 8, 9, 3, 4, kernel)
    cfg = MulConfig("mbm", 8)
    g = torch.Generator().manual_seed(kernel)
    x = torch.randint(-255, 256, (1, 3, 8, 9), generator=g)
    w = torch.randint(-255, 256, (4, 3, kernel, kernel), generator=g)
    bias = torch.randint(-99, 99, (4,), generator=g)
    acc, _ = approx_conv2d(x, w, bias, cfg, padding=1, backend="cpu")
    assert bench.spot_check(acc, x, w, bias, layer, cfg)
    acc[0, 1, 2, 3] ^= 1
    assert not bench.spot_check(acc, x, w, bias, layer, cfg)
