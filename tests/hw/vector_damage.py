"""Shared by the replay and FPGA bring-up tests: a wrong golden value that the vector-set
loader accepts, so only the bench (or the board) can notice it."""

from __future__ import annotations

import json

from pymodel.hw.vectors import file_sha256


def corrupt_expected_word(folder, index):
    """Flip the low bit of one expected word and re-sign the manifest, so the loader accepts
    the file and only the bench can notice (a wrong golden value, not a damaged file)."""
    path = folder / "expect.hex"
    words = path.read_text().split("\n")
    words[index] = words[index][:-1] + format(int(words[index][-1], 16) ^ 1, "x")
    path.write_text("\n".join(words))
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["expect.hex"] = file_sha256(path)
    (folder / "manifest.json").write_text(json.dumps(manifest))
