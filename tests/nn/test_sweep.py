"""The per-layer sweep on the bundled synthetic default: files, tables, resume, Ctrl-C."""

from __future__ import annotations

import csv
import json
import os
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
    out = tmp_path / "interrupted"
    cmd = [sys.executable, "-m", "pymodel", *FAST, "--layers", "decoder.*", "--out", str(out)]
    # 16 rows; the signal lands right after the first one is written.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd())
    deadline = time.time() + 120
    while not (out / "sweep.json").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    doc = json.loads((out / "sweep.json").read_text())
    assert proc.returncode == 130 and "finished results were kept" in err
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
