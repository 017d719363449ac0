"""``verilator --lint-only -Wall`` over every RTL module, and the illegal-parameter checks.

Each DUT of :data:`sim.regressions.DUTS` is linted for each of its legal parameter sets
(must be warning-free) and elaborated with each illegal set (must fail, printing the
expected message). Any other ``rtl/*.v`` file is linted as its own top with default
parameters, so nothing in rtl/ escapes. Modules are found with ``-y rtl``.

Each ``rtl/*.v`` file is also held to the conventions Verilator does not check
(:func:`style_problems`): `` `timescale`` and `` `default_nettype none`` before the module,
registers named ``*_q`` (a register's next-state value, where named, ``*_d``), and every
parameter check naming the instance (``%m``) and followed by the instance of a missing
module that stops elaboration in every tool.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass

from pymodel.hw.sim.regressions import DUTS
from pymodel.hw.sim.runner import RTL_DIR, param_tag, verilator_env

#: ``expect`` of the conventions check of one file
STYLE = "rtl/ conventions"
_REG = re.compile(r"^\s*reg\b(?:\s*signed)?(?:\s*\[[^\]]*\])?([^;]*);", re.M)
_NAME = re.compile(r"^\s*(\w+)")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_FUNCTION = re.compile(r"\bfunction\b.*?\bendfunction\b", re.S)
_ERROR = re.compile(r"\$error\s*\(\s*\"([^\"]*)\"[^;]*;\s*\w+\s+stop\s*\(\s*\)\s*;|\$error\b", re.S)


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


def lint_command(top: str, parameters: Mapping[str, int]) -> list[str]:
    return [
        "verilator",
        "--lint-only",
        "-Wall",
        "-y",
        str(RTL_DIR),
        "--top-module",
        top,
        str(RTL_DIR / f"{top}.v"),
        *(f"-G{k}={v}" for k, v in parameters.items()),
    ]


def lint(top: str, parameters: Mapping[str, int] = {}, expect: str = "clean") -> LintCase:
    """Lint ``top``; with ``expect`` other than "clean", elaboration must fail printing it."""
    verilator_env()
    start = time.perf_counter()
    proc = subprocess.run(lint_command(top, parameters), capture_output=True, text=True, cwd=RTL_DIR.parent)
    output = proc.stdout + proc.stderr
    if expect == "clean":
        ok = proc.returncode == 0 and "%Warning" not in output and "%Error" not in output
    else:
        ok = proc.returncode != 0 and expect in output
    return LintCase(top, dict(parameters), expect, ok, output, time.perf_counter() - start)


def cases() -> list[tuple[str, dict[str, int], str]]:
    """(top, parameters, expect) of every lint run: registered DUTs, then other rtl/*.v."""
    out = []
    for dut in DUTS.values():
        out += [(dut.toplevel, dict(p), "clean") for p in dut.lint_ok]
        out += [(dut.toplevel, dict(p), msg) for p, msg in dut.lint_illegal]
    registered = {d.toplevel for d in DUTS.values()}
    out += [(f.stem, {}, "clean") for f in sorted(RTL_DIR.glob("*.v")) if f.stem not in registered]
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
        if m.group(1) is None:
            problems.append(f"{text[m.start():m.start() + 60]!r}: a parameter check must be followed by its stop instance")
        elif not m.group(1).startswith("%m: "):
            problems.append(f"$error(\"{m.group(1)}\"): the message must start with the instance, \"%m: \"")
    return problems


def style(path) -> LintCase:
    start = time.perf_counter()
    problems = style_problems(path.read_text())
    return LintCase(path.stem, {}, STYLE, not problems, "\n".join(problems), time.perf_counter() - start)


def lint_all() -> list[LintCase]:
    return [lint(top, params, expect) for top, params, expect in cases()] + [
        style(f) for f in sorted(RTL_DIR.glob("*.v"))
    ]
