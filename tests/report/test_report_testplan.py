"""The testplans (tb/<dut>/testplan.toml) against the regression registry, and their section
and verdict check in the sign-off report, over fabricated result sets written into tmp_path."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.report import testplan
from pymodel.report.accuracy import sweep_tables
from pymodel.hw.sim.record import RunRecord, Summary, TestRecord
from pymodel.report.collect import SIM_SUMMARY, collect, rtl_from_summary
from pymodel.report.config import load_config
from pymodel.report.render import build_report, write_report
from pymodel.report.verdict import FAIL, INCOMPLETE, PASS, judge
from pymodel.hw.sim import regressions
from tests.report import report_fixtures as fx

CFG = load_config(REPO_ROOT / "signoff.toml")
PLANS = testplan.load_testplans(REPO_ROOT)


def test_every_dut_has_a_testplan_of_existing_runs_covering_every_quick_run():
    assert [p.dut for p in PLANS] == list(regressions.DUTS)
    referenced = {run for p in PLANS for f in p.features for run in f.runs}
    assert referenced <= {r.name for r in regressions.REGRESSIONS}
    unreferenced = {r.name for r in regressions.select()} - referenced
    assert not unreferenced, f"runs of `make sim` no testplan entry names: {sorted(unreferenced)}"


def test_cover_points_are_those_the_real_runs_record():
    summary = REPO_ROOT / SIM_SUMMARY
    if not summary.is_file():
        pytest.skip(f"no {SIM_SUMMARY}: run `make sim`")
    records = rtl_from_summary(Summary.read(summary))
    testplan.load_testplans(REPO_ROOT, testplan.recorded_by_run(records))  # raises on an unrecorded point


def _plan(root: Path, body: str) -> Path:
    path = testplan.plan_path(root, "mbm_mul")
    path.parent.mkdir(parents=True)
    path.write_text(body)
    (root / "tests").mkdir()
    (root / "tests" / "test_x.py").write_text("def test_lint():\n    pass\n")
    return path


def _entry(**keys: object) -> str:
    keys = {"name": "carry", "description": "carry and no-carry paths", **keys}
    return "[[feature]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())


@pytest.mark.parametrize(
    "body, recorded, named",
    [
        (_entry(runs=["mul-n8-exhaustiv"]), None, "unknown run 'mul-n8-exhaustiv'"),
        (_entry(runs=["signed-n8-exhaustive"]), None, "unknown run 'signed-n8-exhaustive'"),
        (
            _entry(runs=["mul-n8-exhaustive"], cover=["operands.cary"]),
            {"mul-n8-exhaustive": {"operands.carry"}},
            "unknown cover point 'operands.cary' in run 'mul-n8-exhaustive'",
        ),
        (
            _entry(pytest="tests/test_x.py::test_nothing"),
            None,
            "pytest='tests/test_x.py::test_nothing' does not exist",
        ),
        (_entry(runs=["mul-n8-exhaustive"], pytest="tests/test_x.py::test_lint"), None, "exactly one"),
        (_entry(runs=["mul-n8-exhaustive"], owner="me"), None, "unknown key 'owner'"),
        (_entry(runs=["mul-n8-exhaustive"]) * 2, None, "feature 'carry' appears twice"),
    ],
    ids=["typo", "other-dut", "cover-point", "pytest", "both", "key", "duplicate"],
)
def test_a_bad_testplan_is_one_line_naming_file_entry_and_value(tmp_path, body, recorded, named):
    path = _plan(tmp_path, body)
    with pytest.raises(MBMError) as err:
        testplan.load_testplans(tmp_path, recorded)
    message = str(err.value)
    assert named in message and str(path) in message and "\n" not in message


# ---- the report over a fabricated result set ----


def _write_summary(repo: Path, failed_run: str = "", low_point: tuple[str, str] = ("", "")) -> None:
    """Every `make sim` run passing with each cover point its testplans list fully hit, except
    ``failed_run`` (its record FAILs) and ``low_point`` = (run, point) (half its bins hit)."""
    points: dict[str, set[str]] = {}
    for f in (f for p in PLANS for f in p.features):
        for run in f.runs:
            points.setdefault(run, set()).update(f.cover)
    runs = []
    for reg in regressions.select():
        groups: dict[str, dict] = {}
        for point in sorted(points.get(reg.name, ())):
            group, item = point.split(".")
            hit = 1 if (reg.name, point) == low_point else 2
            items = groups.setdefault(f"{reg.testcase}.{group}", {"items": {}})["items"]
            items[item] = {"hit": hit, "bins": 2}
        ok = reg.name != failed_run
        record = TestRecord(
            test=reg.testcase,
            run=reg.name,
            dut=reg.dut,
            parameters=dict(reg.parameters),
            seed=1,
            transactions=10,
            mismatches=0 if ok != reg.expect_fail else 3,
            result="PASS" if ok != reg.expect_fail else "FAIL",
            seconds=1.0,
            tps=10.0,
            coverage_pct=100.0,
            coverage=groups,
            failures=[] if ok else ["a=3 b=5: rtl 15 model 14"],
        )
        runs.append(RunRecord(reg.name, reg.dut, dict(reg.parameters), reg.expect_fail, ok, "", 1.0, 0.0, 1, [record],
                              simulator="verilator"))
    Summary(1.0, runs).write(repo / SIM_SUMMARY)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    """A reports directory and a checkout holding this repo's testplans (and the pytest files
    they name), with complete, passing cosim/accuracy/bench/vector results and no RTL yet."""
    out, repo = tmp_path / "reports", tmp_path / "repo"
    for plan in PLANS:
        target = repo / plan.path.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True)
        shutil.copy(plan.path, target)
        for f in plan.features:
            if f.pytest:
                source = f.pytest.split("::")[0]
                (repo / source).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO_ROOT / source, repo / source)
    fx.write_cosim(out)
    fx.write_sweep(out)
    fx.write_bench(out)
    fx.write_fpga(out)
    fx.write_vectors(repo)
    return out, repo


def verdict_of(out: Path, repo: Path, cfg=CFG):
    sources = collect(out, repo)
    plans = testplan.evaluate(testplan.load_testplans(repo), sources["rtl"].data)
    return judge(sources, sweep_tables(sources["accuracy"].data), cfg, plans), plans


def _status(plans: list[dict], dut: str, feature: str) -> dict:
    return next(f for p in plans if p["dut"] == dut for f in p["features"] if f["name"] == feature)


def test_every_item_proven_passes(dirs):
    _write_summary(dirs[1])
    verdict, plans = verdict_of(*dirs)
    assert verdict.status == PASS, verdict
    check = verdict.checks[-1]
    assert check.name == "every testplan item proven" and check.status == PASS
    assert _status(plans, "mbm_mul", "FRAC_OUT")["status"] == PASS
    assert _status(plans, "mbm_mul", "lint clean")["status"] == testplan.PYTEST


@pytest.mark.parametrize(
    "spoil, feature, reason",
    [
        (
            {"failed_run": "mul-n8-mitchell-exhaustive"},
            "Mitchell mode",
            "run mul-n8-mitchell-exhaustive failed",
        ),
        (
            {"low_point": ("mul-n12-random", "operands.carry")},
            "carry and no-carry paths",
            "cover point operands.carry 50.0 % in run mul-n12-random",
        ),
        (
            {"failed_run": "fails-mitchell-rtl-vs-mbm-model"},
            "the bench fails a wrong model",
            "run fails-mitchell-rtl-vs-mbm-model failed",
        ),
    ],
    ids=["run-failed", "cover-point-low", "bench-did-not-fail"],
)
def test_an_unproven_item_fails_the_verdict_with_the_reason(dirs, spoil, feature, reason):
    _write_summary(dirs[1], **spoil)
    verdict, plans = verdict_of(*dirs)
    item = _status(plans, "mbm_mul", feature)
    assert item["status"] == FAIL and reason in item["reasons"]
    check = verdict.checks[-1]
    assert verdict.status == FAIL and check.status == FAIL
    assert f"mbm_mul / {feature}: {reason}" in check.reasons


def test_missing_rtl_results_make_the_check_incomplete(dirs):
    verdict, plans = verdict_of(*dirs)
    assert verdict.checks[-1].status == INCOMPLETE and "make sim" in verdict.checks[-1].summary
    assert _status(plans, "mbm_mul_axis", "tlast")["status"] == testplan.NOT_RUN


def test_require_all_false_drops_the_check(dirs, tmp_path):
    _write_summary(dirs[1], failed_run="mul-n8-frac-exhaustive")
    toml = tmp_path / "signoff.toml"
    text = (REPO_ROOT / "signoff.toml").read_text()
    toml.write_text(text.replace("require_all = true", "require_all = false"))
    verdict, _ = verdict_of(*dirs, cfg=load_config(toml))
    assert "every testplan item proven" not in [c.name for c in verdict.checks]


def test_the_section_renders_in_html_markdown_and_json(dirs):
    out, repo = dirs
    _write_summary(repo, low_point=("mac-n8-l4-a32", "reset.reset"))
    write_report(build_report(CFG, out, repo), out)
    html, md = (out / "signoff.html").read_text(), (out / "signoff.md").read_text()
    doc = json.loads((out / "signoff.json").read_text())
    assert html.index('id="rtl"') < html.index('id="testplan"') < html.index('id="cosim"')
    assert md.index("## (c) RTL regression") < md.index("## Testplan") < md.index("## (d)")
    for text in (html, md):
        assert "saturation + sticky overflow" in text and "pytest: tests/hw/test_rtl_lint.py" in text
        assert "cover point reset.reset 50.0 % in run mac-n8-l4-a32" in text
    reset = _status(doc["testplan"]["duts"], "mbm_mac_array", "reset mid dot product")
    assert reset["status"] == FAIL and reset["cover"] == [{"point": "reset.reset", "pct": 50.0}]
    assert doc["verdict"]["status"] == FAIL
