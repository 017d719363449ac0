"""Row execution: the journal and --resume, retries, and the same numbers in process, in a
local pool and on a two-node Ray cluster (head and worker on loopback addresses), an imported
Verilog multiplier's rows included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pymodel.core.errors import MBMError
from pymodel.core.paths import REPO_ROOT
from pymodel.explore.execute import Journal, Row, check_ray_address, run_rows
from pymodel.hw.multiplier import resolve
from pymodel.nn.data import synthetic_testset
from pymodel.nn.evaluate import Evaluation
from pymodel.nn.nets import default_model

LAYERS = ["decoder.up5.convA", "decoder.up5.convB"]
DRUM = f"verilog:{REPO_ROOT / 'tests' / 'data' / 'verilog' / 'drum_mul.v'}"
ROWS = [Row("exact", {}), Row("a", {LAYERS[0]: "mbm:8"}), Row("b", {LAYERS[1]: "mitchell:8"}),
        Row("ab", {LAYERS[0]: "mbm:8", LAYERS[1]: "exact:8"}), Row("v", {LAYERS[0]: DRUM, LAYERS[1]: "mbm:8"})]


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return Evaluation.calibrated(default_model(), synthetic_testset(1), LAYERS, {8})


@pytest.fixture(scope="module")
def multipliers() -> dict:
    """The imported row's multiplier, resolved here (the driver) and shipped to the workers."""
    return {DRUM: resolve(DRUM)}


class FlakyEvaluation(Evaluation):
    """Fails the first evaluation of every assignment (a marker file per row remembers it)."""

    marker_dir: str = ""

    def run(self, assignment):
        marker = Path(self.marker_dir) / ("-".join(sorted(assignment)) or "exact")
        if not marker.exists():
            marker.touch()
            raise RuntimeError("worker lost")
        return super().run(assignment)


def _flaky(evaluation: Evaluation, tmp_path: Path) -> FlakyEvaluation:
    flaky = FlakyEvaluation(evaluation.model, evaluation.data, evaluation.scales)
    flaky.marker_dir = str(tmp_path)
    return flaky


def _metrics(results):
    return {k: r.metrics for k, r in results.items()}


def test_in_process_and_pool_agree_and_the_journal_resumes(evaluation, multipliers, tmp_path):
    one = run_rows(ROWS, evaluation, Journal(tmp_path / "a.jsonl", {"s": 1}, resume=False), multipliers=multipliers)
    pool = run_rows(ROWS, evaluation, Journal(tmp_path / "b.jsonl", {"s": 1}, resume=False), workers=2,
                    multipliers=multipliers)
    assert _metrics(one) == _metrics(pool)
    assert one["exact"].metrics != one["a"].metrics
    assert len({str(one[k].metrics) for k in ("a", "ab", "v")}) == 3  # the imported module's own products
    lines = (tmp_path / "b.jsonl").read_text().splitlines()
    assert json.loads(lines[0]) == {"settings": {"s": 1}} and len(lines) == 1 + len(ROWS)
    seen = []
    again = run_rows(ROWS, evaluation, Journal(tmp_path / "b.jsonl", {"s": 1}, resume=True),
                     progress=lambda row, _: seen.append(row.key))
    assert seen == [] and _metrics(again) == _metrics(one)  # nothing re-evaluated


def test_resume_refuses_other_settings(tmp_path):
    Journal(tmp_path / "j.jsonl", {"images": 2}, resume=False)
    with pytest.raises(MBMError, match="other settings"):
        Journal(tmp_path / "j.jsonl", {"images": 3}, resume=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_row_is_retried(evaluation, tmp_path, workers):
    results = run_rows(ROWS[:2], _flaky(evaluation, tmp_path / "m"), Journal(tmp_path / "j.jsonl", {}, False),
                       workers=workers) if (tmp_path / "m").mkdir() is None else None
    assert set(results) == {"exact", "a"}


def test_a_row_failing_every_time_stops_the_run_naming_it(evaluation, tmp_path):
    (tmp_path / "m").mkdir()
    with pytest.raises(MBMError, match="row a failed after retries: RuntimeError: worker lost"):
        run_rows([ROWS[1]], _flaky(evaluation, tmp_path / "m"), Journal(tmp_path / "j.jsonl", {}, False), retries=0)


@pytest.mark.xdist_group("ray")
def test_a_two_node_ray_cluster_gives_the_local_numbers(evaluation, multipliers, tmp_path, ray_cluster):
    local = run_rows(ROWS, evaluation, Journal(tmp_path / "l.jsonl", {}, False), multipliers=multipliers)
    remote = run_rows(ROWS, evaluation, Journal(tmp_path / "r.jsonl", {}, False), ray=True, ray_address=ray_cluster,
                      multipliers=multipliers)
    assert _metrics(remote) == _metrics(local)
    (tmp_path / "m").mkdir()
    retried = run_rows(ROWS[:2], _flaky(evaluation, tmp_path / "m"), Journal(tmp_path / "f.jsonl", {}, False),
                       ray=True, ray_address=ray_cluster)
    assert _metrics(retried) == {k: local[k].metrics for k in ("exact", "a")}


@pytest.mark.parametrize(("address", "why"), [("nohost", "allowed HOST:PORT"), ("127.0.0.1:1", "no Ray head answers")])
def test_unreachable_ray_address_is_one_line(address, why):
    with pytest.raises(MBMError, match=why):
        check_ray_address(address)
