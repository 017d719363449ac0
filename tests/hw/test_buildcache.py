"""The build cache shared by the simulator runner and the replay benches (pymodel/hw/buildcache.py):
reuse while the key holds, rebuild when it changes or a build failed, and parallel builders
of one directory build it once."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from pymodel.hw import buildcache


def _counting_make(build_dir: Path, log: Path, pause: float = 0.0):
    def make() -> None:
        with log.open("a") as fh:
            fh.write("built\n")
        time.sleep(pause)  # holds the lock long enough for a parallel builder to arrive
        (build_dir / "product").write_text("binary")

    return make


def test_key_follows_file_bytes_paths_and_meta(tmp_path):
    a, b = tmp_path / "a.v", tmp_path / "b.v"
    a.write_text("module a; endmodule\n")
    b.write_text("module a; endmodule\n")
    base = buildcache.key([a], {"N": 8})
    assert base == buildcache.key([a], {"N": 8})
    assert (
        len(
            {
                base,
                buildcache.key([b], {"N": 8}),
                buildcache.key([a], {"N": 9}),
                buildcache.key([a, a], {"N": 8}),
            }
        )
        == 4
    )
    a.write_text("module a; wire w; endmodule\n")
    assert buildcache.key([a], {"N": 8}) != base


def test_reused_while_the_key_holds_rebuilt_when_it_changes(tmp_path):
    build_dir, log = tmp_path / "build" / "N8", tmp_path / "log"
    first = buildcache.build(build_dir, "k1", "product", _counting_make(build_dir, log))
    again = buildcache.build(build_dir, "k1", "product", _counting_make(build_dir, log))
    other = buildcache.build(build_dir, "k2", "product", _counting_make(build_dir, log))
    assert (first.cached, again.cached, other.cached) == (False, True, False)
    assert again.seconds == 0.0 and again.build_dir == build_dir
    assert log.read_text().count("built") == 2


def test_a_failed_build_is_never_reused(tmp_path):
    build_dir, log = tmp_path / "N8", tmp_path / "log"
    buildcache.build(build_dir, "k1", "product", _counting_make(build_dir, log))

    def broken() -> None:
        (build_dir / "product").write_text("half written")
        raise RuntimeError("compiler crashed")

    with pytest.raises(RuntimeError, match="compiler crashed"):
        buildcache.build(build_dir, "k2", "product", broken)
    assert not (build_dir / buildcache.STAMP).exists()
    assert not buildcache.build(build_dir, "k2", "product", _counting_make(build_dir, log)).cached


def _build_in_process(build_dir: str, log: str, out: multiprocessing.Queue) -> None:
    result = buildcache.build(
        Path(build_dir), "k", "product", _counting_make(Path(build_dir), Path(log), 0.5)
    )
    out.put(result.cached)


def test_parallel_builders_of_one_directory_build_it_once(tmp_path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_build_in_process, args=(str(tmp_path / "N8"), str(tmp_path / "log"), out))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    assert sorted(out.get(timeout=5) for _ in procs) == [False, True, True]
    assert (tmp_path / "log").read_text().count("built") == 1


def test_publish_dir_keeps_the_first_copy(tmp_path):
    dest = tmp_path / "runtime"
    for n in (1, 2):
        staged = tmp_path / f"staged{n}"
        staged.mkdir()
        (staged / "obj.o").write_text(str(n))
        assert buildcache.publish_dir(staged, dest) == (n == 1)
        assert not staged.exists()
    assert (dest / "obj.o").read_text() == "1"
