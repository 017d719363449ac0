"""FPGA bring-up test vectors: stimulus and expected results with a verified manifest.

Why: the same operand/result words must check the Verilog in simulation (tb/replay/) and
the silicon on the board, so each set is written as $readmemh .hex, Xilinx .coe and Intel
.mif, with a manifest.json (parameters, counts, seed, sha256 of every file, pymodel version,
git commit) that :func:`load_set` verifies before anything uses the files. Expected results
come from :mod:`pymodel.core.arith` / :mod:`pymodel.core.conv` only. Same seed, same bytes.

Layout: ``<out>/<dut>/<config>/{stim,expect[,bias]}.{hex,coe,mif}`` + ``manifest.json``,
with config = ``<kind>-<mult>-n<N>-t<TRUNC>[-frac][-l<LANES>-a<ACC_W>]`` (an imported
multiplier: ``<kind>-<lut|verilog>-<name>-n<N>[-twos]-l<LANES>-a<ACC_W>``). Kinds:
exhaustive (every operand encoding, N <= 8), corners (every pair of the corner operands of
:mod:`pymodel.core.corners`, signed ones with negative zero), random (uniform pairs, seeded) and, for
``mbm_mac_array``, layer (the im2col dot products of a real conv layer tile) and layer-sat
(the same with a narrow accumulator so that lanes saturate).

An imported multiplier (``--mult verilog:...``) makes MAC-array sets, and with ``--dut
mbm_mul``/``mbm_mul_signed`` sets of mbm_mul_axis's slot (what ``pymodel fpga`` brings up;
the multiplier replay bench drives the built-in multipliers only): the manifest's
mul_config is :func:`mul_record` (its spec, repository-relative or absolute, and the sha256
of its table and file), read back by :func:`pymodel.hw.multiplier.from_dict` (which
re-imports it and refuses changed products), the expected results are its table's, and the
array's replay bench builds it with the module in its slot (:mod:`pymodel.hw.imported_rtl`).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pymodel import __version__
from pymodel.core.arith import MulConfig, mul_signed, mul_unsigned, sm_decode, tc_decode
from pymodel.core.corners import corner_words
from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier, encoding, is_imported, spec_of, to_dict
from pymodel.hw import layers
from pymodel.hw.array_params import array_mul_config, array_parameters, check_parameters, slot_parameters
from pymodel.hw.multiplier import from_dict, portable
from pymodel.hw.vecformat import FORMATS, Field, Layout, pack_hex, pack_named, parse_hex, spread, write_memory

if TYPE_CHECKING:
    import torch

DUTS = ("mbm_mul", "mbm_mul_signed", "mbm_mac_array")
MUL_KINDS = ("exhaustive", "corners", "random")
ARRAY_KINDS = ("layer", "layer-sat")
MANIFEST_KEYS = ("dut", "config", "kind", "parameters", "mul_config", "seed", "counts", "memories", "files",
                 "pymodel_version", "git_commit")
RANDOM_COUNT = 65536
#: The manifest every set folder holds (what load_set, replay and the report look for).
MANIFEST = "manifest.json"


@dataclass
class VectorSet:
    """One set in memory: its memories are (layout, hex words) by name (stim, expect, bias)."""

    dut: str
    kind: str
    cfg: Multiplier
    seed: int
    memories: dict[str, tuple[Layout, list[str]]]
    counts: dict[str, int]
    parameters: dict[str, int] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def config(self) -> str:
        """Folder name of the set, e.g. ``exhaustive-mbm-n8-t0``."""
        c = self.cfg
        if isinstance(c, MulConfig):
            name = f"{self.kind}-{c.mult}-n{c.bits}-t{c.trunc}" + ("-frac" if c.frac_out else "")
        else:
            name = f"{self.kind}-{c.mult}-{c.name}-n{c.bits}" + ("-twos" if c.encoding == "twos" else "")
        if self.dut == "mbm_mac_array":
            name += f"-l{self.parameters['LANES']}-a{self.parameters['ACC_W']}"
        return name


def _rng(seed: int, name: str) -> np.random.Generator:
    """A generator per (seed, set name), so adding a set never shifts another's numbers."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _operand_patterns(kind: str, n: int, signed: bool, seed: int, count: int, name: str):
    """(a, b) operand bit patterns: N-bit (unsigned or two's complement) or (N+1)-bit
    sign-magnitude."""
    width = n + 1 if signed else n
    if kind == "exhaustive":
        if n > 8:
            raise MBMError(f"exhaustive set for bits={n}: allowed bits <= 8 (2^(2N) pairs)")
        values = np.arange(1 << width, dtype=np.int64)
    elif kind == "corners":
        values = corner_words(n, signed)
    elif kind == "random":
        pair = _rng(seed, name).integers(0, 1 << width, size=(2, count), dtype=np.int64)
        return pair[0], pair[1]
    else:
        raise MBMError(f"unknown multiplier set {kind!r}: allowed {', '.join(MUL_KINDS)}")
    a, b = np.meshgrid(values, values, indexing="ij")
    return a.reshape(-1), b.reshape(-1)


def mul_set(dut: str, kind: str, cfg: Multiplier, seed: int = 1, count: int = RANDOM_COUNT) -> VectorSet:
    """A multiplier set: stim {a, b} and expect {p} exactly as the DUT's ports carry them.

    An imported ``cfg`` is the module in mbm_mul_axis's slot (IMPORTED=1; the bring-up runs
    these sets, :mod:`pymodel.hw.fpga.bringup`): ``mbm_mul`` its own unsigned operands and
    product, ``mbm_mul_signed`` sign-magnitude operands wrapped around an unsigned module
    (its network table) or a two's complement module's own operands (TWOS=1)."""
    if dut not in ("mbm_mul", "mbm_mul_signed"):
        raise MBMError(f"dut {dut!r} is not a multiplier: allowed mbm_mul, mbm_mul_signed")
    signed = dut == "mbm_mul_signed"
    if isinstance(cfg, MulConfig):
        params = cfg.rtl_parameters()
    else:
        if encoding(cfg) == "twos" and not signed:
            raise MBMError(f"{spec_of(cfg)} has two's complement operands: mbm_mul_axis takes them with "
                           f"SIGNED=1: allowed --dut mbm_mul_signed")
        params = slot_parameters(cfg)
    vs = VectorSet(dut, kind, cfg, seed, {}, {}, params)
    twos = params.get("TWOS", 0) == 1
    sm = signed and not twos  # (N+1)-bit sign-magnitude operand words
    a, b = _operand_patterns(kind, cfg.bits, sm, seed, count, f"{dut}/{vs.config}")
    width = cfg.bits + 1 if sm else cfg.bits
    if isinstance(cfg, MulConfig):
        if signed:
            p = mul_signed(sm_decode(a, cfg.bits), sm_decode(b, cfg.bits), cfg)
            p_field = Field("p", cfg.product_bits + 1, "tc")
        else:
            p = mul_unsigned(a, b, cfg)
            p_field = Field("p", cfg.product_bits, "u")
    else:
        table = cfg.network_table if signed else cfg.table
        if sm:
            x, y = sm_decode(a, cfg.bits), sm_decode(b, cfg.bits)
        elif twos:
            x, y = tc_decode(a, cfg.bits), tc_decode(b, cfg.bits)
        else:
            x, y = a, b
        p = table.mul(x, y)
        p_field = Field("p", table.product_bits, "tc" if table.signed else "u")
    stim = Layout((Field("a", width), Field("b", width)))
    expect = Layout((p_field,))
    vs.memories = {"stim": (stim, pack_hex(stim, [a, b])), "expect": (expect, pack_hex(expect, [p]))}
    vs.counts = {"vectors": int(a.size)}
    return vs


# ---- the MAC array ----

@dataclass
class ArrayProgram:
    """What the MAC array sees for P output pixels x Cout channels, LANES at a time.

    Dot product d = p * groups + g computes pixel p, channels g*LANES .. g*LANES+LANES-1
    (channels past Cout get zero weights and bias). Beats: K per dot product, in im2col
    column order; last marks the K-th.
    """

    last: np.ndarray  # (beats,) 0/1
    act: np.ndarray  # (beats,)
    wgt: np.ndarray  # (beats, lanes), lane 0 first
    bias: np.ndarray  # (dots, lanes)
    lanes: int
    cout: int

    @property
    def groups(self) -> int:
        return -(-self.cout // self.lanes)

    def lane_view(self, per_channel: "torch.Tensor | np.ndarray") -> np.ndarray:
        """(P, Cout) per-channel results as (dots, lanes), zero in the padding lanes."""
        x = np.asarray(per_channel)
        pad = np.zeros((x.shape[0], self.groups * self.lanes), dtype=x.dtype)
        pad[:, : self.cout] = x
        return pad.reshape(-1, self.lanes)


def array_program(rows: "torch.Tensor", w: "torch.Tensor", bias: "torch.Tensor", lanes: int) -> ArrayProgram:
    """Stream the dot products of im2col rows (P, K) with weight rows (Cout, K)."""
    r = np.asarray(rows, dtype=np.int64)
    wt = np.asarray(w, dtype=np.int64)
    p, k = r.shape
    cout = wt.shape[0]
    groups = -(-cout // lanes)
    wpad = np.zeros((groups * lanes, k), dtype=np.int64)
    wpad[:cout] = wt
    bpad = np.zeros(groups * lanes, dtype=np.int64)
    bpad[:cout] = np.asarray(bias, dtype=np.int64)
    wgt = np.tile(wpad.reshape(groups, lanes, k).transpose(0, 2, 1).reshape(-1, lanes), (p, 1))
    last = np.zeros((p * groups, k), dtype=np.int64)
    last[:, -1] = 1
    return ArrayProgram(
        last=last.reshape(-1),
        act=np.repeat(r, groups, axis=0).reshape(-1),
        wgt=wgt,
        bias=np.tile(bpad.reshape(groups, lanes), (p, 1)),
        lanes=lanes,
        cout=cout,
    )


def array_ports(bits: int, lanes: int, acc_w: int, encoding: str = "signmag") -> dict[str, Layout]:
    """The stream ports of mbm_mac_array as word layouts, most significant field first: the
    packing of the module's header, written once for the bench, the vectors and cosim.

    s_axis_tdata {act, w[LANES-1..0]}, s_axis_tuser {b[LANES-1..0]}, m_axis_tdata
    {acc[LANES-1..0]}, m_axis_tuser {ovf[LANES-1..0]} (lane i's field named w<i>, b<i>, ...).
    Operands are (bits+1)-bit sign-magnitude, or with encoding "twos" (TWOS=1) bits-bit two's
    complement (:func:`pymodel.core.multiplier.encoding`).
    """
    width, enc = (bits + 1, "sm") if encoding == "signmag" else (bits, "tc")
    down = list(reversed(range(lanes)))
    return {
        "s_axis_tdata": Layout(tuple(Field(name, width, enc) for name in ["act", *[f"w{i}" for i in down]])),
        "s_axis_tuser": Layout(tuple(Field(f"b{i}", acc_w, "tc") for i in down)),
        "m_axis_tdata": Layout(tuple(Field(f"acc{i}", acc_w, "tc") for i in down)),
        "m_axis_tuser": Layout(tuple(Field(f"ovf{i}", 1) for i in down)),
    }


def array_layouts(bits: int, lanes: int, acc_w: int, encoding: str = "signmag") -> dict[str, Layout]:
    """Word layouts of the MAC-array replay bench: stim {s_axis_tlast, s_axis_tdata}, bias
    s_axis_tuser, expect {m_axis_tuser, m_axis_tdata}."""
    ports = array_ports(bits, lanes, acc_w, encoding)
    return {
        "stim": Layout((Field("last", 1), *ports["s_axis_tdata"].fields)),
        "bias": ports["s_axis_tuser"],
        "expect": Layout(ports["m_axis_tuser"].fields + ports["m_axis_tdata"].fields),
    }


def array_memories(prog: ArrayProgram, acc: np.ndarray, ovf: np.ndarray, bits: int, acc_w: int,
                   encoding: str = "signmag") -> dict[str, tuple[Layout, list[str]]]:
    """Packed stim/bias/expect words; acc and ovf are (dots, lanes)."""
    lay = array_layouts(bits, prog.lanes, acc_w, encoding)
    stim = {"last": prog.last, "act": prog.act, **spread("w", prog.wgt)}
    expect = {**spread("ovf", ovf.astype(np.int64)), **spread("acc", acc)}
    return {
        "stim": (lay["stim"], pack_named(lay["stim"], stim)),
        "bias": (lay["bias"], pack_named(lay["bias"], spread("b", prog.bias))),
        "expect": (lay["expect"], pack_named(lay["expect"], expect)),
    }


def array_set(kind: str, cfg: Multiplier, lanes: int, seed: int = 1, layer: str = "synthetic",
              tile: str = "0:0:2:4", acc_bits: int | None = None) -> VectorSet:
    """A real-layer dot-product set for mbm_mac_array (see :mod:`pymodel.hw.layers`)."""
    if kind not in ARRAY_KINDS:
        raise MBMError(f"unknown array set {kind!r}: allowed {', '.join(ARRAY_KINDS)}")
    q = layers.quantize_layer(*layers.load_layer(layer, seed), cfg)
    t = layers.Tile.parse(tile, q.output_hw)
    rows, w = layers.tile_rows(q, t), q.w_q.reshape(q.w_q.shape[0], -1)
    if acc_bits is None:
        acc_bits = layers.min_acc_bits(cfg) if kind == "layer-sat" else layers.default_acc_bits(q)
    acc, ovf = layers.reference(q, t, acc_bits)
    prog = array_program(rows, w, q.bias_q, lanes)
    params = array_parameters(cfg, lanes, acc_bits)
    mem = array_memories(prog, prog.lane_view(acc), prog.lane_view(ovf), cfg.bits, acc_bits, encoding(cfg))
    info = {"layer": q.name, "tile": t.as_list(), "saturated": int(ovf.sum()), "k": int(rows.shape[1])}
    return VectorSet("mbm_mac_array", kind, cfg, seed, mem,
                     {"beats": int(prog.last.size), "dots": int(prog.bias.shape[0])}, params, info)


# ---- files ----

def git_commit() -> str:
    """HEAD of the repository this package lives in ("unknown" outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, as the manifest records it."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mul_record(m: Multiplier) -> dict[str, Any]:
    """The manifest's mul_config: :func:`pymodel.core.multiplier.to_dict`, an imported
    multiplier's spec with a path any cwd finds (:func:`pymodel.hw.multiplier.portable`;
    file_sha256 says which content it had)."""
    record = to_dict(m)
    if is_imported(record):
        record["spec"] = portable(m.source).spec
    return record


def write_set(vs: VectorSet, root: Path, commit: str | None = None) -> Path:
    """Write ``root/<dut>/<config>/`` and its manifest; returns the folder."""
    folder = Path(root) / vs.dut / vs.config
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, (layout, words) in vs.memories.items():
        for path in write_memory(folder / name, words, layout):
            files[path.name] = file_sha256(path)
    manifest = {
        "dut": vs.dut,
        "config": vs.config,
        "kind": vs.kind,
        "parameters": vs.parameters,
        "mul_config": mul_record(vs.cfg),
        "seed": vs.seed,
        "counts": vs.counts,
        "memories": {n: {"layout": lay.to_json(), "width": lay.width, "words": len(w)}
                     for n, (lay, w) in vs.memories.items()},
        "files": dict(sorted(files.items())),
        "pymodel_version": __version__,
        "git_commit": git_commit() if commit is None else commit,
        "info": vs.info,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return folder


@dataclass
class LoadedSet:
    """A verified set: its manifest and the hex words of each memory."""

    folder: Path
    manifest: dict[str, Any]
    words: dict[str, list[str]]

    def layout(self, name: str) -> Layout:
        return Layout.from_json(self.manifest["memories"][name]["layout"])

    @property
    def cfg(self) -> Multiplier:
        """The multiplier the set was made for (its manifest's mul_config; an imported one
        re-imported, see :func:`pymodel.hw.multiplier.from_dict`)."""
        return from_dict(self.manifest["mul_config"])


def _check_built(params: dict[str, Any], record: dict[str, Any]) -> None:
    """Refuse a manifest whose parameters build another multiplier than its mul_config."""
    if is_imported(record):
        check_parameters(params, from_dict(record))
        return
    cfg, built = MulConfig.from_dict(record), array_mul_config(params)
    if built != cfg:
        raise MBMError(f"parameters {params} build {built.label}, "
                       f"but mul_config says {cfg.label}: allowed a manifest that agrees with itself")


def load_set(folder: str | Path) -> LoadedSet:
    """Read a set, refusing (one-line MBMError) a missing or malformed manifest (one whose
    parameters build another multiplier than its mul_config names included), a file whose
    sha256 differs from the manifest, or a .hex file whose words do not match its layout."""
    folder = Path(folder)
    mpath = folder / MANIFEST
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError) as err:
        raise MBMError(f"{mpath}: unreadable manifest ({type(err).__name__}): allowed a JSON manifest") from None
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing or manifest["dut"] not in DUTS:
        raise MBMError(f"{mpath}: missing keys {missing} or unknown dut {manifest.get('dut')!r}")
    try:
        _check_built(manifest["parameters"], manifest["mul_config"])
    except MBMError as err:
        raise MBMError(f"{mpath}: {err}") from None
    for name in manifest["memories"]:
        for fmt in FORMATS:
            if f"{name}.{fmt}" not in manifest["files"]:
                raise MBMError(f"{mpath}: no sha256 for {name}.{fmt}: allowed manifests list every file")
    for fname, want in manifest["files"].items():
        path = folder / fname
        if not path.is_file():
            raise MBMError(f"{path} is missing: the manifest lists it")
        got = file_sha256(path)
        if got != want:
            raise MBMError(f"{path}: sha256 {got[:16]}... does not match the manifest's {want[:16]}...: "
                           "the file was changed or corrupted; regenerate the set")
    words = {}
    for name, mem in manifest["memories"].items():
        layout = Layout.from_json(mem["layout"])
        words[name] = parse_hex((folder / f"{name}.hex").read_text(), layout, str(folder / f"{name}.hex"))
        if len(words[name]) != mem["words"]:
            raise MBMError(f"{folder / name}.hex has {len(words[name])} words: the manifest says {mem['words']}")
    return LoadedSet(folder, manifest, words)


# ---- the default sets of `make vectors` ----

def default_sets(seed: int) -> list[VectorSet]:
    """Exhaustive 8-bit (unsigned, signed, Mitchell), corners at 4..16 bits, random 16-bit,
    and two real-layer sets for the MAC array (one that saturates)."""
    mbm8 = MulConfig("mbm", 8)
    sets = [
        mul_set("mbm_mul", "exhaustive", mbm8, seed),
        mul_set("mbm_mul_signed", "exhaustive", mbm8, seed),
        mul_set("mbm_mul", "exhaustive", MulConfig("mitchell", 8), seed),
    ]
    for cfg in (MulConfig("mbm", 4), mbm8, MulConfig("mbm", 12, trunc=2), MulConfig("mbm", 16),
                MulConfig("mbm", 16, trunc=8, frac_out=True), MulConfig("mitchell", 16)):
        sets.append(mul_set("mbm_mul", "corners", cfg, seed))
    for cfg in (mbm8, MulConfig("mbm", 16)):
        sets.append(mul_set("mbm_mul_signed", "corners", cfg, seed))
    for dut in ("mbm_mul", "mbm_mul_signed"):
        sets.append(mul_set(dut, "random", MulConfig("mbm", 16), seed))
    sets.append(mul_set("mbm_mul", "random", MulConfig("mbm", 16, trunc=4, frac_out=True), seed))
    sets.append(array_set("layer", mbm8, lanes=16, seed=seed))
    sets.append(array_set("layer-sat", mbm8, lanes=8, seed=seed))
    return sets
