"""`make lint`: every RTL module lint clean with -Wall; illegal parameters refused with a
one-line message naming the allowed range (pymodel/hw/sim/lint.py, cases from pymodel/hw/sim/regressions.py)."""

import pytest

from pymodel.hw.sim import lint
from pymodel.cli import main

pytestmark = pytest.mark.rtl

CASES = lint.cases()


@pytest.mark.parametrize("top,params,expect", CASES, ids=[f"{t}-{p or 'defaults'}-{'clean' if e == 'clean' else 'illegal'}" for t, p, e in CASES])
def test_lint_case(top, params, expect):
    case = lint.lint(top, params, expect)
    assert case.ok, f"{case.label}: expected {expect!r}\n{case.output}"


def test_every_rtl_file_is_linted():
    tops = {top for top, _, _ in CASES}
    assert {f.stem for f in lint.RTL_DIR.glob("*.v")} <= tops


def test_illegal_parameter_message_is_one_line_naming_the_range():
    case = lint.lint("mbm_mul", {"N": 20}, "N=20 is out of range: allowed 4..16")
    assert case.ok
    first = next(line for line in case.output.splitlines() if line.startswith("%"))
    assert first.endswith("mbm_mul: N=20 is out of range: allowed 4..16")


def test_lint_detects_a_warning(tmp_path):
    """A module with an unused input must not pass as clean (the check is not vacuous)."""
    (tmp_path / "bad_mod.v").write_text(
        "module bad_mod (input wire [3:0] a, input wire b, output wire [3:0] y);\n  assign y = a;\nendmodule\n"
    )
    core = (lint.RTL_DIR / "exact_mul.core").read_text().replace("exact_mul", "bad_mod")
    (tmp_path / "bad_mod.core").write_text(core)
    case = lint.lint("bad_mod", dirs=(tmp_path,))
    assert not case.ok and "UNUSEDSIGNAL" in case.output


def test_make_lint_command_passes(capsys):
    assert main(["sim", "lint"]) == 0
    assert "lint checks as expected" in capsys.readouterr().out
