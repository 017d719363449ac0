"""``verilator --lint-only -Wall`` over every RTL module, and the illegal-parameter checks.

Each DUT of :data:`sim.regressions.DUTS` is linted for each of its legal parameter sets
(must be warning-free) and elaborated with each illegal set (must fail, printing the
expected message). Every other core in ``rtl/`` is linted with default parameters, and an
``rtl/*.v`` file that is in no core (or in two) fails, so nothing in rtl/ escapes.

Verilator gets exactly the files and options of the top's core file (its ``lint`` target,
what ``fusesoc run --target lint`` runs), and no ``-y`` search path: a core that forgets a
dependency fails here instead of passing by finding the file on its own.

Each ``rtl/*.v`` file is also held to the conventions Verilator does not check
(:func:`style_problems`): `` `timescale`` and `` `default_nettype none`` before the module,
registers named ``*_q`` (a register's next-state value, where named, ``*_d``), and every
parameter check naming the instance (``%m``) and followed by the instance of a missing
module that stops elaboration in every tool, its ``$error`` inside `` `ifndef __ICARUS__``
(Icarus Verilog 11, the second simulator of the regression, cannot parse an
elaboration-time ``$error``; the stop instance alone ends its elaboration).
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pymodel.core.paths import RTL_DIR
from pymodel.hw import cores
from pymodel.hw.sim.regressions import DUTS
from pymodel.hw.sim.runner import param_tag, verilator_env

#: the core target lint runs
TARGET = "lint"
#: the RTL files (below rtl/) held to the conventions and to exactly one core: the FPGA
#: bring-up's modules live in rtl/bringup/ (their core is rtl/mbm_bringup_top.core)
RTL_GLOBS = ("*.v", "bringup/*.v")

#: ``expect`` of the conventions check of one file
STYLE = "rtl/ conventions"
_REG = re.compile(r"^\s*reg\b(?:\s*signed)?(?:\s*\[[^\]]*\])?([^;]*);", re.M)
_NAME = re.compile(r"^\s*(\w+)")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_FUNCTION = re.compile(r"\bfunction\b.*?\bendfunction\b", re.S)
_ERROR = re.compile(
    r"(?P<guard>`ifndef\s+__ICARUS__\s+)?\$error\b(?:\s*\(\s*\"(?P<msg>[^\"]*)\"[^;]*;\s*(?P<endif>`endif\s+)?"
    r"(?P<stop>\w+\s+stop\s*\(\s*\)\s*;)?)?",
    re.S,
)


@dataclass
class LintCase:
    """One lint run and whether it came out as expected."""

    top: str
    parameters: dict[str, int]
    expect: str  # "clean" or the message an illegal set must print
    ok: bool
    output: str
    seconds: float

    @property
    def label(self) -> str:
        return f"{self.top} {param_tag(self.parameters)}"


def lint_command(
    top: str, parameters: Mapping[str, int], dirs: tuple[Path, ...] = cores.CORE_DIRS
) -> list[str]:
    """The Verilator command of the ``lint`` target of ``top``'s core, with ``parameters``."""
    options = cores.by_top(top, dirs).tool_options(TARGET)
    return [
        "verilator",
        f"--{options['mode']}",
        *options.get("verilator_options", []),
        "--top-module",
        top,
        *map(str, cores.sources(top, TARGET, dirs)),
        *(f"-G{k}={v}" for k, v in parameters.items()),
    ]


def lint(top: str, parameters: Mapping[str, int] = {}, expect: str = "clean",
         dirs: tuple[Path, ...] = cores.CORE_DIRS) -> LintCase:
    """Lint ``top``; with ``expect`` other than "clean", elaboration must fail printing it.
    dirs: where the cores are (a test's broken copies)."""
    verilator_env()
    start = time.perf_counter()
    proc = subprocess.run(lint_command(top, parameters, dirs), capture_output=True, text=True, cwd=RTL_DIR.parent)
    output = proc.stdout + proc.stderr
    if expect == "clean":
        ok = proc.returncode == 0 and "%Warning" not in output and "%Error" not in output
    else:
        ok = proc.returncode != 0 and expect in output
    return LintCase(top, dict(parameters), expect, ok, output, time.perf_counter() - start)


def cases() -> list[tuple[str, dict[str, int], str]]:
    """(top, parameters, expect) of every lint run: registered DUTs, then the other cores in rtl/."""
    out = []
    for dut in DUTS.values():
        out += [(dut.toplevel, dict(p), "clean") for p in dut.lint_ok]
        out += [(dut.toplevel, dict(p), msg) for p, msg in dut.lint_illegal]
    registered = {d.toplevel for d in DUTS.values()}
    others = sorted(c.toplevel for c in cores.library((RTL_DIR,)).values())
    out += [(top, {}, "clean") for top in others if top not in registered]
    return out


def style_problems(text: str) -> list[str]:
    """What in one RTL file's text breaks the conventions of the module docstring."""
    problems = []
    text = _COMMENT.sub("", text)
    head = text[: text.find("module ")] if "module " in text else text
    for directive in ("`timescale", "`default_nettype none"):
        if directive not in head:
            problems.append(f"no {directive} before the module")
    body = _FUNCTION.sub("", text)  # a function's reg is a variable, not a register
    names = [_NAME.match(d).group(1) for decl in _REG.findall(body) for d in decl.split(",") if _NAME.match(d)]
    problems += [f"reg {name}: registers end in _q" for name in names if not name.endswith("_q")]
    for m in _ERROR.finditer(text):
        shown = repr(text[m.start("msg") - 8 if m["msg"] else m.start():][:60])
        if m["stop"] is None:
            problems.append(f"{shown}: a parameter check must be followed by its stop instance")
        elif not m["msg"].startswith("%m: "):
            problems.append(f"$error(\"{m['msg']}\"): the message must start with the instance, \"%m: \"")
        if not (m["guard"] and m["endif"]):
            problems.append(f"{shown}: an elaboration-time $error must sit in `ifndef __ICARUS__ ... `endif "
                            "(Icarus Verilog 11 cannot parse it)")
    return problems


def rtl_files() -> list[Path]:
    """Every file of :data:`RTL_GLOBS`, sorted."""
    return sorted(p for pattern in RTL_GLOBS for p in RTL_DIR.glob(pattern))


def style(path) -> LintCase:
    start = time.perf_counter()
    problems = style_problems(path.read_text())
    return LintCase(path.stem, {}, STYLE, not problems, "\n".join(problems), time.perf_counter() - start)


def lint_all() -> list[LintCase]:
    """Every case of :func:`cases`, after one failed case per problem of rtl/'s core files."""
    bad_cores = [LintCase("rtl/*.core", {}, "clean", False, p, 0.0) for p in cores.problems((RTL_DIR,), RTL_GLOBS)]
    return bad_cores + [lint(top, params, expect) for top, params, expect in cases()] + [
        style(f) for f in rtl_files()
    ]
