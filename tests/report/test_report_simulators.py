"""The report over a runner summary with runs under both simulators: a simulator column, an
Icarus failure fails the sign-off naming the simulator, and an Icarus run SKIPPED (iverilog
not installed) leaves the RTL check INCOMPLETE, never PASS, while the testplan rests on the
runs that did run."""

from __future__ import annotations

from pathlib import Path

import pytest

from pymodel.core.paths import REPO_ROOT
from pymodel.report import testplan
from pymodel.report.accuracy import sweep_tables
from pymodel.report.collect import collect
from pymodel.report.config import load_config
from pymodel.report.render import build_report, write_report
from pymodel.report.verdict import FAIL, INCOMPLETE, PASS, judge
from tests.report import report_fixtures as fx

CFG = load_config(REPO_ROOT / "signoff.toml")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """Complete good results, the RTL read from the runner's summary (no reports/rtl/)."""
    out, repo = tmp_path / "reports", tmp_path / "repo"
    fx.write_all(out, repo)
    for path in (out / "rtl").glob("*.json"):
        path.unlink()
    return out, repo


def _rtl_check(out: Path, repo: Path):
    sources = collect(out, repo)
    return sources, judge(sources, sweep_tables(sources["accuracy"].data), CFG)


def test_both_simulators_passing_pass_and_the_tables_name_the_simulator(dirs):
    out, repo = dirs
    fx.write_sim_summary(repo, icarus="pass")
    sources, verdict = _rtl_check(out, repo)
    assert verdict.status == PASS, verdict
    assert "3/3 tests passed" in verdict.checks[0].summary
    assert sorted(r["simulator"] for r in sources["rtl"].data) == ["icarus", "verilator", "verilator"]
    write_report(build_report(CFG, out, repo), out)
    md = (out / "signoff.md").read_text()
    assert "| test | simulator | DUT |" in md
    assert "| `mul-n8-exhaustive / MulExhaustiveTest` | icarus | mbm_mul |" in md
    assert "<th>simulator</th>" in (out / "signoff.html").read_text()


def test_a_mismatch_under_icarus_alone_fails_naming_icarus(dirs):
    out, repo = dirs
    fx.write_sim_summary(repo, icarus="fail")
    _, verdict = _rtl_check(out, repo)
    assert verdict.status == FAIL and verdict.checks[0].status == FAIL
    assert any("mul-n8-exhaustive / MulExhaustiveTest (mbm_mul N=8, icarus): FAIL" in r for r in verdict.checks[0].reasons)


def test_an_icarus_run_skipped_is_incomplete_not_pass(dirs):
    out, repo = dirs
    fx.write_sim_summary(repo, icarus="skipped")
    sources, verdict = _rtl_check(out, repo)
    check = verdict.checks[0]
    assert verdict.status == INCOMPLETE and check.status == INCOMPLETE, verdict
    assert check.summary == "2/3 tests passed, 1 SKIPPED"
    assert check.reasons == [f"mul-n8-exhaustive (mbm_mul N=8, icarus): SKIPPED: {fx.ICARUS_MISSING}"]
    (row,) = [r for r in sources["rtl"].data if r["simulator"] == "icarus"]
    assert row["result"] == "SKIPPED" and row["message"] == fx.ICARUS_MISSING
    write_report(build_report(CFG, out, repo), out)
    assert "| icarus | mbm_mul | N=8 | — | — | — | — | **SKIPPED** |" in (out / "signoff.md").read_text()


def test_a_skipped_run_neither_proves_nor_fails_a_testplan_item():
    rows = [{"run": "mul-n8-exhaustive", "result": "PASS", "coverage_points": []},
            {"run": "mul-n8-exhaustive", "result": "SKIPPED", "coverage_points": []}]
    feature = testplan.Feature("exhaustive", "every pair", runs=("mul-n8-exhaustive",))
    plan = testplan.Testplan("mbm_mul", Path("testplan.toml"), (feature,))
    (evaluated,) = testplan.evaluate([plan], rows)[0]["features"]
    assert evaluated["status"] == PASS and evaluated["runs"] == [{"name": "mul-n8-exhaustive", "result": PASS}]
    (evaluated,) = testplan.evaluate([plan], rows[1:])[0]["features"]
    assert evaluated["status"] == testplan.NOT_RUN
