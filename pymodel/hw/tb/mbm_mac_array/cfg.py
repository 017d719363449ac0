"""The configuration of the mbm_mac_array environment (its ``<ip>_env_cfg``)."""

from __future__ import annotations

from dataclasses import dataclass

from pymodel.core.multiplier import Multiplier, encoding
from pymodel.hw.tb.common.cfg import EnvCfg
from pymodel.hw.vecformat import Layout
from pymodel.hw.vectors import array_ports


@dataclass
class MacArrayCfg(EnvCfg):
    """The RTL's multiplier (from N, TRUNC, FRAC_OUT, MITCHELL, EXACT, or the imported one in
    its slot, IMPORTED=1), LANES, ACC_W and the register slices SKID and PIPE (each one cycle
    of latency)."""

    rtl: Multiplier
    lanes: int
    acc_w: int
    skid: int = 0
    pipe: int = 0

    @property
    def latency(self) -> int:
        """Cycles from a tlast beat's transfer to its result's: 2 + PIPE + SKID
        (rtl/mbm_mac_array.v's header)."""
        return 2 + self.pipe + self.skid

    @property
    def stall_lookback(self) -> int:
        """Cycles from a tlast beat's transfer to the accumulators, plus SKID for the registered
        s_axis_tready (:class:`~tb.common.axis.AxisBfm`'s stall rule): 1 + PIPE + 2 SKID."""
        return 1 + self.pipe + 2 * self.skid

    @property
    def twos(self) -> bool:
        """Two's complement operands (TWOS=1), else sign-magnitude."""
        return encoding(self.rtl) == "twos"

    @property
    def ports(self) -> dict[str, Layout]:
        """The packing of the stream ports (rtl/mbm_mac_array.v's header)."""
        return array_ports(self.rtl.bits, self.lanes, self.acc_w, encoding(self.rtl))
