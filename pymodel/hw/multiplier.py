"""Spec string -> multiplier: the one place a ``lut:`` or ``verilog:`` spec becomes products.

Why here, one layer above :mod:`pymodel.core.multiplier`: a ``verilog:`` spec is resolved by
simulating the module exhaustively (:mod:`pymodel.hw.verilog_import`), which needs the
simulator. Every command and the Python API call :func:`resolve`; result files that recorded
an imported multiplier are read back with :func:`from_dict`, which re-imports it and refuses
a file whose products changed since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import (
    IMPORT_KEYS,
    Multiplier,
    TableMultiplier,
    import_table,
    is_imported,
    source_sha256,
    spec_of,
)
from pymodel.core.paths import REPO_ROOT
from pymodel.core.spec import ImportSpec, parse_any


def resolve(spec: str | ImportSpec | Multiplier, *, bits: int | None = None, signed: bool = False) -> Multiplier:
    """The multiplier a spec names.

    bits: when given, must equal the multiplier's operand width (a table's or module's width
    is read from it). signed: two's-complement operands for an imported multiplier (as a
    ``:signed`` suffix); a built-in multiplier keeps sign-magnitude, so it is ignored there.
    """
    m = parse_any(spec) if isinstance(spec, str) else spec
    if isinstance(m, ImportSpec):
        m = _import(replace(m, signed=m.signed or signed))
    if bits is not None and m.bits != bits:
        raise MBMError(f"--bits {bits} disagrees with {spec_of(m)}, whose operands are {m.bits} bits wide: "
                       f"allowed --bits {m.bits} or no --bits")
    return m


def from_dict(data: Mapping[str, Any]) -> Multiplier:
    """The multiplier a result file recorded (:func:`pymodel.core.multiplier.to_dict`): a
    built-in config, or the imported one re-imported from its spec (a relative path read
    from the repository root, as :func:`portable` records it), refused if its table's
    sha256 differs from the recorded one (the file changed since the result was made)."""
    if not is_imported(data):
        return MulConfig.from_dict(data)
    missing = [k for k in IMPORT_KEYS if k not in data]
    if missing:
        raise MBMError(f"imported multiplier record {dict(data)} lacks {', '.join(missing)}: "
                       f"allowed keys {', '.join(IMPORT_KEYS)}")
    m = resolve(anchored(parse_any(str(data["spec"]))))
    if m.table.sha256 != data["table_sha256"]:
        raise MBMError(f"{data['spec']!r}: its products changed since this result was made (table sha256 "
                       f"{m.table.sha256[:12]}, recorded {str(data['table_sha256'])[:12]}): rerun with the current file")
    return m


def portable(spec: ImportSpec) -> ImportSpec:
    """The spec as a record that outlives the working directory: its path relative to the
    repository root when the file is inside it, else absolute (a path the user typed is
    relative to the cwd of that command, which a later reader does not know)."""
    path = Path(spec.path).resolve()
    try:
        return replace(spec, path=str(path.relative_to(REPO_ROOT)))
    except ValueError:
        return replace(spec, path=str(path))


def anchored(spec: ImportSpec | MulConfig) -> ImportSpec | MulConfig:
    """A recorded spec's file found from any cwd: a relative path is read from the
    repository root (the inverse of :func:`portable`); built-ins as they are."""
    if isinstance(spec, MulConfig):
        return spec
    return replace(spec, path=str((REPO_ROOT / spec.path).resolve()))


def _import(spec: ImportSpec) -> TableMultiplier:
    if spec.kind == "lut":
        return import_table(spec)
    from pymodel.hw.verilog_import import import_verilog

    file_sha256 = source_sha256(spec)
    table, _ = import_verilog(Path(spec.path).resolve(), spec.module, signed=spec.signed)
    return TableMultiplier(spec, table, file_sha256)
