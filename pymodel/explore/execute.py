"""Evaluate many assignments: a local process pool by default, Ray tasks when asked.

Why both: one machine does a small exploration in minutes, but the full NYU Eigen split times
every layer and candidate is hours; Ray spreads the same rows over a cluster. Either way:

* the :class:`~pymodel.nn.evaluate.Evaluation` (model, images, scales) is shipped once: to each
  pool worker by its initializer, to Ray by one ``ray.put``, and cached in each worker process;
  with it the rows' multipliers, resolved in the driver ({spec: multiplier}; an imported
  module as its product table, whose sha256 the driver costed and recorded), so a worker runs
  exactly those products and needs neither the Verilog file nor a simulator; a row's spec
  string not among them is a built-in, parsed on the worker;
* every row is written to the journal (``rows.jsonl``, one JSON object a line, flushed) the
  moment it finishes, so a crash or Ctrl-C loses no finished row and a rerun with --resume
  evaluates only what is missing;
* a row whose task fails (an exception, a dead worker) is retried ``retries`` times, then the
  run stops with a one-line error naming the row;
* the results do not depend on where a row ran (one intra-op thread per evaluation, the same
  scales everywhere): tests compare a local run with a Ray run number for number.

Ray stays on this machine's loopback when it starts a local instance. Ray rewrites the
literal 127.0.0.1 to the machine's network address (its multi-node design), so the local
instance is started with Ray's single-host setting that keeps it on 127.0.0.1; a cluster is
joined at the address given (``--ray-address``), after a bounded TCP check that it answers.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import socket
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymodel.core import multiplier as mm
from pymodel.core.errors import MBMError
from pymodel.core.spec import parse_spec
from pymodel.nn.evaluate import Evaluation, RowResult

#: seconds to wait for a --ray-address to accept a TCP connection
CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Row:
    """One assignment to evaluate: a stable key and {layer: spec string} ({} = exact float)."""

    key: str
    assignment: Mapping[str, str]


class Journal:
    """rows.jsonl: one finished row a line ({"key", "assignment", "result"}), appended and
    flushed as rows finish; the first line holds the settings a --resume must match."""

    def __init__(self, path: Path, settings: Mapping[str, Any], resume: bool) -> None:
        self.path = path
        self.done: dict[str, RowResult] = {}
        header = {"settings": json.loads(json.dumps(settings))}
        if resume and path.is_file():
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            if not lines or lines[0] != header:
                raise MBMError(f"--resume: {path} was written with other settings: use another --out or drop --resume")
            for entry in lines[1:]:
                self.done[entry["key"]] = RowResult(**entry["result"])
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(header) + "\n")

    def add(self, row: Row, result: RowResult) -> None:
        self.done[row.key] = result
        with self.path.open("a") as f:
            f.write(json.dumps({"key": row.key, "assignment": dict(row.assignment), "result": result.to_dict()}) + "\n")
            f.flush()
            os.fsync(f.fileno())


@dataclass(frozen=True)
class Work:
    """What every worker receives once: the evaluation and the rows' multipliers by spec."""

    evaluation: Evaluation
    multipliers: Mapping[str, mm.Multiplier]


# ---- worker side (module level so that both pools can pickle it by reference) ----

_WORKER_WORK: dict[str, Work] = {}


def _set_worker_work(blob: bytes) -> None:
    _WORKER_WORK["local"] = pickle.loads(blob)


def _evaluate(work: Work, assignment: Mapping[str, str]) -> dict[str, Any]:
    plan = {layer: work.multipliers[spec] if spec in work.multipliers else parse_spec(spec)
            for layer, spec in assignment.items()}
    return work.evaluation.run(plan).to_dict()


def _evaluate_local(assignment: Mapping[str, str]) -> dict[str, Any]:
    return _evaluate(_WORKER_WORK["local"], assignment)


def _evaluate_ray(boxed_ref: list[Any], assignment: Mapping[str, str]) -> dict[str, Any]:
    """A Ray task: the :class:`Work` ref arrives boxed (so Ray does not resolve it per task) and
    is fetched once per worker process."""
    import ray

    (ref,) = boxed_ref
    key = ref.hex()
    if key not in _WORKER_WORK:
        _WORKER_WORK[key] = ray.get(ref)
    return _evaluate(_WORKER_WORK[key], assignment)


# ---- driver side ----

def check_ray_address(address: str) -> None:
    """A --ray-address must be HOST:PORT and accept a TCP connection within CONNECT_TIMEOUT_S."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise MBMError(f"--ray-address {address!r}: allowed HOST:PORT of a Ray head node, e.g. 127.0.0.2:6379")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as err:
        raise MBMError(f"--ray-address {address}: no Ray head answers within {CONNECT_TIMEOUT_S:g} s "
                       f"({err.strerror or err}): start one with `ray start --head` or drop --ray-address") from None


def run_rows(rows: Iterable[Row], evaluation: Evaluation, journal: Journal, *, workers: int = 1,
             ray: bool = False, ray_address: str | None = None, retries: int = 2,
             progress: Callable[[Row, RowResult], None] | None = None,
             multipliers: Mapping[str, mm.Multiplier] | None = None) -> dict[str, RowResult]:
    """Evaluate every row not yet in the journal; returns key -> result for all ``rows``.
    ``multipliers``: {spec: multiplier} of the rows' specs (needed for imported ones)."""
    rows = list(rows)
    todo = [r for r in rows if r.key not in journal.done]
    if todo:
        run = _run_ray if ray else _run_pool
        run(todo, Work(evaluation, dict(multipliers or {})), journal, workers=workers, ray_address=ray_address,
            retries=retries, progress=progress)
    return {r.key: journal.done[r.key] for r in rows}


def _finish(row: Row, raw: dict[str, Any], journal: Journal, progress: Callable | None) -> None:
    result = RowResult(**raw)
    journal.add(row, result)
    if progress:
        progress(row, result)


def _failed(row: Row, err: BaseException) -> MBMError:
    return MBMError(f"row {row.key} failed after retries: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")


def _run_pool(todo: list[Row], work: Work, journal: Journal, *, workers: int, ray_address: str | None,
              retries: int, progress: Callable | None) -> None:
    if workers <= 1:  # in this process: no pickling, the feature cache persists across rows
        for row in todo:
            for attempt in range(retries + 1):
                try:
                    raw = _evaluate(work, row.assignment)
                    break
                except MBMError:
                    raise
                except Exception as err:  # noqa: BLE001 - any failure of a row is retried
                    if attempt == retries:
                        raise _failed(row, err) from None
            _finish(row, raw, journal, progress)
        return
    blob = pickle.dumps(work)
    attempts = {r.key: 0 for r in todo}
    pending = list(todo)
    while pending:
        # spawn, not fork: a forked child of a process that ran torch's OpenMP threads can hang
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_set_worker_work, initargs=(blob,)) as pool:
            futures = {pool.submit(_evaluate_local, dict(r.assignment)): r for r in pending}
            pending = []
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for fut in done:
                    row = futures.pop(fut)
                    try:
                        raw = fut.result()
                    except MBMError:
                        raise
                    except Exception as err:  # noqa: BLE001 - incl. BrokenProcessPool: retried
                        attempts[row.key] += 1
                        if attempts[row.key] > retries:
                            raise _failed(row, err) from None
                        pending.append(row)
                        continue
                    _finish(row, raw, journal, progress)
        # rows that failed (a dead worker breaks the pool: all its rows fail) go to a new pool


def _run_ray(todo: list[Row], work: Work, journal: Journal, *, workers: int, ray_address: str | None,
             retries: int, progress: Callable | None) -> None:
    import ray

    if ray_address:
        check_ray_address(ray_address)
    started = not ray.is_initialized()
    if started:
        if ray_address:
            host = ray_address.rpartition(":")[0]
            ray.init(address=ray_address, _node_ip_address=host, log_to_driver=False)
        else:
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # single host, on 127.0.0.1
            ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=retries, retry_exceptions=True)(_evaluate_ray)
        boxed = [ray.put(work)]
        futures = {task.remote(boxed, dict(r.assignment)): r for r in todo}
        while futures:
            done, _ = ray.wait(list(futures), num_returns=1)
            for ref in done:
                row = futures.pop(ref)
                try:
                    raw = ray.get(ref)
                except Exception as err:  # noqa: BLE001 - Ray has retried it already
                    cause = getattr(err, "cause", None)
                    if isinstance(cause, MBMError):
                        raise cause from None
                    raise _failed(row, err) from None
                _finish(row, raw, journal, progress)
    finally:
        if started:
            ray.shutdown()
