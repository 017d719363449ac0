"""pyuvm environment of mbm_mac_array (LANES approximate MAC lanes, AXI-Stream in and out).

Split the OpenTitan way: configuration (cfg.py), agent and pin packing on the generic
stream BFM (agent.py), scoreboard against pymodel.core.conv.dot_int (scoreboard.py),
coverage (coverage.py), sequence library (seq_lib.py), the test base (base_test.py) and
this env, which connects them: the agent's input beats, output beats and resets go to the
scoreboard, its resets and the scoreboard's checked rows to the coverage. The scoreboard is
made by the pyuvm factory, so a test can swap in a deliberately wrong one.
"""

from __future__ import annotations

from pyuvm import uvm_env, uvm_sequencer

from pymodel.hw.tb.common.components import StreamAgent
from pymodel.hw.tb.common.coverage import BatchCoverage
from pymodel.hw.tb.mbm_mac_array.coverage import MacArrayCoverage
from pymodel.hw.tb.mbm_mac_array.scoreboard import MacArrayScoreboard


class MacArrayEnv(uvm_env):
    def build_phase(self) -> None:
        self.agent = StreamAgent("agent", self)
        self.scoreboard = MacArrayScoreboard.create("scoreboard", self)
        self.cover = MacArrayCoverage("coverage", self)

    def connect_phase(self) -> None:
        self.agent.in_ap.connect(self.scoreboard.in_export)
        self.agent.out_ap.connect(self.scoreboard.out_export)
        self.agent.reset_ap.connect(self.scoreboard.reset_export)
        self.agent.reset_ap.connect(self.cover.reset_export)
        self.scoreboard.ap.connect(self.cover.checked_export)

    @property
    def seqr(self) -> uvm_sequencer:
        return self.agent.seqr

    @property
    def coverages(self) -> list[BatchCoverage]:
        return self.cover.groups
