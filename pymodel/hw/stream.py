"""Whole conv layers through ``rtl/mbm_mac_array.v`` at simulation speed: a C++ harness on pipes.

Why: the replay bench (:mod:`pymodel.hw.replay`) reads $readmemh text, which is right for
what an FPGA mirrors but makes Python's hex formatting and the file I/O, not the simulation,
set the pace (about 3 M MAC/s); a full decoder layer is up to 3.7 G MACs. Here Verilator
compiles the array itself with ``tb/stream/mbm_mac_array_stream.cpp`` (``--cc --exe``), the
weights and biases go in once as binary port words (:func:`pymodel.hw.vecformat.pack_words`
of :func:`pymodel.hw.vectors.array_ports`, the lane and beat order of
:func:`pymodel.hw.vectors.array_program`), and per output pixel only its im2col row of
activation codes crosses a pipe; the results come back as raw port words, unpacked here.
The harness is a bit mover with random input/output stalls; every comparison is the
caller's (:mod:`pymodel.hw.cosim`).

The RTL file list is the array's core file (:mod:`pymodel.hw.cores`), the parameters
:func:`pymodel.hw.array_params.array_parameters`, the build cache :mod:`pymodel.hw.buildcache`
(``build/stream/<parameters>/``). An imported ``verilog:`` multiplier adds its slot's files
first (:func:`pymodel.hw.imported_rtl.sources`: the Verilator waiver, the generated wrapper,
the user's file) and builds under ``build/stream/<slot folder>/<parameters>/``, one folder
per module and encoding, so that its builds never evict the built-in ones; an unsigned
module sits in the sign-magnitude array, a ``:signed`` one in the two's complement array
(TWOS=1, (N)-bit operand fields: :func:`pymodel.hw.vectors.array_ports`). The harness
itself does not know the encoding: it ORs the activation codes Python packed into their
field.
"""

from __future__ import annotations

import os
import queue
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import Multiplier
from pymodel.core.paths import BUILD_DIR, TB_DIR
from pymodel.hw import buildcache, cores, imported_rtl, vectors
from pymodel.hw.replay import verilator_build
from pymodel.hw.vecformat import Layout, gather, pack_words, spread, unpack_words, words32

HARNESS = TB_DIR / "stream" / "mbm_mac_array_stream.cpp"
BUILD_ROOT = BUILD_DIR / "stream"
DUT = "mbm_mac_array"
PRODUCT = "mbm_mac_array_stream"
#: Verilator options of the harness build: a C++ main, the model at -O2 (the default -Os
#: halves the simulation speed), X's resolved fast (every register of the array is reset).
OPTIONS = ("--cc", "--exe", "--build", "-Wno-fatal", "--x-assign", "fast", "--x-initial", "fast",
           "-MAKEFLAGS", "OPT_FAST=-O2 VM_PARALLEL_BUILDS=0", "-CFLAGS", "-O2")
MAGIC, VERSION = b"MBMS", 1


def sources(rtl: Sequence[Path] | None = None, mult: Multiplier | None = None) -> tuple[Path, ...]:
    """The files of a harness build: the slot of an imported ``mult`` (none for a built-in
    one or None), the array's RTL (its core file's list, or ``rtl``: a broken copy in a
    test) and the harness."""
    slot = () if mult is None else imported_rtl.sources(mult)
    return (*slot, *(cores.sources(DUT) if rtl is None else rtl), HARNESS)


def build_key(parameters: Mapping[str, int], rtl: Sequence[Path] | None = None,
              mult: Multiplier | None = None) -> str:
    """What a harness build is made of (sources, the imported slot's included, options,
    parameters): part of a layer's fingerprint, so a changed RTL file or user's module
    makes a finished layer stale."""
    import verilator

    return buildcache.key(sources(rtl, mult), {"options": OPTIONS, "parameters": dict(parameters),
                                               "verilator": verilator.__version__})


def build(parameters: Mapping[str, int], rtl: Sequence[Path] | None = None, mult: Multiplier | None = None) -> Path:
    """Compile (or reuse) the harness for one parameter set, with ``mult``'s slot if it is
    an imported multiplier; returns the binary. Other RTL than the core's builds under its
    own folder, so it never evicts the real build; so does each imported module's slot."""
    slot = () if mult is None else imported_rtl.sources(mult)
    root = BUILD_ROOT / slot[0].parent.name if slot else BUILD_ROOT
    if rtl is not None:
        root = root / f"rtl-{build_key(parameters, rtl, mult)[:12]}"
    return verilator_build(DUT, sources(rtl, mult), OPTIONS, parameters, root, PRODUCT)


def _offset(layout: Layout, name: str) -> int:
    """Bit position of field ``name``'s least significant bit in a word of ``layout``."""
    pos = layout.width
    for f in layout.fields:
        pos -= f.bits
        if f.name == name:
            return pos
    raise MBMError(f"no field {name!r} in the layout")


@dataclass
class Setup:
    """One layer's weights and biases for the harness: the port layouts and packed words."""

    ports: dict[str, Layout]
    prog: vectors.ArrayProgram  # one pixel's beats: the lane mapping (lane_view) and beat order
    tdata: np.ndarray  # (groups * k, words) s_axis_tdata with act = 0, group-major
    tuser: np.ndarray  # (groups, words) s_axis_tuser

    @property
    def k(self) -> int:
        return self.prog.wgt.shape[0] // self.groups

    @property
    def lanes(self) -> int:
        return self.prog.lanes

    @property
    def groups(self) -> int:
        return self.prog.groups

    def write(self, path: Path) -> Path:
        p = self.ports
        head = np.array([self.k, self.groups, _offset(p["s_axis_tdata"], "act"), p["s_axis_tdata"].fields[0].bits,
                         *(p[n].width for n in ("s_axis_tdata", "s_axis_tuser", "m_axis_tdata", "m_axis_tuser"))],
                        dtype="<u4")
        with open(path, "wb") as fh:
            fh.write(MAGIC + np.array([VERSION], dtype="<u4").tobytes() + head.tobytes())
            fh.write(np.ascontiguousarray(self.tdata).tobytes())
            fh.write(np.ascontiguousarray(self.tuser).tobytes())
        return path

    def codes(self, rows: np.ndarray) -> np.ndarray:
        """im2col rows (pixels, k) as the activation field's codes (sign-magnitude, or two's
        complement in a TWOS=1 array), uint16."""
        act = self.ports["s_axis_tdata"].fields[0]
        return act.encode(np.asarray(rows).reshape(-1)).astype("<u2").reshape(-1, self.k)

    def results(self, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(dots, words) result words as (dots, lanes) accumulators and overflow flags."""
        mdw = words32(self.ports["m_axis_tdata"])
        acc = gather("acc", unpack_words(self.ports["m_axis_tdata"], words[:, :mdw]), self.lanes)
        ovf = gather("ovf", unpack_words(self.ports["m_axis_tuser"], words[:, mdw:]), self.lanes)
        return acc, ovf.astype(bool)


def setup(w: np.ndarray, bias: np.ndarray, bits: int, lanes: int, acc_w: int, encoding: str = "signmag") -> Setup:
    """The harness setup of weight rows (Cout, K) and bias (Cout,), LANES channels a beat;
    encoding: the operand fields' (:func:`pymodel.core.multiplier.encoding`)."""
    w = np.asarray(w, dtype=np.int64)
    prog = vectors.array_program(np.zeros((1, w.shape[1]), dtype=np.int64), w, bias, lanes)
    ports = vectors.array_ports(bits, lanes, acc_w, encoding)
    cols = {"act": np.zeros(prog.wgt.shape[0], dtype=np.int64), **spread("w", prog.wgt)}
    tdata = pack_words(ports["s_axis_tdata"], [cols[f.name] for f in ports["s_axis_tdata"].fields])
    bcols = spread("b", prog.bias)
    tuser = pack_words(ports["s_axis_tuser"], [bcols[f.name] for f in ports["s_axis_tuser"].fields])
    return Setup(ports, prog, tdata, tuser)


@dataclass
class Trailer:
    """What the harness counted over the whole stream."""

    cycles: int
    beats: int
    dots: int
    overflow: bool
    #: CPU seconds the harness process used: the simulation's cost whatever the machine's load
    cpu_seconds: float = 0.0


class Stream:
    """A running harness: :meth:`run` feeds pixel chunks and yields their result words.

    A writer thread pushes the activation codes into the harness's stdin while the caller
    reads the results of earlier chunks, so Python's im2col and the simulation overlap.
    Leaving the ``with`` block ends the process (also on Ctrl-C)."""

    def __init__(self, binary: Path, s: Setup, setup_path: Path, *, stall: int, seed: int) -> None:
        self.setup = s
        s.write(setup_path)
        self.proc = subprocess.Popen([str(binary), str(setup_path), str(stall), str(seed)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.trailer: Trailer | None = None
        self._sizes: queue.Queue[int | None] = queue.Queue()
        self._error: BaseException | None = None

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()

    def _write(self, chunks: Iterable[np.ndarray]) -> None:
        try:
            for rows in chunks:
                codes = self.setup.codes(rows)
                self._sizes.put(codes.shape[0])
                self.proc.stdin.write(np.array([codes.shape[0]], dtype="<u4").tobytes() + codes.tobytes())
            self.proc.stdin.write(np.zeros(1, dtype="<u4").tobytes())
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # the harness ended; the reader reports why
        except BaseException as err:  # noqa: BLE001 - handed to the reading thread
            self._error = err
        finally:
            self._sizes.put(None)
            try:
                self.proc.stdin.close()
            except OSError:
                pass

    def _read(self, nbytes: int, what: str) -> bytes:
        data = self.proc.stdout.read(nbytes)
        if len(data) != nbytes:
            self.proc.wait()
            err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
            raise MBMError(f"the MAC-array harness stopped (exit {self.proc.returncode}) before the {what}: "
                           f"{err[-1] if err else 'no message'}")
        return data

    def run(self, chunks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Stream im2col row chunks (pixels, K); yield each chunk's (pixels * groups, words)
        uint32 result words (pixel-major, group-minor); :attr:`trailer` is set at the end."""
        writer = threading.Thread(target=self._write, args=(chunks,), daemon=True)
        writer.start()
        p = self.setup.ports
        per_dot = words32(p["m_axis_tdata"]) + words32(p["m_axis_tuser"])
        while (n := self._sizes.get()) is not None:
            dots = n * self.setup.groups
            yield np.frombuffer(self._read(dots * per_dot * 4, "results"), dtype="<u4").reshape(dots, per_dot)
        writer.join()
        if self._error is not None:
            raise self._error
        cycles, beats, dots, ovf = (int(v) for v in np.frombuffer(self._read(32, "trailer"), dtype="<u8"))
        _, status, usage = os.wait4(self.proc.pid, 0)  # reaped here for its CPU time, not by Popen
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.trailer = Trailer(cycles, beats, dots, bool(ovf), usage.ru_utime + usage.ru_stime)
