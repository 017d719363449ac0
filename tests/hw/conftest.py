"""Fixtures the hw tests share: a written multiplier vector set, and the way to spoil one of
its expected words that only a bench (not the manifest check) can notice."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from pymodel.core.arith import MulConfig
from pymodel.hw.vectors import file_sha256, mul_set, write_set


@pytest.fixture
def mul_corner_set(tmp_path: Path) -> Path:
    """The mbm_mul corner set at N=8 (676 vectors, MBM), written under ``tmp_path``."""
    return write_set(mul_set("mbm_mul", "corners", MulConfig("mbm", 8)), tmp_path)


def _corrupt_expected_word(folder: Path, index: int) -> None:
    path = folder / "expect.hex"
    words = path.read_text().split("\n")
    words[index] = words[index][:-1] + format(int(words[index][-1], 16) ^ 1, "x")
    path.write_text("\n".join(words))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["expect.hex"] = file_sha256(path)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def corrupt_expected_word() -> Callable[[Path, int], None]:
    """``corrupt(folder, index)``: flip the low bit of expected word ``index`` of the set in
    ``folder`` and re-sign the manifest, so the loader accepts the file and only the bench
    can notice (a wrong golden value, not a damaged file)."""
    return _corrupt_expected_word
