"""The pyuvm test base every RTL test derives from: seed, sample count, timing, record.

A concrete test implements :meth:`BaseTest.make_cfg` (the env's configuration dataclass,
BFM included, :mod:`tb.common.cfg`), :meth:`BaseTest.make_env` and ``async``
:meth:`BaseTest.stimulus` (start sequences on the env's sequencer); the env must expose
``scoreboard`` (an :class:`~tb.common.scoreboard.InOrderScoreboard`) and ``coverages`` (a
list of :class:`~tb.common.coverage.BatchCoverage`).

* Seed: the run's seed (``SEED=...`` replays it) is logged with a replay hint; the test's
  numpy generator is seeded from cocotb's per-test seed, itself derived from the run seed.
* Samples: ``SAMPLES`` (environment) or :attr:`BaseTest.default_samples` random rows, so a
  quick run and a soak use the same test.
* Wrong models: :meth:`BaseTest.type_overrides` are installed as pyuvm factory overrides
  before the env is built (by default :attr:`BaseTest.model_override` when ``MODEL_OVERRIDE``
  is set), so a deliberately wrong scoreboard is a subclass, not a flag in the bench.
* Verdict: after the scoreboard's ``check_phase``, :meth:`report_phase` prints coverage and
  writes the JSON record; :meth:`final_phase` fails the test on any mismatch, protocol
  error, leftover transaction, or coverage below :attr:`BaseTest.required_coverage`.
"""

from __future__ import annotations

import os
import time

import cocotb
import numpy as np
from pyuvm import uvm_factory, uvm_test

from pymodel.hw.tb.common.cfg import EnvCfg, publish
from pymodel.hw.tb.common.results import env_int, run_seed, sim_params, write_record


class BaseTest(uvm_test):
    """Seeded, timed, recorded pyuvm test (see the module docstring)."""

    default_samples = 20_000
    #: Fail below this coverage (percent of bins); None: report only.
    required_coverage: float | None = None
    #: (the env's scoreboard class, the same with ModelOverride mixed in): what a run with
    #: MODEL_OVERRIDE set scores with
    model_override: tuple[type, type] | None = None

    # ---- hooks ----
    def make_cfg(self, dut) -> EnvCfg:
        """The env's configuration, its BFM on ``dut`` included."""
        raise NotImplementedError

    def type_overrides(self) -> list[tuple[type, type]]:
        """(original, override) factory type overrides of this test."""
        return [self.model_override] if self.model_override and os.environ.get("MODEL_OVERRIDE") else []

    def make_env(self):
        raise NotImplementedError

    async def stimulus(self) -> None:
        raise NotImplementedError

    # ---- phases ----
    def build_phase(self) -> None:
        self.params = sim_params()
        self.seed = run_seed()
        self.rng = np.random.default_rng(cocotb.RANDOM_SEED)
        self.samples = env_int("SAMPLES", self.default_samples)
        self.logger.info(
            f"{self.test_name}: parameters {self.params}, seed {self.seed} (replay with SEED={self.seed}), "
            f"SAMPLES={self.samples}"
        )
        factory = uvm_factory()
        factory.clear_overrides()  # the factory outlives a test: drop the previous test's overrides
        for original, override in self.type_overrides():
            factory.set_type_override_by_type(original, override)
        self.cfg = self.make_cfg(cocotb.top)
        self.bfm = self.cfg.bfm
        publish(self.cfg)
        self.env = self.make_env()
        self.seconds = 0.0

    async def run_phase(self) -> None:
        self.raise_objection()
        await self.bfm.start()
        start = time.perf_counter()
        await self.stimulus()
        await self.bfm.drain()
        self.seconds = time.perf_counter() - start
        self.drop_objection()

    def report_phase(self) -> None:
        sb = self.env.scoreboard
        for cov in self.env.coverages:
            cov.report(self.logger.info)
        tps = sb.checked / self.seconds if self.seconds else 0.0
        self.logger.info(f"{sb.checked:,} transactions in {self.seconds:.2f} s: {tps:,.0f} transactions/s")
        self.failures = [*sb.errors, *self.bfm.errors]
        pct = self.coverage_percent
        if self.required_coverage is not None and pct < self.required_coverage:
            self.failures.append(f"coverage {pct:.1f}% is below the required {self.required_coverage:g}%")
        write_record(
            self.test_name,
            seed=self.seed,
            transactions=sb.checked,
            mismatches=sb.mismatches,
            coverage_pct=round(pct, 2),
            coverage={cov.name: cov.summary() for cov in self.env.coverages},
            result="FAIL" if self.failures else "PASS",
            failures=self.failures,
            first_mismatches=sb.reports,
            model=sb.describe(),
            seconds=round(self.seconds, 3),
            tps=round(tps, 1),
        )

    def final_phase(self) -> None:
        assert not self.failures, f"{self.test_name} failed (seed {self.seed}): " + "; ".join(self.failures)

    # ---- helpers ----
    @property
    def test_name(self) -> str:
        return type(self).__name__

    @property
    def coverage_percent(self) -> float:
        """Bins hit over all cover groups, in percent (100 when there are none)."""
        hit = total = 0
        for cov in self.env.coverages:
            for item in cov.summary()["items"].values():
                hit += item["hit"]
                total += item["bins"]
        return 100.0 * hit / total if total else 100.0
