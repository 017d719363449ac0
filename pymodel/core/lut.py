"""Product lookup tables for other tools and FPGA ROMs (N <= 10).

Unsigned tables are indexed ``[a, b]`` (shape 2^N x 2^N). Signed tables cover the
sign-magnitude range and are indexed ``[a + 2^N - 1, b + 2^N - 1]`` for a, b in
[-(2^N - 1), 2^N - 1] (shape (2^(N+1) - 1) squared). The hex format is one ``$readmemh``
word per entry in the same row-major order, two's complement at the product width.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pymodel.core.arith import MulConfig, mul, tc_encode
from pymodel.core.errors import MBMError

LUT_MAX_BITS = 10
FORMATS = ("npy", "hex")


def operand_range(cfg: MulConfig, signed: bool) -> np.ndarray:
    """The operand values a table row (or column) runs over, in index order."""
    lo = -cfg.max_operand if signed else 0
    return np.arange(lo, cfg.max_operand + 1, dtype=np.int64)


def build_lut(cfg: MulConfig, signed: bool = False) -> np.ndarray:
    """The full product table as int64, indexed as the module docstring says."""
    if cfg.bits > LUT_MAX_BITS:
        raise MBMError(f"bits={cfg.bits} is too wide for a lookup table: allowed 4..{LUT_MAX_BITS}")
    ops = operand_range(cfg, signed)
    return mul(ops[:, None], ops[None, :], cfg, signed=signed)


def hex_words(values: np.ndarray, width: int) -> list[str]:
    """Two's-complement hex words of ``width`` bits, zero-padded, one per value."""
    digits = (width + 3) // 4
    return [format(tc_encode(int(v), width), f"0{digits}x") for v in values.ravel()]


def write_lut(table: np.ndarray, path: Path, fmt: str, width: int) -> None:
    """Write ``table`` as .npy (int64) or $readmemh hex words of ``width`` bits."""
    if fmt not in FORMATS:
        raise MBMError(f"unknown LUT format {fmt!r}: allowed {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "npy":
        with open(path, "wb") as fh:
            np.save(fh, table.astype(np.int64))
    else:
        path.write_text("\n".join(hex_words(table, width)) + "\n")
