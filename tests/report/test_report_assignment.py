"""Signing off a per-layer assignment (the signoff.toml that `pymodel explore` writes): every
multiplier it uses must have passed the RTL regression and co-simulation, and the mixed
network's sweep must be the assignment's and meet the exploration's signed budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymodel.core.errors import MBMError
from pymodel.report.accuracy import sweep_tables
from pymodel.report.collect import collect
from pymodel.report.config import load_config
from pymodel.report.verdict import FAIL, PASS, judge
from tests.report import report_fixtures as fx

MIXED = {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: "mbm:8"}


def config(tmp_path: Path, assignment: dict[str, str] = MIXED, budget: str = "a1=-1,rel=+2"):
    lines = ['[accuracy]', f'budget = "{budget}"', "check_layer_rows = false", "", "[assignment]"]
    lines += [f'"{layer}" = "{spec}"' for layer, spec in assignment.items()]
    path = tmp_path / "signoff.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_config(path)


def results(tmp_path: Path, assignment: dict[str, str] | None = MIXED, **sweep) -> tuple[Path, Path]:
    out, repo = tmp_path / "reports", tmp_path / "repo"
    fx.write_all(out, repo)
    fx.write_sweep(out, **sweep)
    path = out / "accuracy" / "sweep.json"
    doc = json.loads(path.read_text())
    if assignment is not None:
        doc["settings"]["multiplier"] = {"assignment": assignment, "label": "per-layer assignment: mbm:8"}
    path.write_text(json.dumps(doc))
    return out, repo


def verdict(out: Path, repo: Path, cfg):
    sources = collect(out, repo)
    return {c.name: c for c in judge(sources, sweep_tables(sources["accuracy"].data), cfg).checks}


def test_the_mixed_network_within_budget_passes_though_a_layer_alone_misses_it(tmp_path):
    # LAYERS[1] alone: -1.6 % on every metric (over a1 >= -1 %); the mixed row: -0.5 %
    checks = verdict(*results(tmp_path, worst_deviation=-1.6, all_deviation=-0.5), config(tmp_path))
    assert checks["accuracy deviation within limits"].status == PASS
    assert checks["RTL tests pass"].status == PASS and checks["co-simulation bit-exact"].status == PASS


def test_the_signed_budget_is_applied(tmp_path):
    # rel +2 % would pass |dev| <= 2; -1.5 % of a1 misses a1 >= -1 %
    checks = verdict(*results(tmp_path, all_deviation=-1.5), config(tmp_path))
    reasons = checks["accuracy deviation within limits"].reasons
    assert checks["accuracy deviation within limits"].status == FAIL
    assert reasons == ["layer all, a1: deviation -1.500 %, budget >= -1 %"]


def test_a_sweep_of_one_multiplier_does_not_sign_off_an_assignment(tmp_path):
    checks = verdict(*results(tmp_path, assignment=None), config(tmp_path))
    assert "measured one multiplier for every layer" in checks["accuracy deviation within limits"].reasons[0]


def test_every_multiplier_used_needs_its_rtl_run_and_cosim(tmp_path):
    cfg = config(tmp_path, {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: "mitchell:8"})
    checks = verdict(*results(tmp_path, {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: "mitchell:8"}), cfg)
    assert any("mitchell N=8" in r for r in checks["RTL tests pass"].reasons)
    assert any("no co-simulated layer used mitchell N=8" in r for r in checks["co-simulation bit-exact"].reasons)


@pytest.mark.parametrize(("text", "message"), [
    ('[assignment]\n"decoder.conv2" = 8\n', "allowed \"layer\" = \"spec\" strings"),
    ('[assignment]\n"decoder.conv2" = "mbm8"\n', "does not parse"),
    ('[multiplier]\nbits = 8\n\n[assignment]\n"decoder.conv2" = "mbm:8"\n', "allowed one of the two"),
    ('[accuracy]\nbudget = "a1=x"\n', "does not parse"),
])
def test_bad_assignment_configs(tmp_path, text, message):
    path = tmp_path / "signoff.toml"
    path.write_text(text)
    with pytest.raises(MBMError, match=message):
        load_config(path)


def test_an_exact_layer_needs_the_exact_array_run_too(tmp_path):
    """exact:8 has an RTL now (mbm_mac_array EXACT=1): its run and co-simulation are required."""
    cfg = config(tmp_path, {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: "exact:8"})
    checks = verdict(*results(tmp_path, {fx.LAYERS[0]: "mbm:8", fx.LAYERS[1]: "exact:8"}), cfg)
    assert any("exact N=8 t=0 (EXACT=1 N=8)" in r for r in checks["RTL tests pass"].reasons)
    assert any("no co-simulated layer used exact N=8" in r for r in checks["co-simulation bit-exact"].reasons)
