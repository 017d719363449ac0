"""The layer contracts of docs/architecture.md, enforced.

Imports run one way, cli > report > hw > nn > core, including imports inside functions and
under TYPE_CHECKING (grimp, which import-linter builds on, reads every import statement of a
module, wherever it stands). The contracts themselves live in pyproject.toml
([tool.importlinter]); this test runs them, then checks the whole module graph for cycles of
any length, that installing the project creates no top-level package but ``pymodel``, and that
no module imports another module's private names.
"""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import grimp
import networkx as nx
import pytest
from importlinter import cli as importlinter_cli

from pymodel.core.paths import REPO_ROOT


def import_cycles(package: str) -> list[list[str]]:
    """Every import cycle between modules of ``package`` (strongly connected components of the
    module graph with more than one module, or a module importing itself)."""
    graph = grimp.build_graph(package, cache_dir=None)
    g = nx.DiGraph()
    for module in graph.modules:
        g.add_node(module)
        g.add_edges_from((module, imported) for imported in graph.find_modules_directly_imported_by(module))
    return [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1 or g.has_edge(*[*c] * 2)]


def private_imports(files: Iterable[Path], root: Path, own: tuple[str, ...]) -> list[str]:
    """``from X import _name`` of a project module X by another module: private names stay home."""
    found = []
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in own:
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(root)}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def test_layer_contracts_hold(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    assert importlinter_cli.lint_imports(config_filename=str(REPO_ROOT / "pyproject.toml"), no_cache=True,
                                         no_logo=True) == 0


def test_no_import_cycle_anywhere():
    assert import_cycles("pymodel") == []


def test_the_only_installed_top_level_package_is_pymodel():
    """pyproject installs ``pymodel*`` only, and no other top-level folder is a package: the
    RTL plumbing and the benches are pymodel.hw.sim and pymodel.hw.tb, not ``sim`` / ``tb``."""
    find = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    assert find["include"] == ["pymodel*"]
    packages = sorted(p.parent.name for p in REPO_ROOT.glob("*/__init__.py"))
    assert packages == ["pymodel", "tests"]
    assert (REPO_ROOT / "pymodel/hw/sim/__init__.py").is_file() and (REPO_ROOT / "pymodel/hw/tb/__init__.py").is_file()


def test_no_module_imports_private_names_of_another():
    files = [*REPO_ROOT.glob("pymodel/**/*.py"), *REPO_ROOT.glob("tests/**/*.py"), *REPO_ROOT.glob("scripts/*.py")]
    assert private_imports(files, REPO_ROOT, ("pymodel", "tests")) == []


# ---- the checkers can fail ----

def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_cycle_check_finds_a_cycle_through_a_function_level_import(tmp_path, monkeypatch):
    _package(tmp_path, {
        "cyc/__init__.py": "",
        "cyc/a.py": "from cyc import b\n",
        "cyc/b.py": "def f():\n    from cyc.c import g\n",
        "cyc/c.py": "import cyc.a\n",
        "cyc/d.py": "import cyc.a\n",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_cycles("cyc") == [["cyc.a", "cyc.b", "cyc.c"]]


def test_layer_contract_catches_an_upward_import(tmp_path, monkeypatch):
    _package(tmp_path, {
        "lay/__init__.py": "",
        "lay/core/__init__.py": "",
        "lay/core/arith.py": "def f():\n    from lay.cli import main\n",
        "lay/cli/__init__.py": "from lay.core import arith\n",
        "pyproject.toml": '[tool.importlinter]\nroot_package = "lay"\n\n[[tool.importlinter.contracts]]\n'
                          'name = "layers"\ntype = "layers"\nlayers = ["lay.cli", "lay.core"]\n',
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in [m for m in sys.modules if m == "lay" or m.startswith("lay.")]:
        monkeypatch.delitem(sys.modules, name)
    assert importlinter_cli.lint_imports(config_filename=str(tmp_path / "pyproject.toml"), no_cache=True,
                                         no_logo=True) == 1


@pytest.mark.parametrize(("line", "caught"), [
    ("from pymodel.nn.sweep import _Predictor", True),
    ("from pymodel.nn.sweep import Predictor, __version__", False),
    ("from numpy import _core", False),
])
def test_private_import_check(tmp_path, line, caught):
    path = tmp_path / "m.py"
    path.write_text(line + "\n")
    assert bool(private_imports([path], tmp_path, ("pymodel", "tests"))) == caught
