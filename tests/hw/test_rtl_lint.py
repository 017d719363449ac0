"""`make lint`: every RTL module lint clean with -Wall; illegal parameters refused with a
one-line message naming the instance and the allowed range; the rtl/ conventions (timescale,
_q registers, %m and the stop instance of parameter checks) held and their checker proven
on broken copies (pymodel/hw/sim/lint.py, cases from pymodel/hw/sim/regressions.py)."""

import pytest

from pymodel.hw import cores
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
    # rtl/bringup/'s modules are linted inside mbm_bringup_top, whose core lists them
    linted = {p.resolve() for top in tops for p in cores.sources(top, lint.TARGET)}
    assert {f.resolve() for f in lint.rtl_files()} <= linted


def test_illegal_parameter_message_is_one_line_naming_the_instance_and_the_range():
    """The message is "%m: ..." (simulators that expand %m at elaboration print the instance
    there); Verilator prints %m as it is and names the instance on its next line."""
    case = lint.lint("mbm_mac_array", {"N": 20}, "N=20 is out of range: allowed 4..16")
    assert case.ok
    lines = case.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("%"))
    assert lines[first].endswith(": N=20 is out of range: allowed 4..16")
    assert "In instance 'mbm_mac_array.g_lane[" in lines[first + 1]


def test_rtl_files_keep_the_conventions():
    assert [c.output for c in map(lint.style, lint.rtl_files()) if not c.ok] == []


@pytest.mark.parametrize(
    "old,new,problem",
    [
        ("reg                   r_valid_q;", "reg                   r_valid;", "reg r_valid: registers end in _q"),
        ("reg                   r_valid_q;", "reg                   r_valid_q, r_spare;", "reg r_spare: registers end"),
        ("`timescale 1ns / 1ps", "", "no `timescale before the module"),
        ("`default_nettype none", "", "no `default_nettype none before the module"),
        ('"%m: LANES=', '"mbm_mac_array: LANES=', 'the message must start with the instance'),
        ("ERROR_mbm_mac_array_LANES_out_of_range_1_to_1024 stop ();", "", "followed by its stop instance"),
        ("`ifndef __ICARUS__\n            $error(\"%m: LANES", "$error(\"%m: LANES", "must sit in `ifndef __ICARUS__"),
    ],
)
def test_conventions_check_catches_a_broken_copy(old, new, problem):
    text = (lint.RTL_DIR / "mbm_mac_array.v").read_text()
    assert old in text
    problems = lint.style_problems(text.replace(old, new, 1))
    assert any(problem in p for p in problems), problems


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
