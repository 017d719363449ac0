"""pyuvm environment of mbm_mac_array (LANES approximate MAC lanes, AXI-Stream in and out).

Split the OpenTitan way: configuration (cfg.py), agent and pin packing on the generic
stream BFM (agent.py), scoreboard against pymodel.core.conv.dot_int (scoreboard.py),
coverage (coverage.py), sequence library (seq_lib.py), the test base (base_test.py) and
this env, which connects them: the agent's input beats, output beats and resets go to the
scoreboard and the handshake coverage of tb/common/axis.py, its resets and the scoreboard's
checked rows to the array's coverage. The scoreboard is
made by the pyuvm factory, so a test can swap in a deliberately wrong one.
"""

from __future__ import annotations

from pymodel.hw.tb.common.axis import handshake_coverage, in_features, out_features, reset_features
from pymodel.hw.tb.common.cfg import get_cfg
from pymodel.hw.tb.common.components import FeatureCoverage, StreamEnv
from pymodel.hw.tb.common.coverage import BatchCoverage
from pymodel.hw.tb.mbm_mac_array.coverage import MacArrayCoverage
from pymodel.hw.tb.mbm_mac_array.scoreboard import MacArrayScoreboard


class MacArrayEnv(StreamEnv):
    scoreboard_type = MacArrayScoreboard

    def build_phase(self) -> None:
        super().build_phase()
        self.cover = MacArrayCoverage("coverage", self)
        groups = handshake_coverage(get_cfg(self).cover_name, out_last=False)
        self.handshakes = [FeatureCoverage(f"handshake_{side}", self, group, features)
                           for side, group, features in zip(("in", "out", "reset"), groups,
                                                            (in_features, out_features, reset_features))]

    def connect_phase(self) -> None:
        super().connect_phase()
        self.agent.reset_ap.connect(self.cover.reset_export)
        self.scoreboard.ap.connect(self.cover.checked_export)
        for port, cover in zip((self.agent.in_ap, self.agent.out_ap, self.agent.reset_ap), self.handshakes):
            port.connect(cover.analysis_export)

    @property
    def coverages(self) -> list[BatchCoverage]:
        return [*self.cover.groups, *(cover.coverage for cover in self.handshakes)]
