"""The cost model: MACs per layer from a forward pass, per-MAC cost from synthesis or from
the ECP5 place and route of the array."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.core.spec import parse_spec
from pymodel.explore import cost
from pymodel.hw.multiplier import resolve

DRUM = f"verilog:{REPO_ROOT / 'tests' / 'data' / 'verilog' / 'drum_mul.v'}"


def test_layer_macs_are_outputs_times_the_dot_length():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(4, 2, 1, groups=2))
    assert cost.layer_macs(model, ["0", "1"], (5, 6)) == {"0": 4 * 5 * 6 * 3 * 9, "1": 2 * 5 * 6 * 2}


def test_ecp5_model_reads_the_array_sweep(tmp_path, monkeypatch):
    points = [{"point": f"{m}-l16", "mult": m, "bits": 8, "lanes": 16, "skid": 0, "pipe": 0, "device": "LFE5U-85F",
               "fmax_mhz": 50.0, "per_lane": {"lut4": lut, "dsp": dsp}}
              for m, lut, dsp in (("mbm", 347.5, 0.0), ("exact", 60.0, 1.0))]
    path = tmp_path / "array.json"
    path.write_text(json.dumps({"points": points}))
    monkeypatch.setattr(cost, "ARRAY_SWEEP", path)
    got = cost.per_mac([parse_spec("mbm:8"), parse_spec("exact:8")], "ecp5", tmp_path)
    assert got["mbm:8"]["per_mac"] == 347.5 and got["exact:8"]["dsp_per_mac"] == 1.0
    with pytest.raises(MBMError, match="no ECP5 place-and-route figures for mitchell:8"):
        cost.per_mac([parse_spec("mitchell:8")], "ecp5", tmp_path)
    monkeypatch.setattr(cost, "ARRAY_SWEEP", tmp_path / "missing.json")
    with pytest.raises(MBMError, match="run `make fpga-array`"):
        cost.per_mac([parse_spec("mbm:8")], "ecp5", tmp_path)
    with pytest.raises(MBMError, match="allowed luts, cells, ecp5"):
        cost.per_mac([parse_spec("mbm:8")], "gates", tmp_path)


def test_ecp5_model_finds_an_imported_module_by_its_table(tmp_path, monkeypatch):
    """An imported candidate's array point is the one recording its table's sha256 (a point of
    another module, or a built-in point of the same width, is not it); absent, the one line
    names the make fpga-array run that measures it."""
    drum = resolve(DRUM)
    point = {"point": "drum-l16", "mult": "verilog", "bits": 8, "lanes": 16, "skid": 0, "pipe": 0,
             "device": "LFE5U-85F", "fmax_mhz": 40.0, "per_lane": {"lut4": 210.0, "dsp": 0.0}, "spec": DRUM}
    other = {**point, "point": "other-l16", "table_sha256": "0" * 64, "per_lane": {"lut4": 1.0, "dsp": 0.0}}
    path = tmp_path / "array.json"
    monkeypatch.setattr(cost, "ARRAY_SWEEP", path)
    path.write_text(json.dumps({"points": [other, {**point, "table_sha256": drum.table.sha256}]}))
    got = cost.per_mac([drum], "ecp5", tmp_path)[DRUM]
    assert (got["per_mac"], got["point"], got["table_sha256"]) == (210.0, "drum-l16", drum.table.sha256)
    path.write_text(json.dumps({"points": [other]}))
    with pytest.raises(MBMError, match=f'run `make fpga-array FPGA_ARRAY_ARGS="--mult {DRUM} --lanes 16"`'):
        cost.per_mac([drum], "ecp5", tmp_path)


@pytest.mark.parametrize("model", ["cells", "ecp5"])
def test_a_lut_table_has_no_cost(tmp_path, monkeypatch, model):
    np.save(tmp_path / "t.npy", np.outer(np.arange(16), np.arange(16)))
    (tmp_path / "array.json").write_text(json.dumps({"points": []}))
    monkeypatch.setattr(cost, "ARRAY_SWEEP", tmp_path / "array.json")
    with pytest.raises(MBMError, match="is a product table: it has no RTL"):
        cost.per_mac([resolve(f"lut:{tmp_path / 't.npy'}")], model, tmp_path)
