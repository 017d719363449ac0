"""The per-layer sweep on the bundled synthetic default: files, tables, resume, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from pymodel.cli import main as cli_main
from pymodel.nn.metrics import METRICS
from pymodel.nn.sweep import SCHEMA

LAYERS = "decoder.up5.convB,decoder.conv3"
FAST = ["sweep", "--images", "2", "--layers", LAYERS, "--calib-images", "1"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    assert cli_main([*FAST, "--out", str(out)]) == 0
    return out


def test_files_and_schema(finished, capsys):
    doc = json.loads((finished / "sweep.json").read_text())
    assert doc["schema"] == SCHEMA and doc["complete"] and doc["synthetic"] and "SYNTHETIC" in doc["note"]
    assert [r["label"] for r in doc["rows"]] == ["exact", "decoder.up5.convB", "decoder.conv3", "all"]
    assert doc["rows"][0]["deviation_pct"] == {m: 0.0 for m in METRICS}
    assert doc["rows"][-1]["layers"] == ["decoder.up5.convB", "decoder.conv3"]
    assert set(doc["settings"]) >= {"checkpoint", "data", "images", "multiplier", "scales", "evaluation", "layers"}
    assert doc["settings"]["multiplier"]["label"] == "mbm N=8 t=0"
    for r in doc["rows"][1:]:
        assert set(r["scales"]) == set(r["layers"]) and r["seconds"] >= 0
    with (finished / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["label"] for r in rows] == [r["label"] for r in doc["rows"]]
    assert float(rows[1]["dev_rms"]) == pytest.approx(doc["rows"][1]["deviation_pct"]["rms"], rel=1e-3)
    assert all(r["synthetic"] == "True" for r in rows)
    assert all((finished / f"deviation_{m}.png").stat().st_size > 5000 for m in METRICS)


def test_approximation_is_visible_and_exact_is_not(tmp_path):
    """The sweep must show the multiplier: 4-bit MBM deviates, a 16-bit exact multiplier barely."""
    def worst(extra):
        out = tmp_path / "-".join(extra)
        assert cli_main([*FAST, "--layers", "decoder.up5.convB", "--out", str(out), *extra]) == 0
        row = json.loads((out / "sweep.json").read_text())["rows"][1]
        return max(abs(v) for v in row["deviation_pct"].values())

    assert worst(["--mult", "exact", "--bits", "16"]) < 0.05
    assert worst(["--mult", "mbm", "--bits", "4"]) > 0.5


def test_resume_keeps_rows_and_refuses_other_settings(finished, tmp_path, capsys):
    doc = json.loads((finished / "sweep.json").read_text())
    doc["rows"] = doc["rows"][:2]
    doc["rows"][1]["seconds"] = 1234.5  # a marker that only survives if the row is kept
    doc["complete"] = False
    out = tmp_path / "partial"
    out.mkdir()
    (out / "sweep.json").write_text(json.dumps(doc))
    assert cli_main([*FAST, "--out", str(out), "--resume"]) == 0
    resumed = json.loads((out / "sweep.json").read_text())
    assert resumed["complete"] and len(resumed["rows"]) == 4 and resumed["rows"][1]["seconds"] == 1234.5
    assert "resuming: 2 finished rows" in capsys.readouterr().out
    assert cli_main([*FAST, "--out", str(out), "--resume", "--bits", "6"]) == 2
    assert "other settings" in capsys.readouterr().err


def test_tables_printed(finished, capsys):
    import torch

    threads = torch.get_num_threads()
    cli_main([*FAST, "--out", str(finished), "--resume", "--threads", str(threads + 1)])
    assert torch.get_num_threads() == threads  # the sweep puts the caller's thread count back
    text = capsys.readouterr().out
    assert "a1 dev" in text and "up5.convB" in text and "SYNTHETIC" in text


def test_ctrl_c_keeps_finished_rows(tmp_path):
    """SIGINT right after the first of 16 rows is written: exit 130, the finished rows kept.
    The reference backend on 8 images makes the 15 rows after the first take about 12 s, so
    the signal lands mid-sweep even on a loaded machine (the fast kernels finish all 16 rows
    of the small default in 0.2 s, before a poll loop can react)."""
    out = tmp_path / "interrupted"
    cmd = [sys.executable, "-m", "pymodel", *FAST, "--images", "8", "--backend", "reference",
           "--layers", "decoder.*", "--out", str(out)]
    # SIGINT as a terminal delivers it: a shell without job control starts background jobs
    # with SIGINT ignored, Python keeps an inherited SIG_IGN, and the signal would be lost.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd(),
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while not (out / "sweep.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    doc = json.loads((out / "sweep.json").read_text())
    assert proc.returncode == 130 and "finished results were kept" in err, err
    assert not doc["complete"] and doc["rows"][0]["label"] == "exact"


def test_backends_give_identical_metrics(tmp_path):
    """The fast kernels and the reference integer model must give the same numbers bit for bit."""
    from pymodel.core.kernels import available_backends

    docs = {}
    for backend in ("reference", *(b for b in available_backends() if b == "cpu")):
        out = tmp_path / backend
        assert cli_main([*FAST, "--layers", "decoder.up5.convB", "--backend", backend, "--out", str(out)]) == 0
        docs[backend] = json.loads((out / "sweep.json").read_text())
    assert docs["reference"]["backend_used"] == "reference"
    rows = [[r["metrics"] for r in d["rows"]] for d in docs.values()]
    assert all(r == rows[0] for r in rows)


def test_cached_replay_equals_full_forward():
    """Replaying exact encoder features and decoder blocks must not change a single output."""
    import numpy as np

    from pymodel.core.arith import MulConfig
    from pymodel.nn import approx
    from pymodel.nn.data import synthetic_testset
    from pymodel.nn.metrics import DepthCoding
    from pymodel.nn.nets import default_model
    from pymodel.nn.predict import images_to_tensor, predict_depth
    from pymodel.nn.sweep import Predictor

    model, data = default_model(), synthetic_testset(2)
    predictor = Predictor(model, data.rgb, DepthCoding(), flip=True, batch_size=1)
    assert np.array_equal(predictor([]), predict_depth(model, data.rgb, flip=True, batch_size=1))
    for layer in ("decoder.up3.convA", "decoder.conv3"):
        approx.approximate(model, layer, MulConfig(bits=6), calibration=images_to_tensor(data.rgb))
        cached = predictor([layer])
        full = predict_depth(model, data.rgb, flip=True, batch_size=1)
        approx.restore(model)
        assert np.array_equal(cached, full), layer
        assert not np.array_equal(cached, predictor([])), layer  # the approximation shows


def test_per_layer_scales_file(tmp_path):
    scales = tmp_path / "scales.json"
    scales.write_text(json.dumps({"decoder.conv3": {"s_x": 64, "s_w": 512}}))
    out = tmp_path / "hand"
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(out)]) == 0
    rows = {r["label"]: r for r in json.loads((out / "sweep.json").read_text())["rows"]}
    assert rows["decoder.conv3"]["scales"]["decoder.conv3"] == {"s_x": 64.0, "s_w": 512.0}
    assert rows["decoder.up5.convB"]["scales"]["decoder.up5.convB"]["s_x"] != 64.0  # calibrated
    # A sweep's own recorded scales can be fed back unchanged.
    scales.write_text(json.dumps(rows["all"]["scales"]))
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "sweep.json").read_text())["rows"]
    assert [r["metrics"] for r in again] == [rows[r["label"]]["metrics"] for r in again]
    scales.write_text(json.dumps({"decoder.up1.convA": {"s_x": 1}}))
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(out)]) == 2
    scales.write_text(json.dumps({"decoder.conv3": {"s_x": -1}}))
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(out)]) == 2


# ---- loud numbers: clamping, saturation, n/a, refused multipliers ----


def test_layer_counts_and_warnings_hand_checked():
    """A 1x1 conv, exact multiplier, N = 8 (operands -255..255), s_x = s_w = 100:

    inputs 0.5 1 2 3 -4 0 quantize to 50 100 200 300 -400 0: 2 of 6 clamp (to +-255);
    weights 1 and 3 to 100 and 300: 1 of 2 clamps; the 12 accumulators 100 * x_q and 255 * x_q
    in a 16-bit accumulator (-32768..32767): 255 * 200, 255 * 255, 255 * -255 saturate, 3 of 12.
    """
    import torch

    from pymodel.core.arith import MulConfig
    from pymodel.nn.approx import ApproxLayer
    from pymodel.nn.clamping import clamp_warnings, row_counts

    conv = torch.nn.Conv2d(1, 2, 1, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 3.0]).reshape(2, 1, 1, 1))
    scale = torch.tensor(100.0)
    cfg = MulConfig(mult="exact", bits=8)
    layer = ApproxLayer(conv, "tiny", cfg, scale, scale, acc_bits=16, backend="reference")
    x = torch.tensor([0.5, 1.0, 2.0, 3.0, -4.0, 0.0]).reshape(1, 1, 2, 3)
    for _ in range(2):  # the counts add up over calls; the weights are quantized once
        layer(x)
    counts = {"inputs": 12, "clamped_inputs": 4, "weights": 2, "clamped_weights": 1, "accumulators": 24,
              "saturated": 6}
    assert layer.counts() == counts
    row = {"label": "tiny", "layers": ["tiny"], **row_counts({"tiny": layer}),
           "scales": {"tiny": {"s_x": 100.0, "s_w": 100.0}}}
    assert row["per_layer"] == {"tiny": counts} and row["clamped_inputs"] == 4
    settings = {"scales": {"file": None, "s_x": 100.0, "s_w": None, "method": "max", "weight_method": "mse",
                           "calib_images": 2}}
    warnings = clamp_warnings({"rows": [row], "settings": settings})
    assert [(w["kind"], w["count"], w["total"]) for w in warnings] == [
        ("clamped_inputs", 4, 12), ("clamped_weights", 1, 2), ("saturated", 6, 24)]
    messages = [w["message"] for w in warnings]
    assert messages[0].startswith("tiny: s_x=100 clamps 33.3 % of its inputs (4 of 12), so its rows measure")
    assert "s_x was set by hand: calibrate it (drop --s-x" in messages[0]
    assert messages[1].startswith("tiny: s_w=100 clamps 50 % of its weights (1 of 2)")
    assert "s_w was calibrated by --weight-method mse, which clips by design" in messages[1]
    assert messages[2].startswith("tiny: 25 % of its accumulators saturate (6 of 24)")


@pytest.mark.parametrize("clamped, warned", [(1, False), (2, True)])
def test_the_warning_limit_is_above_0_1_percent(clamped, warned):
    from pymodel.nn.clamping import clamp_warnings

    counts = {"inputs": 1000, "clamped_inputs": clamped, "weights": 1, "clamped_weights": 0,
              "accumulators": 1, "saturated": 0}
    scales = {"conv": {"s_x": 2.0, "s_w": [1.0, 3.0]}}
    rows = [{"label": label, "per_layer": {"conv": counts}, "scales": scales} for label in ("conv", "all")]
    settings = {"scales": {"file": {"conv": {"s_x": 2.0}}, "s_x": None, "s_w": None}}
    warnings = clamp_warnings({"rows": rows, "settings": settings})
    assert len(warnings) == warned  # one per layer, naming every row it was over in
    if warned:
        assert warnings[0]["rows"] == ["conv", "all"] and warnings[0]["share_pct"] == pytest.approx(0.2)


@pytest.mark.parametrize("argv, shown", [
    (["--s-x", "nan"], "--s-x=nan"),
    (["--s-x", "-1"], "--s-x=-1.0"),
    (["--s-x", "0"], "--s-x=0.0"),
    (["--s-w", "inf"], "--s-w=inf"),
    (["--s-w=-inf"], "--s-w=-inf"),
])
def test_bad_multipliers_are_refused_before_any_model_work(monkeypatch, tmp_path, capsys, argv, shown):
    from pymodel.nn import nets

    monkeypatch.setattr(nets, "default_model", lambda: pytest.fail("the model was loaded"))
    assert cli_main([*FAST, *argv, "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: {shown}: allowed a finite number > 0\n"


@pytest.mark.parametrize("entry, shown", [
    ('{"s_x": NaN}', "decoder.conv3.s_x=nan: allowed a finite number > 0"),
    ('{"s_w": Infinity}', "decoder.conv3.s_w=inf: allowed a finite number > 0"),
    ('{"s_x": 0}', "decoder.conv3.s_x=0: allowed a finite number > 0"),
    ('{"s_x": "64"}', "decoder.conv3.s_x='64': allowed a finite number > 0"),
    ('{"s_x": true}', "decoder.conv3.s_x=True: allowed a finite number > 0"),
    ('{"s_x": [64]}', "decoder.conv3.s_x=[64]: allowed a finite number > 0"),
    ('{"s_w": [512, -1]}', "decoder.conv3.s_w=-1: allowed a finite number > 0"),
    ('{"s_w": []}', "decoder.conv3.s_w=[]: allowed a finite number > 0, or one per output channel"),
    ('{"s_y": 1}', "decoder.conv3.s_y: unknown key: allowed s_x, s_w"),
])
def test_bad_scales_file_values_are_refused_before_any_model_work(monkeypatch, tmp_path, capsys, entry,
                                                                   shown):
    from pymodel.nn import nets

    monkeypatch.setattr(nets, "default_model", lambda: pytest.fail("the model was loaded"))
    scales = tmp_path / "scales.json"
    scales.write_text(f'{{"decoder.conv3": {entry}}}')
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: --scales {scales}: {shown}\n"


def test_a_per_channel_scale_of_the_wrong_length_is_refused_before_any_row(tmp_path, capsys):
    scales = tmp_path / "scales.json"
    scales.write_text(json.dumps({"decoder.up5.convB": {"s_w": [512.0, 512.0, 512.0]}}))
    out = tmp_path / "out"
    assert cli_main([*FAST, "--scales", str(scales), "--out", str(out)]) == 2
    assert re.fullmatch(r"error: --scales \S+: decoder.up5.convB.s_w has 3 values: allowed one, "
                        r"or one per output channel \(\d+\)\n", capsys.readouterr().err)
    assert not out.exists()  # no row ran


def test_a_clamping_multiplier_is_loud(tmp_path, capsys):
    """--s-x 1e9 clamps every activation with |x| * 1e9 past 255: the count is checked against the
    layer's inputs recorded by a hook on the exact model (its own row's inputs are the exact ones)."""
    import torch

    from pymodel.nn.data import load_dataset
    from pymodel.nn.nets import default_model
    from pymodel.nn.predict import predict_depth

    layer = "decoder.up5.convB"
    out = tmp_path / "loud"
    assert cli_main([*FAST, "--layers", layer, "--s-x", "1e9", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    doc = json.loads((out / "sweep.json").read_text())
    rows = {r["label"]: r for r in doc["rows"]}

    model, seen = default_model(), []
    model.get_submodule(layer).register_forward_hook(lambda _m, args, _o: seen.append(args[0].detach()))
    predict_depth(model, load_dataset(None, 2).rgb, flip=False, batch_size=1)
    inputs = sum(t.numel() for t in seen)
    clamped = sum(int((torch.round(t.double() * 1e9).abs() > 255).sum()) for t in seen)
    assert clamped > 0.9 * inputs

    own = rows[layer]
    assert (own["inputs"], own["clamped_inputs"]) == (inputs, clamped)
    assert own["per_layer"][layer]["clamped_inputs"] == clamped and own["saturated"] == 0
    assert own["weights"] == model.get_submodule(layer).weight.numel() and own["clamped_weights"] == 0
    assert rows["exact"]["inputs"] == 0 and rows["exact"]["per_layer"] == {}
    [warning] = doc["warnings"]
    assert warning["layer"] == layer and warning["kind"] == "clamped_inputs" and warning["count"] == clamped
    assert warning["rows"] == [layer, "all"]
    share = f"{100 * clamped / inputs:.3g} %"
    line = f"WARNING: {layer}: s_x=1e+09 clamps {share} of its inputs ({clamped:,} of {inputs:,})"
    assert [x for x in printed.splitlines() if x.startswith("WARNING")] == [f"WARNING: {warning['message']}"]
    assert f"WARNING: {warning['message']}".startswith(line)
    table_row = next(x for x in printed.splitlines() if x.startswith("up5.convB "))
    assert table_row.endswith(f"{100 * clamped / inputs:.3f}%!    0.000%     0.000%")
    with (out / "sweep.csv").open() as f:
        csv_rows = {r["label"]: r for r in csv.DictReader(f)}
    assert int(csv_rows[layer]["clamped_inputs"]) == clamped and int(csv_rows[layer]["inputs"]) == inputs


def test_calibrated_default_carries_counts_without_warnings(finished):
    doc = json.loads((finished / "sweep.json").read_text())
    assert doc["warnings"] == []
    for r in doc["rows"][1:]:
        assert set(r["per_layer"]) == set(r["layers"]) and r["inputs"] > 0 and r["accumulators"] > 0
        assert r["clamped_inputs"] == sum(c["clamped_inputs"] for c in r["per_layer"].values())


def test_a_deviation_of_an_exact_zero_is_not_applicable(monkeypatch, tmp_path, capsys):
    """a1 = 0 for every row (the exact one included): its deviation is n/a, never nan%."""
    from pymodel.nn import metrics

    real = metrics.mean_errors
    monkeypatch.setattr(metrics, "mean_errors", lambda *a, **k: {**real(*a, **k), "a1": 0.0})
    out = tmp_path / "zero"
    assert cli_main([*FAST, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "nan" not in printed.lower()
    deviation_rows = printed.split("a1 dev")[1].splitlines()[1:4]
    cells = [line.split() for line in deviation_rows]
    assert all(c[1] == "n/a" and c[2].endswith("%") for c in cells), deviation_rows
    doc = json.loads((out / "sweep.json").read_text())  # strict JSON: no NaN
    assert all(r["deviation_pct"]["a1"] is None for r in doc["rows"])
    assert "NaN" not in (out / "sweep.json").read_text()
    with (out / "sweep.csv").open() as f:
        assert {r["dev_a1"] for r in csv.DictReader(f)} == {"n/a"}
    assert (out / "deviation_a1.png").stat().st_size > 5000


def test_a_per_layer_assignment_runs_the_mixed_network(tmp_path):
    """--assignment (explore.json's shape): each layer with its own multiplier and width; the
    "all" row is the mixed network, the same numbers the exploration measures for it."""
    from pymodel.core.spec import parse_spec
    from pymodel.nn.data import load_dataset
    from pymodel.nn.evaluate import Evaluation
    from pymodel.nn.nets import default_model

    mixed = {"decoder.up5.convA": "mitchell:8", "decoder.up5.convB": "mbm:6"}
    (tmp_path / "a.json").write_text(json.dumps({"assignment": mixed, "schema": "mbm-explore/1"}))
    out = tmp_path / "out"
    base = ["sweep", "--images", "2", "--calib-images", "1"]
    assert cli_main([*base, "--assignment", str(tmp_path / "a.json"), "--out", str(out)]) == 0
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["settings"]["multiplier"]["assignment"] == mixed and doc["settings"]["layers"] == list(mixed)
    assert [r["label"] for r in doc["rows"]] == ["exact", *mixed, "all"]
    images = doc["settings"]["images"]
    model = default_model()
    evaluation = Evaluation.calibrated(model, load_dataset(None, images), list(mixed), {6, 8},
                                       calib_images=doc["settings"]["scales"]["calib_images"])
    expected = evaluation.run({n: parse_spec(s) for n, s in mixed.items()}).metrics
    # the sweep calibrates with torch's default thread count, the exploration on one thread: the
    # float max of a layer's input, and so the scale, can differ in the last bits
    assert doc["rows"][-1]["metrics"] == pytest.approx(expected, rel=1e-5)
    assert cli_main([*FAST, "--assignment", str(tmp_path / "a.json"), "--layers", "decoder.up5.convA",
                     "--out", str(out)]) == 2
    (tmp_path / "bad.json").write_text(json.dumps({"decoder.up5.convA": "mbm-8"}))
    assert cli_main([*base, "--assignment", str(tmp_path / "bad.json"), "--out", str(out)]) == 2
