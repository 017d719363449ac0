"""The repository's documentation stays true to the repository.

Why: a citation of a file that moved, or of a spec a clone does not have, sends a reader
nowhere; a table of numbers copied into a page drifts from the code the day someone changes
either. Three checks, each over the tracked files (``git ls-files``):

* no tracked file cites the old out-of-repo spec (the design notes file or the ``shared``
  folder next to the checkout): the spec is docs/arithmetic.md and docs/architecture.md;
* every repository path cited in Markdown, Verilog, TOML, templates, the Makefile and the
  docstrings and comments of Python files exists: ``docs/``, ``rtl/``, ``pymodel/``,
  ``tests/``, ``vectors/``, ``scripts/`` paths from the repository root, ``tb/...`` and
  ``sim/...`` as short forms of ``pymodel/hw/tb/...`` and ``pymodel/hw/sim/...``, Markdown
  links relative to their page (with their ``#anchor``), a page with a quoted section
  (``docs/arithmetic.md "Unsigned MBM"``: the heading must exist) and pytest ids
  ``path.py::name`` (the name must be defined in that file). ``<dut>``, ``{a,b}`` and ``*`` are globs that
  must match something. A token counts as a path when it ends in a file extension or a
  ``/`` (so prose such as "vectors/s" is not one);
* the tables of numbers in docs/arithmetic.md equal what the code computes.

The checkers take text and a set of tracked paths, so the tests at the bottom run them on
synthetic text and prove that each one reports what it should.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import os
import re
import subprocess
import tokenize
from collections.abc import Iterable
from pathlib import Path

import pytest

from pymodel.core.arith import MulConfig, mul_unsigned
from pymodel.core.characterize import characterize
from pymodel.core.paths import REPO_ROOT
from pymodel.report.characterization import PUBLISHED
from tests.core.test_arith import HAND_TABLE

# Written in pieces so that this file does not match its own pattern.
FORBIDDEN = re.compile("DESIGN" + r"\.md|\.\./" + "shared")
#: first folders of root-relative citations; tb/ and sim/ are short for pymodel/hw/tb, .../sim
ROOTS = ("docs", "rtl", "pymodel", "tests", "vectors", "scripts")
SHORT = {"tb": "pymodel/hw/tb", "sim": "pymodel/hw/sim"}
_PATH = re.compile(
    r"(?<![\w./<>{}*-])((?:" + "|".join(ROOTS + tuple(SHORT)) + r")/[\w./<>{}*,-]*)(::\w+)?"
)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
#: a page cited with a quoted section: docs/arithmetic.md, "Unsigned MBM"
_SECTION = re.compile(r"(docs/[\w/-]+\.md)`?,? \"([^\"]+)\"")
#: (file, cited token) pairs that are not repository paths, each with its reason
EXEMPT = {
    ("pymodel/report/collect.py", "rtl/*.json"): "relative to the reports directory, as its table says",
}
#: files whose whole text is documentation; Python contributes docstrings and comments only
DOC_SUFFIXES = (".md", ".v", ".toml", ".j2")
DOC_NAMES = ("Makefile",)
ARITH_DOC = "docs/arithmetic.md"


# ---- the tracked tree ----

def tracked_files() -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    except OSError:
        out = None
    if out is None or out.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return out.stdout.splitlines()


def with_folders(files: Iterable[str]) -> set[str]:
    """The files and every folder above them (folders without a trailing slash)."""
    paths = set()
    for f in files:
        parts = f.split("/")
        paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return paths


def read(path: str) -> str | None:
    try:
        return (REPO_ROOT / path).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


# ---- the checkers ----

def forbidden_citations(name: str, text: str) -> list[str]:
    lines = enumerate(text.splitlines(), 1)
    return [f"{name}:{n}: {line.strip()}" for n, line in lines if FORBIDDEN.search(line)]


def python_doc_lines(text: str) -> dict[int, str]:
    """Line number -> text of the docstring and comment lines of a Python source."""
    lines = text.splitlines()
    keep: dict[int, str] = {}
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            value = first.value if isinstance(first, ast.Expr) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                for n in range(first.lineno, (first.end_lineno or first.lineno) + 1):
                    keep[n] = lines[n - 1]
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.COMMENT:
            keep[tok.start[0]] = tok.string
    return keep


def doc_lines(name: str, text: str) -> dict[int, str]:
    if name.endswith(".py"):
        return python_doc_lines(text)
    return dict(enumerate(text.splitlines(), 1))


def _exists(target: str, tracked: set[str]) -> bool:
    pattern = re.sub(r"<[^>]*>|\{[^}]*\}", "*", target).rstrip("/")
    if any(c in pattern for c in "*?["):
        return any(fnmatch.fnmatchcase(p, pattern) for p in tracked)
    return pattern in tracked


def _defines(path: str, name: str, read_text) -> bool:
    text = read_text(path) or ""
    return re.search(rf"^\s*(?:async\s+def|def|class)\s+{re.escape(name)}\b", text, re.M) is not None


def slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    s = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"\s", "-", s)


def anchors(text: str) -> set[str]:
    return {slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", text, re.M)}


def dead_citations(name: str, text: str, tracked: set[str], read_text=read) -> list[str]:
    """'file:line: token (why)' for every cited path of ``text`` that does not exist."""
    bad = []
    for n, line in doc_lines(name, text).items():
        for m in _PATH.finditer(line):
            token = m.group(1).rstrip(".,:;")
            if not re.search(r"\.\w+$|/$", token) or (name, token) in EXEMPT:
                continue
            first, _, rest = token.partition("/")
            target = f"{SHORT[first]}/{rest}" if first in SHORT else token
            if not _exists(target, tracked):
                bad.append(f"{name}:{n}: {token} (no such file)")
            elif m.group(2) and not _defines(target, m.group(2)[2:], read_text):
                bad.append(f"{name}:{n}: {token}{m.group(2)} (not defined there)")
        for m in _SECTION.finditer(line):
            if m.group(1) in tracked and slug(m.group(2)) not in anchors(read_text(m.group(1)) or ""):
                bad.append(f'{name}:{n}: {m.group(1)} "{m.group(2)}" (no such heading)')
        if not name.endswith(".md"):
            continue
        for m in _LINK.finditer(line):
            link = m.group(1)
            if re.match(r"[a-z]+:", link):
                continue
            path, _, anchor = link.partition("#")
            target = os.path.normpath(Path(name).parent / path) if path else name
            if path and not _exists(target, tracked):
                bad.append(f"{name}:{n}: {link} (no such file)")
            elif anchor and target.endswith(".md") and slug(anchor) not in anchors(read_text(target) or ""):
                bad.append(f"{name}:{n}: {link} (no such heading)")
    return bad


def table(text: str, header: Iterable[str]) -> list[list[str]]:
    """The rows (cells stripped) of the Markdown table whose header row is ``header``."""
    want = [h.strip() for h in header]
    rows: list[list[str]] = []
    found = False
    for line in text.splitlines():
        row = line.strip()
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]] if row.startswith("|") else None
        if not found:
            found = cells == want
            continue
        if cells is None:
            break
        if not all(re.fullmatch(r":?-+:?", c) for c in cells):
            rows.append(cells)
    if not found:
        raise AssertionError(f"no table with header {' | '.join(want)}")
    return rows


REFERENCE_HEADER = ("mult", "N", "t", "frac_out", "a", "b", "P", "by hand")
CONSTANTS_HEADER = ("N", "F", "C", "C >> 1", "max TRUNC", "P bits", "P bits, FRAC_OUT", "signed P bits",
                    "signed P bits, FRAC_OUT")
ERRORS_HEADER = ("multiplier", "N", "source", "bias %", "mean abs %", "peak %")


def reference_rows(text: str) -> list[tuple]:
    """The reference-value table as HAND_TABLE tuples (mult, N, t, frac_out, a, b, P)."""
    return [(r[0], int(r[1]), int(r[2]), r[3] == "1", int(r[4]), int(r[5]), int(r[6]))
            for r in table(text, REFERENCE_HEADER)]


def reference_mismatches(rows: list[tuple]) -> list[str]:
    bad = []
    for mult, bits, trunc, frac_out, a, b, p in rows:
        got = int(mul_unsigned(a, b, MulConfig(mult, bits, trunc, frac_out)))
        if got != p:
            bad.append(f"{mult} N={bits} t={trunc} frac_out={frac_out}: ({a}, {b}) is {got}, "
                       f"the page says {p}")
    return bad


def constants_mismatches(rows: list[list[str]]) -> list[str]:
    bad = []
    for r in rows:
        cfg, frac = MulConfig("mbm", int(r[0])), MulConfig("mbm", int(r[0]), frac_out=True)
        want = [cfg.bits, cfg.frac, cfg.correction, cfg.correction >> 1, cfg.max_trunc, cfg.product_bits,
                frac.product_bits, cfg.product_bits + 1, frac.product_bits + 1]
        if [int(c) for c in r] != want:
            bad.append(f"N={r[0]}: the page says {r}, the code gives {want}")
    return bad


def _decimals(cell: str) -> int:
    return len(cell.partition(".")[2])


def error_mismatches(rows: list[list[str]]) -> list[str]:
    """'ours' rows must be characterize() rounded as printed; 'paper' rows must be PUBLISHED."""
    published = {(m, b): (bias, mred, peak) for m, b, bias, mred, peak, _ in PUBLISHED}
    bad = []
    for mult, bits, source, *cells in rows:
        key = (mult, int(bits))
        if source == "paper":
            want = published.get(key)
            if want is None or [float(c) for c in cells] != [float(v) for v in want]:
                bad.append(f"{mult} N={bits} paper: the page says {cells}, PUBLISHED has {want}")
            continue
        s = characterize(MulConfig(mult, int(bits), frac_out=True))
        got = [round(v, _decimals(c)) for v, c in zip((s.bias_pct, s.mred_pct, s.peak_pct), cells)]
        if got != [float(c) for c in cells]:
            bad.append(f"{mult} N={bits} ours: the page says {cells}, characterize gives {got}")
    return bad


MESSAGES_HEADER = ("bad input", "Python message", "RTL message")


def _template(parts: Iterable[str | None], hole: str = ".+?") -> re.Pattern[str]:
    """A message template as a regex: fixed text literal, each placeholder (None) ``hole``."""
    return re.compile("".join(hole if p is None else re.escape(p) for p in parts))


def python_messages(text: str) -> list[re.Pattern[str]]:
    """Every string and f-string of a Python source that says what is allowed."""
    out = []
    nodes = list(ast.walk(ast.parse(text)))
    inner = {id(v) for n in nodes if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in nodes:
        if id(node) in inner:  # a piece of an f-string, not a message of its own
            continue
        if isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else None for v in node.values]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = [node.value]
        else:
            continue
        if any(p and "allowed" in p for p in parts):
            out.append(_template(parts))
    return out


def intersperse(parts: list[str]) -> list[str | None]:
    """parts with a placeholder (None) between each two."""
    return [x for p in parts for x in (None, p)][1:]


def verilog_messages(text: str) -> list[re.Pattern[str]]:
    """The format strings of every $error, %0d as a number."""
    formats = re.findall(r'\$error\("([^"]*)"', text)
    return [_template(intersperse(m.split("%0d")), hole=r"-?\d+") for m in formats]


def unknown_messages(rows: list[list[str]], python: list[re.Pattern[str]],
                     verilog: list[re.Pattern[str]]) -> list[str]:
    """Quoted messages of the page that no message of the code produces."""
    bad = []
    for row in rows:
        for cell, templates in ((row[1], python), (row[2], verilog)):
            for quote in re.findall(r"`([^`]+)`", cell):
                if not any(t.fullmatch(quote) for t in templates):
                    bad.append(f"{row[0]}: {quote}")
    return bad


# ---- the repository ----

def test_no_file_cites_the_out_of_repo_spec():
    bad = []
    for f in tracked_files():
        text = read(f)
        if text is not None:
            bad += forbidden_citations(f, text)
    assert not bad, "cite docs/arithmetic.md or docs/architecture.md instead:\n" + "\n".join(bad)


def test_every_cited_path_exists():
    files = tracked_files()
    tracked = with_folders(files)
    bad, used = [], set()
    for f in files:
        if not (f.endswith(DOC_SUFFIXES + (".py",)) or Path(f).name in DOC_NAMES):
            continue
        text = read(f)
        if text is None:
            continue
        bad += dead_citations(f, text, tracked)
        used |= {(f, t) for (ef, t) in EXEMPT if ef == f and t in text}
    assert not bad, "cited paths that do not exist:\n" + "\n".join(bad)
    assert used == set(EXEMPT), f"stale EXEMPT entries: {set(EXEMPT) - used}"


def test_the_docs_exist_and_are_indexed():
    index = read("docs/README.md") or ""
    for page in ("arithmetic.md", "architecture.md", "../vectors/README.md"):
        assert f"]({page})" in index


def test_reference_table_is_the_code_and_the_hand_table():
    rows = reference_rows(read(ARITH_DOC) or "")
    assert not reference_mismatches(rows)
    assert set(rows) == set(HAND_TABLE), (
        "docs/arithmetic.md 'Reference values' and tests/core/test_arith.py HAND_TABLE "
        "must hold the same rows"
    )


def test_constants_table_is_the_code():
    rows = table(read(ARITH_DOC) or "", CONSTANTS_HEADER)
    assert [int(r[0]) for r in rows] == list(range(4, 17))
    assert not constants_mismatches(rows)


def test_error_figures_are_the_code_and_the_published_ones():
    rows = table(read(ARITH_DOC) or "", ERRORS_HEADER)
    listed = {(r[0], int(r[1]), r[2]) for r in rows}
    assert listed >= {(m, b, s) for m, b, *_ in PUBLISHED for s in ("ours", "paper")}
    assert not error_mismatches(rows)


def test_quoted_error_messages_are_the_code():
    files = tracked_files()
    python = [t for f in files if f.startswith("pymodel/") and f.endswith(".py")
              for t in python_messages(read(f) or "")]
    verilog = [t for f in files if f.startswith("rtl/") and f.endswith(".v")
               for t in verilog_messages(read(f) or "")]
    rows = table(read(ARITH_DOC) or "", MESSAGES_HEADER)
    assert sum(len(re.findall("`", r[1] + r[2])) for r in rows) >= 2 * 15  # the quotes are there
    assert not unknown_messages(rows, python, verilog)


# ---- the checkers themselves ----

TRACKED = with_folders(["docs/arithmetic.md", "rtl/mbm_mul.v", "pymodel/hw/tb/mbm_mul/testplan.toml",
                        "pymodel/hw/sim/regressions.py", "tests/core/test_arith.py"])
SYNTHETIC_SOURCES = {
    "docs/arithmetic.md": "# Arithmetic contract\n## Unsigned MBM\n",
    "tests/core/test_arith.py": "def test_hand_table():\n    pass\n",
}


def _check(name: str, text: str) -> list[str]:
    return dead_citations(name, text, TRACKED, read_text=SYNTHETIC_SOURCES.get)


def test_checker_reports_a_missing_file_and_accepts_existing_ones():
    text = ("See `rtl/mbm_mul.v`, `rtl/mbm_mac.v`, `tb/<dut>/testplan.toml`, sim/regressions.py,\n"
            "`rtl/*.v`, `rtl/*.sv` and docs/arithmetic.md. Speed: 4 million vectors/s.\n")
    assert _check("README.md", text) == [
        "README.md:1: rtl/mbm_mac.v (no such file)",
        "README.md:2: rtl/*.sv (no such file)",
    ]


def test_checker_finds_a_quoted_section_that_is_not_a_heading():
    text = '// contract: docs/arithmetic.md "Unsigned MBM"; signs: docs/arithmetic.md, "Signed MBM"\n'
    assert _check("rtl/x.v", text) == ['rtl/x.v:1: docs/arithmetic.md "Signed MBM" (no such heading)']


def test_checker_reads_only_docstrings_and_comments_of_python():
    src = '"""Model of rtl/gone.v."""\nPATH = "rtl/also_gone.v"  # see docs/missing.md\n'
    assert _check("pymodel/x.py", src) == [
        "pymodel/x.py:1: rtl/gone.v (no such file)",
        "pymodel/x.py:2: docs/missing.md (no such file)",
    ]


def test_checker_resolves_pytest_ids_links_and_anchors():
    text = ("`tests/core/test_arith.py::test_hand_table`, `tests/core/test_arith.py::test_gone`\n"
            "[spec](arithmetic.md#unsigned-mbm) [bad](arithmetic.md#signed-mbm) [x](../rtl/mbm_mul.v)\n"
            "[gone](../rtl/gone.v) [web](https://example.com/rtl/x.v) [top](#arithmetic-contract)\n")
    assert _check("docs/README.md", text) == [
        "docs/README.md:1: tests/core/test_arith.py::test_gone (not defined there)",
        "docs/README.md:2: arithmetic.md#signed-mbm (no such heading)",
        "docs/README.md:3: ../rtl/gone.v (no such file)",
        "docs/README.md:3: #arithmetic-contract (no such heading)",
    ]


def test_forbidden_citation_is_found():
    text = "as specified in " + "DESIGN" + ".md, section 2\nand in .." + "/shared/notes\nfine line\n"
    assert len(forbidden_citations("x.md", text)) == 2


def test_table_checkers_catch_a_changed_value():
    page = read(ARITH_DOC) or ""
    good = reference_rows(page)
    wrong = [good[0][:-1] + (good[0][-1] + 1,), *good[1:]]
    assert len(reference_mismatches(wrong)) == 1
    rows = table(page, CONSTANTS_HEADER)
    rows[4] = [*rows[4][:2], str(int(rows[4][2]) + 1), *rows[4][3:]]
    assert constants_mismatches(rows) == [f"N=8: the page says {rows[4]}, the code gives "
                                          "[8, 7, 10, 5, 0, 17, 24, 18, 25]"]
    errors = table(page, ERRORS_HEADER)
    errors[0] = [*errors[0][:3], "+0.057", *errors[0][4:]]
    errors[1] = [*errors[1][:3], "+0.06", *errors[1][4:]]
    assert len(error_mismatches(errors)) == 2


def test_message_checker_catches_a_reworded_message():
    python = python_messages('def f(bits):\n    raise E(f"bits={bits} is out of range: allowed 4..16")\n')
    verilog = verilog_messages('$error("mbm_mul: N=%0d is out of range: allowed 4..16", N);')
    rows = [["N", "`bits=17 is out of range: allowed 4..16`",
             "`mbm_mul: N=17 is out of range: allowed 4..16`"],
            ["N", "`bits=17 is too large: allowed 4..16`",
             "`mbm_mul: N=x is out of range: allowed 4..16`"]]
    assert unknown_messages(rows, python, verilog) == [
        "N: bits=17 is too large: allowed 4..16",
        "N: mbm_mul: N=x is out of range: allowed 4..16",
    ]


def test_table_parser_refuses_a_missing_table():
    with pytest.raises(AssertionError, match="no table with header"):
        table("| a | b |\n| - | - |\n| 1 | 2 |\n", ("a", "c"))
    assert table("| a | b |\n| - | - |\n| 1 | 2 |\n\n| 3 | 4 |\n", ("a", "b")) == [["1", "2"]]
