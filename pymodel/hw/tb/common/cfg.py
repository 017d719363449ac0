"""The configuration object of an environment: one dataclass, published once in the ConfigDB.

Why: string keys ("BFM", "MODEL_CFG", ...) are typed nowhere and a typo is a run-time miss;
an env's components instead read ONE object, ``get_cfg(self)``, whose fields are checked by
the type checker and listed in one place per DUT (OpenTitan's ``<ip>_env_cfg``). Each DUT
extends :class:`EnvCfg`; the test builds it in ``make_cfg`` and :class:`~tb.common.base_test.
BaseTest` publishes it under :data:`CFG_KEY` before the env is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyuvm import ConfigDB

#: The single ConfigDB key of an environment's configuration.
CFG_KEY = "cfg"


@dataclass
class EnvCfg:
    """What every env has: the BFM that owns the pins and the name prefix of its cover
    groups (unique per test: cocotb-coverage's database is global)."""

    bfm: Any
    cover_name: str


def publish(cfg: EnvCfg) -> None:
    ConfigDB().set(None, "*", CFG_KEY, cfg)


def get_cfg(component) -> EnvCfg:
    """The configuration of ``component``'s environment."""
    return ConfigDB().get(component, "", CFG_KEY)
