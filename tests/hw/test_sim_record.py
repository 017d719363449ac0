"""The one record of an RTL run (pymodel.hw.sim.record): written and read back unchanged,
and any other shape refused with one line naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pymodel.core.errors import MBMError
from pymodel.hw.sim.record import (
    SUMMARY_SCHEMA,
    TEST_SCHEMA,
    RunRecord,
    Summary,
    TestRecord,
    read_test_records,
)

COVERAGE = {"MulRandomTest.operands": {"percent": 100.0, "samples": 10, "missed": {},
                                       "items": {"carry": {"hit": 2, "bins": 2}}}}


def _record(**changes) -> TestRecord:
    fields = dict(test="MulRandomTest", run="mul-n8", dut="mbm_mul", parameters={"N": 8}, seed=3,
                  transactions=10, mismatches=0, result="PASS", seconds=0.5, tps=20.0, coverage_pct=100.0,
                  coverage=COVERAGE, model="pymodel mbm N=8 t=0")
    return TestRecord(**{**fields, **changes})


def test_a_test_record_round_trips_through_its_file(tmp_path):
    rec = _record(transactions=np.int64(10), failures=["x"])  # numpy counts stay numbers
    path = rec.write(tmp_path)
    assert path.name == "MulRandomTest.json" and json.loads(path.read_text())["schema"] == TEST_SCHEMA
    assert read_test_records(tmp_path) == [_record(failures=["x"])]


def test_a_summary_round_trips(tmp_path):
    run = RunRecord("mul-n8", "mbm_mul", {"N": 8}, False, True, "", 1.0, 0.2, 3, [_record()], simulator="verilator")
    broken = RunRecord("mul-n4", "mbm_mul", {"N": 4}, False, False, "build failed", 0.1, None, None,
                       simulator="icarus")
    path = Summary(2.0, [run, broken]).write(tmp_path / "summary.json")
    back = Summary.read(path)
    assert back == Summary(2.0, [run, broken]) and back.schema == SUMMARY_SCHEMA


#: the shapes the report used to accept besides the bench's: the "agreed flat" one and the
#: bench's own before it had a schema
OLD_SHAPES = {
    "flat": {"test": "t", "params": {"N": 8}, "result": "PASS", "message": "",
             "coverage": {"carry": 100.0}, "coverage_pct": 100.0},
    "unversioned": {k: v for k, v in _record().to_json().items() if k not in ("schema", "dut")},
    "other-schema": {**_record().to_json(), "schema": "mbm-sim-test/0"},
    "flat-coverage": {**_record().to_json(), "coverage": {"carry": 87.5}},
    "count-as-text": {**_record().to_json(), "transactions": "10"},
    "bad-result": {**_record().to_json(), "result": "passed"},
}


@pytest.mark.parametrize("shape", OLD_SHAPES)
def test_any_other_shape_is_one_line_naming_the_file(tmp_path, shape):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(OLD_SHAPES[shape]))
    with pytest.raises(MBMError) as err:
        read_test_records(tmp_path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


def test_an_unversioned_summary_is_refused(tmp_path):
    path = tmp_path / "summary.json"
    run = RunRecord("r", "mbm_mul", {}, False, True, "", 1.0, 0.0, 1, [_record()], simulator="verilator").to_json()
    path.write_text(json.dumps({"wall_seconds": 1.0, "runs": [run]}))
    with pytest.raises(MBMError, match=f"schema None is not '{SUMMARY_SCHEMA}'"):
        Summary.read(path)
    path.write_text(json.dumps({"schema": SUMMARY_SCHEMA, "wall_seconds": 1.0, "runs": [{**run, "records": [{}]}]}))
    with pytest.raises(MBMError, match=r"summary.json: runs\[0\] / r\[0\]: not a TestRecord"):
        Summary.read(path)


def test_a_summary_of_schema_1_is_refused_with_the_command_that_rewrites_it(tmp_path):
    """/1 runs had no simulator: read as a Verilator run it could hide that Icarus never ran."""
    path = tmp_path / "summary.json"
    run = RunRecord("r", "mbm_mul", {}, False, True, "", 1.0, 0.0, 1, [], simulator="verilator").to_json()
    del run["simulator"], run["skipped"]
    path.write_text(json.dumps({"schema": "mbm-sim-summary/1", "wall_seconds": 1.0, "runs": [run]}))
    with pytest.raises(MBMError, match="schema 'mbm-sim-summary/1' is not 'mbm-sim-summary/2': rerun `make sim`"):
        Summary.read(path)
    path.write_text(json.dumps({"schema": SUMMARY_SCHEMA, "wall_seconds": 1.0, "runs": [run]}))
    with pytest.raises(MBMError, match=r"runs\[0\]: not a RunRecord \(lacks simulator\)"):
        Summary.read(path)


@pytest.mark.parametrize("change,message", [
    ({"simulator": "vcs"}, "simulator='vcs' is not allowed: allowed verilator, icarus"),
    ({"skipped": True, "ok": True}, "a skipped run has no records and is not ok"),
])
def test_a_run_names_a_known_simulator_and_a_skip_is_never_a_pass(tmp_path, change, message):
    run = {**RunRecord("r", "mbm_mul", {}, False, False, "x", 0.0, None, None, simulator="icarus").to_json(), **change}
    path = tmp_path / "summary.json"
    path.write_text(json.dumps({"schema": SUMMARY_SCHEMA, "wall_seconds": 1.0, "runs": [run]}))
    with pytest.raises(MBMError, match=message) as err:
        Summary.read(path)
    assert str(err.value).startswith(f"{path}: runs[0]: ") and "\n" not in str(err.value)
