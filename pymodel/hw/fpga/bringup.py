"""The bring-up top's build inputs from one vector set: parameters, ROM files, block RAM.

Why: a vector set's manifest already says everything the hardware needs (DUT, its HDL
parameters, word layouts, counts), so the top is configured from it rather than by hand:
every parameter of the set goes to mbm_bringup_top as it is (a parameter the top does not
declare is refused, naming it, rather than dropped), and a set too large for the board is
refused before synthesis, naming what it needs and what the device has. The words are the
set's own .hex files (verified against the manifest's sha256 by
:func:`pymodel.hw.vectors.load_set`).

DUTs: the multipliers (mbm_mul, mbm_mul_signed: mbm_mul_axis, one result a stimulus word)
and mbm_mac_array (ARRAY=1: BEATS stimulus beats, a bias word and a result a dot product).
A set of an imported multiplier (``pymodel vectors --mult verilog:...``, IMPORTED=1) puts
the module in either DUT's slot: :attr:`Bringup.slot` is its generated wrapper and file
(:mod:`pymodel.hw.imported_rtl`), which synthesis and the RTL simulation read first. Such a
set is refused before anything runs when the module's file is no longer the one the set was
made from (its manifest's file_sha256): its expected words would be another circuit's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path

from pymodel.core.errors import MBMError
from pymodel.core.multiplier import TableMultiplier, is_imported, source_sha256
from pymodel.core.spec import parse_any
from pymodel.hw import cores, imported_rtl
from pymodel.hw.fpga import uart
from pymodel.hw.fpga.boards import Board
from pymodel.hw.multiplier import anchored
from pymodel.hw.vectors import MANIFEST, LoadedSet, load_set

DEFAULT_SET = "mbm_mul/exhaustive-mbm-n8-t0"
TOP = "mbm_bringup_top"
#: vector-set DUT -> the top's DUT parameters beyond the set's own (mbm_mul_axis's SIGNED,
#: LATENCY; ARRAY=1 is mbm_mac_array)
DUT_PARAMETERS = {"mbm_mul": {"SIGNED": 0}, "mbm_mul_signed": {"SIGNED": 1}, "mbm_mac_array": {"ARRAY": 1}}
#: DP16KD aspect ratios (depth, width); the ROMs map onto whichever needs fewest blocks
EBR_SHAPES = ((16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18))
LATENCY = 2
STALL_PCT = 25
BAUD = 115200
#: cycles without a result after which the top ends the run as TIMEOUT (mbm_bringup_top),
#: at least; longer dot products get a longer bound (:attr:`Bringup.watchdog`)
WATCHDOG = 65536


def ebr_blocks(depth: int, width: int) -> int:
    """Block RAMs one depth x width ROM needs in the best DP16KD shape."""
    return min(-(-depth // d) * -(-width // w) for d, w in EBR_SHAPES)


@cache
def top_parameters() -> frozenset[str]:
    """The parameters mbm_bringup_top declares (read from its RTL, the last file of its core)."""
    text = cores.sources(TOP)[-1].read_text()
    return frozenset(re.findall(r"^\s*parameter\s+(\w+)\s*=", text, re.M))


def available_sets(vectors: Path) -> list[str]:
    """Names (folder below ``vectors``) of every set with a manifest."""
    return sorted(str(m.parent.relative_to(vectors)) for m in vectors.glob("**/manifest.json"))


@dataclass
class Bringup:
    """One bring-up build: the set, the board, the clock and the top's parameters."""

    name: str  #: the set's folder below vectors/, e.g. mbm_mul/exhaustive-mbm-n8-t0
    vs: LoadedSet
    board: Board
    clock_mhz: float
    stall_pct: int
    baud: int = BAUD
    #: bringup_clock's PLL parameters (pymodel.hw.fpga.clock.pll); empty: the oscillator
    pll: dict[str, int] = field(default_factory=dict)

    @property
    def array(self) -> bool:
        return self.vs.manifest["dut"] == "mbm_mac_array"

    @cached_property
    def imported(self) -> TableMultiplier | None:
        """The imported multiplier in the DUT's slot (None: a built-in one)."""
        m = self.vs.cfg
        return m if isinstance(m, TableMultiplier) else None

    @cached_property
    def slot(self) -> imported_rtl.Slot | None:
        """The imported multiplier's wrapper and file (None: a built-in multiplier)."""
        return None if self.imported is None else imported_rtl.slot(self.imported)

    @property
    def count(self) -> int:
        """Results: products, or dot products (the expected words)."""
        return len(self.vs.words["expect"])

    @property
    def beats(self) -> int:
        """Stimulus words (one a product, or every beat of every dot product)."""
        return len(self.vs.words["stim"])

    @property
    def memories(self) -> tuple[str, ...]:
        """The set's ROMs: stim and expect, and bias for the array."""
        return ("stim", "expect", "bias") if self.array else ("stim", "expect")

    @property
    def widths(self) -> dict[str, int]:
        return {m: self.vs.layout(m).width for m in self.memories}

    @property
    def longest_dot(self) -> int:
        """Beats of the longest dot product (1 for a multiplier): what bounds the gap
        between two results."""
        if not self.array:
            return 1
        top = 1 << (self.widths["stim"] - 1)  # the last flag, the word's top bit
        ends = [i for i, w in enumerate(self.vs.words["stim"]) if int(w, 16) & top]
        return max(b - a for a, b in zip([-1, *ends], ends)) if ends else self.beats

    @property
    def watchdog(self) -> int:
        """The top's WATCHDOG: :data:`WATCHDOG` cycles, or 8 times the longest dot product
        at the stall rate if that is longer (a result may take that many cycles to come)."""
        return max(WATCHDOG, 8 * self.longest_dot * 100 // (100 - self.stall_pct))

    @property
    def text(self) -> bytes:
        return uart.template(self.name)

    @property
    def clks_per_bit(self) -> int:
        return round(self.clock_mhz * 1e6 / self.baud)

    @property
    def expected_crc(self) -> int:
        return uart.results_crc(self.vs.words["expect"], self.widths["expect"])

    def ebr_need(self) -> dict[str, int]:
        """Block RAMs per ROM (the text ROM is small enough for LUTs; counted anyway)."""
        need = {m: ebr_blocks(len(self.vs.words[m]), w) for m, w in self.widths.items()}
        need["text"] = 1
        return need

    def parameters(self) -> dict[str, int | str]:
        """mbm_bringup_top's parameters (strings are $readmemh file names in the build folder):
        the set's own HDL parameters, the DUT's (:data:`DUT_PARAMETERS`), the counts and the
        board's."""
        files = {f"{m.upper()}_FILE": f"{m}.hex" for m in (*self.memories, "text")}
        return {
            **self.vs.manifest["parameters"], **DUT_PARAMETERS[self.vs.manifest["dut"]],
            **({} if self.array else {"LATENCY": LATENCY}), "COUNT": self.count, "BEATS": self.beats,
            **files, "TEXT_LEN": len(self.text), "CLK_HZ": round(self.clock_mhz * 1e6), "BAUD": self.baud,
            "STALL_PCT": self.stall_pct, "RST_ACTIVE_LOW": int(self.board.reset_active_low),
            "WATCHDOG": self.watchdog, **self.pll,
        }

    def write_roms(self, folder: Path) -> None:
        """stim.hex, expect.hex, bias.hex for the array (the set's words) and text.hex (the
        line template)."""
        folder.mkdir(parents=True, exist_ok=True)
        for mem in self.memories:
            (folder / f"{mem}.hex").write_text("\n".join(self.vs.words[mem]) + "\n")
        (folder / "text.hex").write_text("".join(f"{b:02x}\n" for b in self.text))


def check_fresh(set_name: str, folder: Path) -> None:
    """Refuse (one line) a set of an imported multiplier whose Verilog file changed since
    the set was written (its manifest's file_sha256): a stale set. A manifest this cannot
    read is left to :func:`pymodel.hw.vectors.load_set`, which names what is wrong."""
    try:
        record = json.loads((folder / MANIFEST).read_text())["mul_config"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    if not is_imported(record) or "file_sha256" not in record:
        return
    spec = anchored(parse_any(str(record["spec"])))
    now = source_sha256(spec)
    if now != record["file_sha256"]:
        raise MBMError(f"set {set_name!r} is stale: it was made from {spec.path} with sha256 "
                       f"{str(record['file_sha256'])[:16]}..., the file now has {now[:16]}...: "
                       f"allowed a fresh set (`make vectors` or `pymodel vectors --mult {record['spec']} ...`)")


def plan(set_name: str, vectors: Path, board: Board, clock_mhz: float, stall_pct: int = STALL_PCT,
         baud: int = BAUD) -> Bringup:
    """Load and check the named set for this board (one-line MBMError on any bad input)."""
    folder = Path(vectors) / set_name
    if not (folder / "manifest.json").is_file():
        known = available_sets(Path(vectors))
        hint = f"allowed {', '.join(known)}" if known else f"no sets under {vectors}: run `make vectors`"
        raise MBMError(f"unknown vector set {set_name!r} under {vectors}: {hint}")
    if not 0 <= stall_pct <= 99:
        raise MBMError(f"--stall={stall_pct} is out of range: allowed 0..99 (percent)")
    if not 9600 <= baud <= clock_mhz * 1e6 / 8:
        raise MBMError(f"--baud={baud} is out of range at {clock_mhz:g} MHz: allowed 9600..{int(clock_mhz * 1e6 / 8)}")
    check_fresh(set_name, folder)
    vs = load_set(folder)
    dut = vs.manifest["dut"]
    if dut not in DUT_PARAMETERS:
        raise MBMError(f"set {set_name!r} is for {dut}: the bring-up top drives {', '.join(DUT_PARAMETERS)}")
    unknown = sorted(set(vs.manifest["parameters"]) - top_parameters())
    if unknown:
        raise MBMError(f"set {set_name!r} has parameter {', '.join(unknown)}, which {TOP} does not take: "
                       f"allowed {', '.join(sorted(top_parameters()))}")
    b = Bringup(set_name, vs, board, clock_mhz, stall_pct, baud)
    if b.imported is not None:
        _ = b.slot  # its circuit now: a lut: table (no RTL) or a module that no longer fits is refused before synthesis
    need = b.ebr_need()
    if sum(need.values()) > board.device.ebr:
        words = {m: len(vs.words[m]) for m in b.memories}
        bits = sum(words[m] * w for m, w in b.widths.items())
        raise MBMError(
            f"set {set_name!r} needs {sum(need.values())} block RAMs ("
            + " + ".join(f"{m} {words[m]} x {w}" for m, w in b.widths.items())
            + f" bits = {bits / 1024:.0f} kbit) but the {board.device.name} on {board.name} has "
            f"{board.device.ebr} x 18 kbit = {board.ebr_kbit} kbit: allowed a smaller set or a larger device")
    return b

