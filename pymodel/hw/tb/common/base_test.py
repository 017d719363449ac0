"""The pyuvm test base every RTL test derives from: seed, sample count, timing, record.

A concrete test implements :meth:`BaseTest.make_bfm`, :meth:`BaseTest.make_env` and
``async`` :meth:`BaseTest.stimulus` (start sequences on ``self.env.seqr``); the env must
expose ``scoreboard`` (an :class:`~tb.common.components.InOrderScoreboard`) and
``coverages`` (a list of :class:`~tb.common.coverage.BatchCoverage`).

* Seed: the run's seed (``SEED=...`` replays it) is logged with a replay hint; the test's
  numpy generator is seeded from cocotb's per-test seed, itself derived from the run seed.
* Samples: ``SAMPLES`` (environment) or :attr:`BaseTest.default_samples` random rows, so a
  quick run and a soak use the same test.
* Verdict: after the scoreboard's ``check_phase``, :meth:`report_phase` prints coverage and
  writes the JSON record; :meth:`final_phase` fails the test on any mismatch, protocol
  error, leftover transaction, or coverage below :attr:`BaseTest.required_coverage`.
"""

from __future__ import annotations

import time

import cocotb
import numpy as np
from pyuvm import ConfigDB, uvm_test

from pymodel.hw.tb.common.results import env_int, run_seed, sim_params, write_record


class BaseTest(uvm_test):
    """Seeded, timed, recorded pyuvm test (see the module docstring)."""

    default_samples = 20_000
    #: Fail below this coverage (percent of bins); None: report only.
    required_coverage: float | None = None

    # ---- hooks ----
    def make_bfm(self, dut):
        raise NotImplementedError

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
        self.bfm = self.make_bfm(cocotb.top)
        ConfigDB().set(None, "*", "BFM", self.bfm)
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
