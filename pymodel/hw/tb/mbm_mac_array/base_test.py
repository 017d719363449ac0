"""The test base of mbm_mac_array: configuration from the HDL parameters, BFM, env."""

from __future__ import annotations

from pyuvm import uvm_sequence

from pymodel.hw.tb.common.base_test import BaseTest
from pymodel.hw.tb.mbm_mac_array.agent import make_bfm
from pymodel.hw.tb.mbm_mac_array.cfg import MacArrayCfg
from pymodel.hw.tb.mbm_mac_array.env import MacArrayEnv
from pymodel.hw.tb.mbm_mac_array.scoreboard import MacArrayOverrideScoreboard, MacArrayScoreboard
from pymodel.hw.array_params import array_mul_config
from pymodel.hw.tb.common.imported import rtl_multiplier


class MacArrayTestBase(BaseTest):
    """Configuration from the HDL parameters, the BFM and the env of mbm_mac_array."""

    default_samples = 20_000  # random beats after the directed sequences
    model_override = (MacArrayScoreboard, MacArrayOverrideScoreboard)

    def make_cfg(self, dut) -> MacArrayCfg:
        cfg = MacArrayCfg(None, self.test_name, rtl_multiplier(self.params, array_mul_config), self.params["LANES"],
                          self.params["ACC_W"], self.params.get("SKID", 0), self.params.get("PIPE", 0))
        cfg.bfm = make_bfm(dut, cfg, self.rng)
        return cfg

    def make_env(self) -> MacArrayEnv:
        return MacArrayEnv("env", self)

    def seq(self, cls, name: str, *args) -> uvm_sequence:
        return cls(name, self.cfg, self.rng, *args)
