"""Product lookup tables in and out: our own formats and the peer tools' (N <= 10).

Why: an approximate multiplier is often known only as a table written by another tool, and
our multipliers should run in theirs. Each format below is read and written with the layout
its tool uses; tables live in memory as :class:`pymodel.core.table.ProductTable`.

* ``npy``: the int64 table itself (``numpy.save``), indexed as the table's encoding says:
  unsigned ``[a, b]``, two's complement ``[a + 2^(N-1), b + 2^(N-1)]``, the built-in
  sign-magnitude tables ``[a + 2^N - 1, b + 2^N - 1]`` (an odd side tells them apart).
* ``hex``: one ``$readmemh`` word per entry in the same row-major order, two's complement
  (unsigned tables: plain) at the product width, zero-padded to whole hex digits.
* ``tfapprox``: TFApprox (github.com/ehw-fit/tf-approximate, TF2 version) reads 2^16
  native-endian (little on x86) ``uint16`` values, entry ``a * 256 + b`` = product of unsigned
  8-bit a, b: ``BaseTableApproxOpType_t::LoadLookupTable`` in ``tf2/src/approx_ops_types.h``
  reads ``lookupTable.size() * sizeof(uint16)`` bytes, the GPU conv indexes it
  ``(A << 8) | B`` (``tf2/src/cuda/approx_nn_conv_kernels.cu``), and ``tf2/README.md`` gives the
  writer loop (a outer, b inner); in the conv the row operand is the input (activation), the
  column the filter, as ours. Checked: the repository's ``examples/axmul_8x8/mul8u_1JFF.bin``
  (the exact multiplier) is 131072 bytes and reads back as a * b with this layout, and its
  approximate ``mul8u_*.bin`` (1446, 13QR, 150Q, 17KS, 185Q, 2HH) equal EvoApproxLib's Verilog
  of the same circuits imported with :mod:`pymodel.hw.verilog_import` -- transposed: the
  EvoApproxLib C functions those files were written from take ``(B, A)``, so TFApprox's
  activation drives the circuit's B port. ``ProductTable.swapped()`` converts between the two.
* ``adapt``: AdaPT (github.com/dimdano/adapt) compiles a C header holding
  ``const int16_t lut [256][256] = {{...},\\n{...}};`` for signed 8-bit multipliers; its kernel
  (``adapt/cpu-kernels/axx_conv2d.cpp``) indexes ``lut[(uint8_t)a][(uint8_t)b]``, i.e. by the
  operands' two's-complement bit patterns (row 255 is a = -1). The header syntax follows
  ``tools/LUT_convert.ipynb`` and ``adapt/cpu-kernels/axx_mults/mul8s_acc.h`` (whose entry
  [1][128] is -128, which fixes the bit-pattern indexing).
* ``approxtorch``: ApproxTorch (github.com/woshimark666/ApproxTorch) reads a text file of
  256 x 256 whitespace-separated integers with ``np.loadtxt(..., dtype=np.int32)``
  (``approxtorch/load_lut.py``); for int8 entry (i, j) is the product of A = i - 128 and
  B = j - 128 (``README.md``, "Prepare the multiplier LUT"; the CPU bgemm adds 32896 =
  128 * 256 + 128 to the index), for uint8 of A = i, B = j. We write one row per line.

Which conv operand is the row: ours and TFApprox's is the activation (``mul(x, w)``), AdaPT's
conv passes the weight as the row (``my_addmm(output, weight, finput)``), and ApproxTorch's
kernels disagree among themselves (CPU bgemm: weight; custom-gradient CUDA kernels:
activation). The files store a table [first operand][second operand] either way; for an
asymmetric multiplier, ``ProductTable.swapped()`` gives the other assignment.

Nothing of those repositories is copied here; the tests build small files by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from pymodel.core.arith import MulConfig, tc_decode, tc_encode
from pymodel.core.errors import MBMError
from pymodel.core.table import ProductTable, pattern_order

FORMATS = ("npy", "hex", "tfapprox", "adapt", "approxtorch")
#: The peers' tables are all 8-bit (256 x 256).
PEER_BITS = 8
_ADAPT_DECL = re.compile(
    r"^\s*(?:#include\s*<stdint\.h>\s*)?(?:static\s+)?const\s+int(8|16|32|64)_t\s+(\w+)\s*"
    r"\[\s*(\d+)\s*\]\s*\[\s*(\d+)\s*\]\s*=\s*\{(.*)\}\s*;\s*$", re.S)


def build_lut(cfg: MulConfig, signed: bool = False) -> np.ndarray:
    """A built-in multiplier's full table as int64 (unsigned, or sign-magnitude when signed)."""
    return ProductTable.from_config(cfg, signed).values


def hex_words(values: np.ndarray, width: int) -> list[str]:
    """Two's-complement hex words of ``width`` bits, zero-padded, one per value."""
    digits = (width + 3) // 4
    return [format(tc_encode(int(v), width), f"0{digits}x") for v in values.ravel()]


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise MBMError(f"unknown LUT format {fmt!r}: allowed {', '.join(FORMATS)}")


def _require_peer(table: ProductTable, fmt: str, encodings: tuple[str, ...], dtype: type[np.integer]) -> None:
    """Refuse a table the peer's layout cannot hold (width, signedness, entry range)."""
    if table.bits != PEER_BITS or table.encoding not in encodings:
        raise MBMError(f"the {fmt} format holds {' or '.join(encodings)} {PEER_BITS}-bit tables: "
                       f"got {table.encoding} N={table.bits}")
    info = np.iinfo(dtype)
    lo, hi = int(table.values.min()), int(table.values.max())
    if lo < info.min or hi > info.max:
        bad = lo if lo < info.min else hi
        raise MBMError(f"product {bad} does not fit the {fmt} format's {np.dtype(dtype).name}: "
                       f"allowed {info.min}..{info.max}")


def save_table(table: ProductTable, path: Path, fmt: str) -> None:
    """Write ``table`` in format ``fmt`` (see the module docstring); MBMError if it cannot hold it."""
    _check_format(fmt)
    path = Path(path)
    if fmt == "tfapprox":
        _require_peer(table, fmt, ("unsigned",), np.uint16)
    elif fmt == "adapt":
        _require_peer(table, fmt, ("twos",), np.int16)
    elif fmt == "approxtorch":
        _require_peer(table, fmt, ("twos", "unsigned"), np.int32)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "npy":
        with open(path, "wb") as fh:
            np.save(fh, table.values)
    elif fmt == "hex":
        path.write_text("\n".join(hex_words(table.values, table.product_bits)) + "\n")
    elif fmt == "tfapprox":
        path.write_bytes(table.values.astype("<u2").tobytes())
    elif fmt == "adapt":
        rows = ["{" + ", ".join(str(int(v)) for v in row) + "}" for row in pattern_order(table.values)]
        side = table.values.shape[0]
        path.write_text(f"#include <stdint.h>\n\nconst int16_t lut [{side}][{side}] = {{" + ",\n".join(rows) + "};\n")
    else:
        path.write_text("\n".join(" ".join(str(int(v)) for v in row) for row in table.values) + "\n")


def load_table(path: Path, fmt: str | None = None, *, signed: bool = False, product_bits: int | None = None,
               name: str | None = None) -> ProductTable:
    """Read a table written in ``fmt`` (default: from the suffix: .npy, .hex, .bin, .h, .txt).

    signed: the operands are signed (two's complement; an npy/hex table with an odd side is
    the built-in sign-magnitude layout). product_bits: the product width (hex words are
    sign-extended from it; default the words' digit count * 4). AdaPT headers are always
    signed and TFApprox tables always unsigned. Every mismatch is a one-line MBMError.
    """
    path = Path(path)
    fmt = fmt or _format_of(path)
    _check_format(fmt)
    if not path.is_file():
        raise MBMError(f"lookup table {str(path)!r} does not exist")
    label = name or path.stem
    if fmt == "tfapprox":
        data = path.read_bytes()
        want = 2 * (1 << (2 * PEER_BITS))
        if len(data) != want:
            raise MBMError(f"{path.name}: {len(data)} bytes is not a TFApprox table: allowed {want} "
                           f"(2^16 uint16 products)")
        if signed:
            raise MBMError(f"{path.name}: TFApprox tables are unsigned: drop --signed")
        values = np.frombuffer(data, dtype="<u2").reshape(256, 256)
        return ProductTable(values, "unsigned", product_bits=product_bits or 16, name=label)
    if fmt == "adapt":
        return ProductTable(pattern_order(_read_adapt(path)), "twos", product_bits=product_bits or 16, name=label)
    if fmt == "approxtorch":
        values = _read_text_table(path)
        return ProductTable(values, "twos" if signed else "unsigned", product_bits=product_bits, name=label)
    values = _read_npy(path) if fmt == "npy" else _read_hex(path, signed, product_bits)
    encoding = ("signmag" if values.shape[0] % 2 else "twos") if signed else "unsigned"
    return ProductTable(values, encoding, product_bits=product_bits, name=label)


def _format_of(path: Path) -> str:
    by_suffix = {".npy": "npy", ".hex": "hex", ".mem": "hex", ".bin": "tfapprox", ".h": "adapt", ".txt": "approxtorch"}
    if path.suffix not in by_suffix:
        raise MBMError(f"cannot tell the LUT format of {path.name!r} from its suffix: allowed "
                       f"{', '.join(by_suffix)}, or name the format ({', '.join(FORMATS)})")
    return by_suffix[path.suffix]


def _read_npy(path: Path) -> np.ndarray:
    try:
        values = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise MBMError(f"{path.name} is not a numpy .npy array: {str(exc).splitlines()[0]}") from None
    if not isinstance(values, np.ndarray):
        raise MBMError(f"{path.name} holds several arrays (.npz): allowed one .npy array")
    return values


def _read_hex(path: Path, signed: bool, product_bits: int | None) -> np.ndarray:
    words = path.read_text().split()
    side = int(round(len(words) ** 0.5))
    if not words or side * side != len(words):
        raise MBMError(f"{path.name}: {len(words)} hex words is not a square table")
    widths = {len(w) for w in words}
    if len(widths) != 1:
        raise MBMError(f"{path.name}: hex words of {sorted(widths)} digits: allowed one width")
    width = product_bits or 4 * widths.pop()
    try:
        raw = np.array([int(w, 16) for w in words], dtype=object)
    except ValueError:
        bad = next(w for w in words if not re.fullmatch(r"[0-9a-fA-F]+", w))
        raise MBMError(f"{path.name}: {bad!r} is not a hex word") from None
    if max(raw) >> width:
        raise MBMError(f"{path.name}: hex word {format(max(raw), 'x')} is wider than product_bits={width}")
    values = np.array([tc_decode(v, width) if signed else v for v in raw], dtype=np.int64)
    return values.reshape(side, side)


def _read_adapt(path: Path) -> np.ndarray:
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(errors="replace"), flags=re.S)
    m = _ADAPT_DECL.match(text)
    if not m:
        raise MBMError(f"{path.name} is not an AdaPT header: allowed one "
                       f"'const intW_t NAME [256][256] = {{{{...}}, ...}};' array")
    ctype, _, rows, cols, body = m.groups()
    if (int(rows), int(cols)) != (256, 256):
        raise MBMError(f"{path.name}: array [{rows}][{cols}] is not an AdaPT table: allowed [256][256]")
    if re.search(r"[^\s\d,{}+-]", body):
        bad = re.search(r"[^\s\d,{}+-]+", body).group(0)
        raise MBMError(f"{path.name}: {bad!r} in the array: allowed integer literals only")
    row_texts = re.findall(r"\{([^{}]*)\}", body)
    if len(row_texts) != 256:
        raise MBMError(f"{path.name}: {len(row_texts)} rows in the array: allowed 256")
    try:
        parsed = [[int(v) for v in r.split(",") if v.strip()] for r in row_texts]
    except ValueError:
        raise MBMError(f"{path.name}: an entry of the array is not one integer literal") from None
    lengths = sorted({len(r) for r in parsed})
    if lengths != [256]:
        raise MBMError(f"{path.name}: rows of {lengths} entries: allowed 256 each")
    info = np.iinfo(f"int{ctype}")
    flat = [v for r in parsed for v in r]
    if min(flat) < info.min or max(flat) > info.max:
        bad = min(flat) if min(flat) < info.min else max(flat)
        raise MBMError(f"{path.name}: entry {bad} does not fit int{ctype}_t")
    return np.array(parsed, dtype=np.int64)


def _read_text_table(path: Path) -> np.ndarray:
    tokens = path.read_text(errors="replace").split()
    want = 1 << (2 * PEER_BITS)
    if len(tokens) != want:
        raise MBMError(f"{path.name}: {len(tokens)} entries is not an ApproxTorch table: allowed {want} (256 x 256)")
    try:
        values = np.array([int(t) for t in tokens], dtype=object)
    except ValueError:
        bad = next(t for t in tokens if not re.fullmatch(r"[+-]?\d+", t))
        raise MBMError(f"{path.name}: {bad!r} is not an integer: allowed integer entries only") from None
    info = np.iinfo(np.int32)
    if min(values) < info.min or max(values) > info.max:
        bad = min(values) if min(values) < info.min else max(values)
        raise MBMError(f"{path.name}: entry {bad} does not fit ApproxTorch's int32")
    return values.astype(np.int64).reshape(256, 256)

