"""A whole exploration on the bundled synthetic network: the table with its error attribution,
the search, the files, the same result on Ray, and the one-line errors of the command."""

from __future__ import annotations

import json
import shutil
import time

import numpy as np
import pytest

from pymodel.cli import main
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.core.spec import parse_specs, spec_string
from pymodel.explore.budget import excess, parse_budget, worst_deviation
from pymodel.explore.outputs import write_outputs
from pymodel.explore.run import ExploreSettings, explore
from pymodel.hw.multiplier import resolve
from pymodel.nn.metrics import METRICS, deviation_pct
from pymodel.report.config import load_config

VERILOG = REPO_ROOT / "tests" / "data" / "verilog"
LAYERS = "decoder.up5.*"
MULTS = "mbm:8,mitchell:8,exact:8"


@pytest.fixture(scope="module")
def synth_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("synth")


def settings(tmp_path, synth_cache, **kw):
    base = dict(candidates=parse_specs(MULTS), budget=parse_budget("a1=-1,rel=+2"), layers=LAYERS, images=1,
                calib_images=1, cost_model="cells", out=tmp_path / "out", synth_cache=synth_cache)
    return ExploreSettings(**{**base, **kw})


@pytest.fixture(scope="module")
def exhaustive(tmp_path_factory, synth_cache):
    tmp = tmp_path_factory.mktemp("explore")
    doc = explore(settings(tmp, synth_cache), progress=lambda _: None)
    return doc, tmp / "out"


def test_table_splits_quantization_from_multiplier_error(exhaustive):
    doc, _ = exhaustive
    layers = [entry["name"] for entry in doc["layers"]]
    assert layers == ["decoder.up5.convA", "decoder.up5.convB"] and all(e["macs"] > 0 for e in doc["layers"])
    for layer in layers:
        exact, mbm = doc["table"][layer]["exact:8"], doc["table"][layer]["mbm:8"]
        assert exact["multiplier_pct"] == {m: 0.0 for m in METRICS}   # the exact multiplier adds none
        assert mbm["quantization_pct"] == exact["deviation_pct"]       # same width, same scales
        for m in METRICS:
            assert mbm["deviation_pct"][m] == pytest.approx(mbm["quantization_pct"][m] + mbm["multiplier_pct"][m])
        assert exact["cost"] > mbm["cost"] > doc["table"][layer]["mitchell:8"]["cost"]


def test_exhaustive_choice_is_the_cheapest_within_budget(exhaustive):
    """Recomputed from the journal: every combined assignment evaluated, its cost and deviation."""
    doc, out = exhaustive
    assert doc["search"]["method"] == "exhaustive" and doc["search"]["evaluated"] == 9
    budget = parse_budget("a1=-1,rel=+2")
    cost = {layer: {spec: e["cost"] for spec, e in row.items()} for layer, row in doc["table"].items()}
    combos = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()[1:]]
    combos = [c for c in combos if c["key"].startswith("combo-")]
    assert len(combos) == 9
    fits = [sum(cost[layer][spec] for layer, spec in c["assignment"].items()) for c in combos
            if excess(deviation_pct(c["result"]["metrics"], doc["exact_metrics"]), budget) == 0]
    assert doc["cost"] == min(fits)
    assert doc["deviation_pct"]["a1"] >= -1 and doc["deviation_pct"]["rel"] <= 2
    assert doc["saved_pct"] == pytest.approx(100 * (1 - doc["cost"] / doc["baseline_cost"]))
    costs = [p["cost"] for p in doc["pareto"]]
    assert costs == sorted(costs) and doc["pareto"][-1]["cost"] <= doc["baseline_cost"]


def test_greedy_verifies_its_combined_assignment(tmp_path, synth_cache, exhaustive):
    doc = explore(settings(tmp_path, synth_cache, exhaustive_limit=0), progress=lambda _: None)
    assert doc["search"]["method"] == "greedy" and doc["search"]["steps"][-1].startswith("verified")
    assert doc["deviation_pct"]["a1"] >= -1 and doc["deviation_pct"]["rel"] <= 2
    assert doc["table"] == exhaustive[0]["table"]  # same rows, same numbers
    assert doc["cost"] >= exhaustive[0]["cost"]


def test_outputs(exhaustive):
    doc, out = exhaustive
    paths = write_outputs(doc, out, (REPO_ROOT / "signoff.toml").read_text())
    assert [p.name for p in paths] == ["pareto.png", "heatmap.png", "signoff.toml"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths[:2])
    toml = paths[2].read_text()
    assert all(f'"{layer}" = "{spec}"' in toml for layer, spec in doc["assignment"].items())
    cfg = load_config(paths[2])  # the report reads what explore wrote
    assert {layer: spec_string(m) for layer, m in cfg.assignment.items()} == doc["assignment"]
    assert cfg.budget == parse_budget("a1=-1,rel=+2") and not cfg.check_layer_rows
    assert json.loads((out / "explore.json").read_text())["assignment"] == doc["assignment"]


def test_a_budget_no_layer_can_meet_names_the_layers(tmp_path, synth_cache):
    with pytest.raises(MBMError, match="failing it even alone with every candidate: decoder.up5.convA, decoder.up5.convB "):
        explore(settings(tmp_path, synth_cache, budget=parse_budget("rms=0.00001,log10=0.00001")), progress=lambda _: None)


def test_an_imported_candidate_is_taken_where_cheaper_and_within_budget(tmp_path, synth_cache):
    """exact:8 against verilog:drum_mul.v on one layer: DRUM-4 is the cheaper module, so a budget
    its deviation fits picks it; a budget between the two deviations keeps exact (the same
    rows, resumed: only the budget changed)."""
    drum = f"verilog:{VERILOG / 'drum_mul.v'}"
    run = dict(candidates=[*parse_specs("exact:8"), resolve(drum)], layers="decoder.up5.convB")
    loose = explore(settings(tmp_path, synth_cache, budget=parse_budget("rms=50,a1=50"), **run), progress=lambda _: None)
    row = loose["table"]["decoder.up5.convB"]
    assert row[drum]["cost"] < row["exact:8"]["cost"] and row[drum]["within_budget"]
    assert loose["assignment"] == {"decoder.up5.convB": drum} and loose["saved_pct"] > 0
    worst = {k: worst_deviation(row[k]["deviation_pct"], ["rms", "a1"]) for k in ("exact:8", drum)}
    assert worst["exact:8"] < worst[drum]
    between = (worst["exact:8"] + worst[drum]) / 2
    tight = explore(settings(tmp_path, synth_cache, budget=parse_budget(f"rms={between},a1={between}"), resume=True,
                             **run), progress=lambda _: None)
    assert tight["assignment"] == {"decoder.up5.convB": "exact:8"}
    assert not tight["table"]["decoder.up5.convB"][drum]["within_budget"]


@pytest.mark.parametrize(("spec", "message"), [
    ("lut:{table}", "a lut: table has no RTL to cost"),
    (f"verilog:{VERILOG / 'trunc_mul_s.v'}:signed", "a two's-complement module's operands have another range"),
])
def test_explore_refuses_resolved_tables_and_twos_complement_modules(tmp_path, synth_cache, spec, message):
    """The Python API checks the resolved multipliers as the command checks the specs."""
    np.save(tmp_path / "t.npy", np.outer(np.arange(256), np.arange(256)))
    candidates = [*parse_specs("exact:8"), resolve(spec.format(table=tmp_path / "t.npy"))]
    with pytest.raises(MBMError, match=message):
        explore(settings(tmp_path, synth_cache, candidates=candidates), progress=lambda _: None)


@pytest.mark.rtl
def test_resume_refuses_an_imported_module_whose_file_changed(tmp_path, synth_cache):
    mine = tmp_path / "drum_mul.v"
    shutil.copy(VERILOG / "drum_mul.v", mine)
    run = dict(layers="decoder.up5.convB", budget=parse_budget("rms=50"))
    explore(settings(tmp_path, synth_cache, candidates=[*parse_specs("exact:8"), resolve(f"verilog:{mine}")], **run),
            progress=lambda _: None)
    with mine.open("a") as fh:
        fh.write("// edited\n")
    with pytest.raises(MBMError, match="other settings"):
        explore(settings(tmp_path, synth_cache, candidates=[*parse_specs("exact:8"), resolve(f"verilog:{mine}")],
                         resume=True, **run), progress=lambda _: None)


@pytest.mark.xdist_group("ray")
def test_the_same_exploration_on_a_two_node_ray_cluster(tmp_path, synth_cache, exhaustive, ray_cluster):
    doc = explore(settings(tmp_path, synth_cache, ray=True, ray_address=ray_cluster), progress=lambda _: None)
    for key in ("table", "assignment", "deviation_pct", "cost", "pareto", "exact_metrics"):
        assert doc[key] == exhaustive[0][key], key


@pytest.mark.parametrize(("args", "message"), [
    (["--mults", "mbm:8,mbm-8"], "does not parse: allowed MULT:BITS"),
    (["--mults", "mbm:8,booth:8"], "unknown multiplier 'booth': allowed mbm, mitchell, exact"),
    (["--mults", "mbm:20"], "bits=20 is out of range"),
    (["--mults", "mbm:8,mbm:8"], "listed twice"),
    (["--budget", "a1=-1,foo=2"], "does not parse at 'foo=2'"),
    (["--ray-address", "127.0.0.1:1"], "--ray-address needs --ray"),
    (["--ray", "--ray-address", "127.0.0.1:1"], "no Ray head answers"),
    (["--images", "0"], "allowed 1 or more"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys, tmp_path):
    start = time.perf_counter()
    assert main(["explore", "--layers", LAYERS, "--out", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert time.perf_counter() - start < 60  # a bound on hanging, not a speed check


def test_resume_with_other_settings_is_refused(tmp_path, synth_cache, capsys):
    explore(settings(tmp_path, synth_cache, images=1, layers="decoder.up5.convB"), progress=lambda _: None)
    with pytest.raises(MBMError, match="other settings"):
        explore(settings(tmp_path, synth_cache, images=2, layers="decoder.up5.convB", resume=True),
                progress=lambda _: None)
