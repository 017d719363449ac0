"""The second simulator: which runs `make sim` makes under which simulator, and that a
missing Icarus Verilog makes its runs SKIPPED with the reason, never passed (a PATH without
iverilog, end to end through ``pymodel sim regress`` and its summary.json)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pymodel.cli import main
from pymodel.hw import cores
from pymodel.hw.sim import regressions, runner
from pymodel.hw.sim.record import SUMMARY_FILE, Summary
from pymodel.hw.sim.runner import ICARUS, VERILATOR

SMOKE = dict(toplevel="mbm_mul", sources=cores.sources("mbm_mul"), parameters={"N": 4},
             test_module="pymodel.hw.tb.smoke.test_smoke")


@pytest.fixture
def no_icarus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """PATH as it is, but every folder holding iverilog or vvp replaced by a copy (of links)
    without them, so everything else (make, the C++ compiler) is still found."""
    folders = []
    for i, folder in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        entries = sorted(Path(folder).iterdir()) if Path(folder).is_dir() else []
        if not any(e.name in ("iverilog", "vvp") for e in entries):
            folders.append(folder)
            continue
        mirror = tmp_path / f"bin{i}"
        mirror.mkdir()
        for entry in entries:
            if entry.name not in ("iverilog", "vvp"):
                (mirror / entry.name).symlink_to(entry)
        folders.append(str(mirror))
    monkeypatch.setenv("PATH", os.pathsep.join(folders))
    assert shutil.which("iverilog") is None and shutil.which("make") is not None
    reason = runner.missing(ICARUS)
    assert reason.startswith("iverilog and vvp not found on PATH: install Icarus Verilog 11+")
    return reason


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The runs' folders and summary.json under tmp_path (not the checkout's, which the report reads)."""
    monkeypatch.setattr(runner, "RESULTS_ROOT", tmp_path / "results")
    return tmp_path / "results"


def test_make_sim_plans_verilator_then_the_icarus_subset():
    default = regressions.plan()
    assert [r for r, s in default if s == VERILATOR] == regressions.select()
    icarus = [r.name for r, s in default if s == ICARUS]
    assert icarus == [r.name for r in regressions.select() if r.icarus]
    assert {"mul-n8-exhaustive", "signed-n8-exhaustive", "axis-n8-l2-random", "mac-n8-l4-a32"} <= set(icarus)
    # every DUT with a bench, and a run that must fail, so the Icarus flow is shown able to fail
    assert {r.dut for r, s in default if s == ICARUS} == set(regressions.cocotb_duts())
    assert any(r.expect_fail for r, s in default if s == ICARUS)
    only = regressions.plan(full=True, simulator=ICARUS)
    assert [r for r, _ in only] == regressions.select(full=True) and {s for _, s in only} == {ICARUS}
    with pytest.raises(runner.MBMError, match="simulator 'xcelium' is not allowed"):
        regressions.plan(simulator="xcelium")


def test_the_registry_refuses_a_dut_without_a_quick_icarus_run(monkeypatch):
    runs = tuple(replace(r, icarus=False) if r.dut == "mbm_mul_axis" else r for r in regressions.REGRESSIONS)
    monkeypatch.setattr(regressions, "REGRESSIONS", runs)
    with pytest.raises(ValueError, match=r"DUTs without a quick icarus run \['mbm_mul_axis'\]"):
        regressions._check_registry()


def test_a_run_without_iverilog_raises_instead_of_passing(no_icarus, results):
    with pytest.raises(runner.SimulatorMissing, match="iverilog and vvp not found on PATH"):
        runner.run(**SMOKE, name="smoke-no-icarus", simulator=ICARUS)
    assert not (results / ICARUS / "smoke-no-icarus").exists()


def test_sim_icarus_without_iverilog_skips_every_run_and_fails(no_icarus, results, capsys):
    """SIM=icarus make sim on a machine without Icarus: every run SKIPPED with the reason, in
    the progress lines, the table and summary.json; nothing passed, so exit status 1."""
    assert main(["sim", "regress", "--sim", "icarus", "-k", "n8-exhaustive"]) == 1
    out = capsys.readouterr().out
    assert f"SKIPPED mul-n8-exhaustive (icarus): {no_icarus}" in out
    assert "no run ran; 2 SKIPPED under icarus: iverilog and vvp not found" in out.replace("\n", " ")
    assert "passed" not in out
    summary = Summary.read(results / SUMMARY_FILE)
    assert [(r.name, r.simulator, r.skipped, r.ok) for r in summary.runs] == [
        ("mul-n8-exhaustive", ICARUS, True, False),
        ("signed-n8-exhaustive", ICARUS, True, False),
    ]
    assert all(r.why == no_icarus and not r.records for r in summary.runs)


@pytest.mark.rtl
def test_make_sim_without_iverilog_passes_verilator_and_says_icarus_was_skipped(no_icarus, results, capsys,
                                                                                monkeypatch):
    """The default mix: the Verilator run passes, its Icarus twin is SKIPPED (not passed); the
    last line counts them apart and exit status stays 0 (Icarus is optional, like chromium).
    (The N=4 exhaustive run, marked icarus here, keeps it short.)"""
    monkeypatch.setattr(regressions, "REGRESSIONS", tuple(
        replace(r, icarus=True) if r.name == "mul-n4-exhaustive" else r for r in regressions.REGRESSIONS))
    assert main(["sim", "regress", "-k", "mul-n4-exhaustive", "-j", "1"]) == 0
    out = capsys.readouterr().out.replace("\n", " ")
    assert "1 of 2 runs passed" in out and "1 SKIPPED under icarus: iverilog and vvp not found" in out
    assert "all 2 runs passed" not in out
    data = json.loads((results / SUMMARY_FILE).read_text())
    assert [(r["simulator"], r["ok"], r["skipped"]) for r in data["runs"]] == [
        (VERILATOR, True, False), (ICARUS, False, True)]
    assert data["runs"][0]["records"][0]["transactions"] == 256


@pytest.mark.rtl
@pytest.mark.icarus
def test_icarus_stops_an_illegal_parameter_at_its_stop_instance(results):
    """Icarus 11 never sees the $error (it cannot parse one); the missing module still stops it."""
    with pytest.raises(RuntimeError, match=r"(?s)Icarus build of mbm_mul \{'N': 3\} failed:.*ERROR_mbm_mul_N_out_of_range"):
        runner.run(**{**SMOKE, "parameters": {"N": 3}}, name="smoke-illegal", simulator=ICARUS)


@pytest.mark.rtl
@pytest.mark.icarus
def test_icarus_simulates_the_sources_it_is_given_a_broken_copy_fails(tmp_path, results):
    """A register that loads while the output is stalled, under Icarus: the bench's stability
    check must catch it there too (the same mutant the Verilator mutation tests keep)."""
    dut = regressions.DUTS["mbm_mul_axis"]
    source = (runner.RTL_DIR / "mbm_mul_axis.v").read_text()
    assert source.count("end else if (ready[i]) begin") == 1
    (tmp_path / "mbm_mul_axis.v").write_text(source.replace("end else if (ready[i]) begin", "end else begin"))
    result = runner.run(dut.toplevel, [*dut.sources[:-1], tmp_path / "mbm_mul_axis.v"], {"N": 8, "SIGNED": 0, "LATENCY": 2},
                        dut.test_module, name="mutant-loads-while-stalled", testcase="AxisRandomTest", samples=3000,
                        variant="mutant-loads-while-stalled", simulator=ICARUS)
    assert not result.passed
    assert "changed while stalled" in result.log_tail(100_000), result.summary()


def test_an_icarus_older_than_11_counts_as_missing(tmp_path, monkeypatch):
    """cocotb 2.1 supports Icarus 11+: a 10.3 first on PATH is a reason, not a run."""
    for tool, text in (("iverilog", "Icarus Verilog version 10.3 (stable) ()"), ("vvp", "")):
        (tmp_path / tool).write_text(f"#!/bin/sh\necho '{text}'\n")
        (tmp_path / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert runner.missing(ICARUS) == "Icarus Verilog version 10.3 (stable) () found: cocotb 2.1 needs Icarus Verilog 11 or newer"
    assert runner.missing(VERILATOR) == ""
