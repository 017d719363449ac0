"""The cost model: MACs per layer from a forward pass, per-MAC cost from synthesis or from
the ECP5 place and route of the array."""

from __future__ import annotations

import json

import pytest
import torch

from pymodel.core.errors import MBMError
from pymodel.core.spec import parse_spec
from pymodel.explore import cost


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
