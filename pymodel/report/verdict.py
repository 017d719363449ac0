"""The sign-off verdict: PASS, FAIL or INCOMPLETE against the thresholds in signoff.toml.

Five checks, each over the producers' result files:

1. RTL regression: every test's result is PASS, and a passing test ran the RTL built with
   the signed-off parameters (N, TRUNC, FRAC_OUT, MITCHELL); a run SKIPPED because its
   simulator is missing (Icarus Verilog not installed) makes the check INCOMPLETE, never PASS;
2. coverage: every test that records coverage reaches ``min_coverage_pct``, overall and per
   cover point (runs that must fail, proving the bench can, are left out);
3. co-simulation: at most ``max_mismatches`` mismatching outputs per layer (0: bit-exact),
   measured with the signed-off multiplier;
4. accuracy: |deviation from the exact network| of every metric of every approximated layer
   of a complete sweep (and of the row with all of them at once, ``check_all_row``; only that
   row with ``check_layer_rows = false``) within its limit (or the signed ``budget``),
   measured with the signed-off multiplier or per-layer assignment; a deviation that is not applicable
   (exact value 0) is counted as such, not failed; the sweep's clamping and saturation
   warnings do not fail the check but its summary counts them (section (e) lists them);
5. testplan (``[testplan] require_all``, and only for a checkout that holds testplans): every
   feature proven by regression runs has all its runs passed and its cover points at 100 %
   (see :mod:`~pymodel.report.testplan`).

A check whose input is missing is INCOMPLETE (with the command to run), never PASS; a result
file that cannot be read is a FAIL. The overall verdict is FAIL if any check fails, else
INCOMPLETE if any is incomplete, else PASS. Every FAIL carries one reason per offending item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pymodel.core import multiplier as mm
from pymodel.core.arith import MulConfig
from pymodel.core.errors import MBMError
from pymodel.hw.array_params import array_mul_config
from pymodel.hw.sim.record import SKIPPED
from pymodel.report.accuracy import ALL_ROW, deviation_rows
from pymodel.report.collect import Source
from pymodel.report.config import SignoffConfig
from pymodel.report.testplan import NOT_RUN, PYTEST

PASS, FAIL, INCOMPLETE = "PASS", "FAIL", "INCOMPLETE"


@dataclass
class Check:
    """One line of the verdict: its status, a one-line summary and the reasons it is not PASS."""

    name: str
    status: str
    summary: str
    reasons: list[str] = field(default_factory=list)


@dataclass
class Verdict:
    status: str
    checks: list[Check]

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "checks": [asdict(c) for c in self.checks]}


def _incomplete(name: str, source: Source) -> Check:
    return Check(name, INCOMPLETE, source.hint)


def _unreadable(name: str, source: Source) -> Check:
    return Check(name, FAIL, f"{len(source.problems)} unusable result file(s)", list(source.problems))


def _from_reasons(name: str, reasons: list[str], ok: str, bad: str) -> Check:
    return Check(name, FAIL, bad, reasons) if reasons else Check(name, PASS, ok)


def _label(rec: dict[str, Any]) -> str:
    """``test (dut N=8 TRUNC=0, icarus)``: how a reason names one RTL test (and its simulator,
    where the record names one)."""
    params = " ".join(f"{k}={v}" for k, v in (rec.get("params") or {}).items())
    where = ", ".join(filter(None, [" ".join(filter(None, [str(rec.get("dut") or ""), params])),
                                    str(rec.get("simulator") or "")]))
    return f"{rec['test']} ({where})" if where else str(rec["test"])


def _imported_parameters(m: mm.TableMultiplier) -> dict[str, int]:
    """The HDL parameters that select an imported module's slot in the RTL (rtl/mbm_mac_array.v)."""
    return {"IMPORTED": 1, "N": m.bits, "TWOS": int(m.encoding == "twos")}


def _simulates(rec: dict[str, Any], m: mm.Multiplier) -> bool:
    """True when ``rec`` is a passing test of the RTL built with the signed-off parameters; for
    an imported multiplier, its slot parameters and a golden model that names the table's
    sha256 (the parameters do not name the module)."""
    if rec.get("expect_fail") or str(rec["result"]).upper() != PASS:
        return False
    params = rec.get("params") or {}
    if isinstance(m, mm.TableMultiplier):
        return all(params.get(k) == v for k, v in _imported_parameters(m).items()) and \
            m.table.sha256[:16] in str(rec.get("model") or "")
    try:
        return array_mul_config(params) == m
    except MBMError:  # parameters no multiplier has: not the signed-off one
        return False


def _same(measured: Mapping[str, Any], m: mm.Multiplier) -> bool:
    """True when a result's recorded multiplier (:func:`pymodel.core.multiplier.to_dict`) is
    ``m``: the same built-in (mult, N, TRUNC), or the same imported products (table sha256)."""
    if mm.is_imported(measured):
        return isinstance(m, mm.TableMultiplier) and measured.get("table_sha256") == m.table.sha256
    if isinstance(m, mm.TableMultiplier):
        return False
    got = MulConfig.from_dict(measured)
    return (got.mult, got.bits, got.trunc) == (m.mult, m.bits, m.trunc)


def _measured_label(measured: Mapping[str, Any]) -> str:
    return str(measured.get("spec")) if mm.is_imported(measured) else MulConfig.from_dict(measured).label


def check_rtl(rtl: Source, cfg: SignoffConfig) -> Check:
    name = "RTL tests pass"
    if rtl.problems:
        return _unreadable(name, rtl)
    if rtl.missing:
        return _incomplete(name, rtl)
    failed = [r for r in rtl.data if str(r["result"]).upper() not in (PASS, SKIPPED)]
    skipped = [r for r in rtl.data if str(r["result"]).upper() == SKIPPED]
    reasons = [
        f"{_label(r)}: {r['result']}" + (f": {r['message']}" if r.get("message") else "") for r in failed
    ]
    not_run = [f"{_label(r)}: {SKIPPED}: {r.get('message') or 'not run'}" for r in skipped]
    if not cfg.require_all_pass:
        reasons = []
    for m in cfg.signed_off():
        if not any(_simulates(r, m) for r in rtl.data):
            if isinstance(m, mm.TableMultiplier):
                params = _imported_parameters(m)
            else:  # exact: the array only
                params = {"EXACT": 1, "N": m.bits} if m.mult == "exact" else m.rtl_parameters()
            shown = " ".join(f"{k}={v}" for k, v in params.items())
            reasons.append(f"no passing RTL test ran the signed-off configuration {mm.label(m)} ({shown})")
    if skipped and not reasons:
        return Check(name, INCOMPLETE, f"{len(rtl.data) - len(skipped)}/{len(rtl.data)} tests passed, "
                                       f"{len(skipped)} SKIPPED", not_run)
    return _from_reasons(
        name,
        reasons + not_run,
        f"{len(rtl.data)}/{len(rtl.data)} tests passed",
        f"{len(reasons)} problem(s), {len(failed)}/{len(rtl.data)} tests failed",
    )


def check_coverage(rtl: Source, cfg: SignoffConfig) -> Check:
    name = f"coverage >= {cfg.min_coverage_pct:g} %"
    if rtl.problems:
        return _unreadable(name, rtl)
    if rtl.missing:
        return _incomplete(name, rtl)
    measured = [
        r
        for r in rtl.data
        if not r.get("expect_fail") and (r.get("coverage_pct") is not None or r["coverage_points"])
    ]
    if not measured:
        return Check(
            name, FAIL, "no test records coverage", [f"no {rtl.pattern} has coverage_pct or coverage"]
        )
    reasons = []
    for rec in measured:
        low = [p for p in rec["coverage_points"] if p["pct"] < cfg.min_coverage_pct]
        total = rec.get("coverage_pct")
        if low or (total is not None and float(total) < cfg.min_coverage_pct):
            points = ", ".join(f"{p['point']} {p['pct']:.1f} %" for p in low)
            overall = f"{float(total):.1f} %" if total is not None else "n/a"
            reasons.append(
                f"{_label(rec)}: coverage {overall}" + (f"; below the limit: {points}" if points else "")
            )
    return _from_reasons(
        name,
        reasons,
        f"{len(measured)} test(s) with coverage, all at or above {cfg.min_coverage_pct:g} %",
        f"{len(reasons)} test(s) below the limit",
    )


def _config_mismatch(measured: dict[str, Any] | None, cfg: SignoffConfig, layer: str | None = None) -> str | None:
    """Why a result measured another multiplier than the one signed off (None when it matches):
    with an assignment, the layer's own multiplier (any of the assignment's for other layers)."""
    if not measured:
        return None
    allowed = [cfg.assignment[layer]] if layer in cfg.assignment else cfg.signed_off()
    try:
        if any(_same(measured, m) for m in allowed):
            return None
        got = _measured_label(measured)
    except MBMError as err:
        return f"measured an unreadable multiplier: {err}"
    return f"measured {got}, but the sign-off configuration is {' or '.join(mm.label(m) for m in allowed)}"


def _assignment_mismatch(measured: dict[str, Any] | None, cfg: SignoffConfig) -> str | None:
    """Why a sweep did not measure the signed-off per-layer assignment (None when it did)."""
    want = {layer: mm.spec_of(m) for layer, m in cfg.assignment.items()}
    got = (measured or {}).get("assignment")
    if got == want:
        return None
    shown = "one multiplier for every layer" if got is None else f"another assignment ({len(got)} layers)"
    return f"measured {shown}, but the sign-off configuration is the assignment of {cfg.source}: " \
           f"run `pymodel sweep --assignment {cfg.source.rsplit('/', 1)[0]}/explore.json`"


def check_cosim(cosim: Source, cfg: SignoffConfig) -> Check:
    name = (
        "co-simulation bit-exact"
        if cfg.max_mismatches == 0
        else f"co-simulation <= {cfg.max_mismatches} mismatches"
    )
    if cosim.problems:
        return _unreadable(name, cosim)
    if cosim.missing:
        return _incomplete(name, cosim)
    reasons = []
    for rec in cosim.data:
        # the folder tells a tile of `make cosim` from the whole layer of `make cosim-all`
        where = f"layer {rec['layer']} ({Path(rec['_file']).parent.name})"
        if int(rec["mismatches"]) > cfg.max_mismatches:
            reasons.append(f"{where}: {rec['mismatches']} mismatching outputs, {rec.get('macs', '?')} MACs")
        other = _config_mismatch(rec.get("config"), cfg, rec["layer"])
        if other:
            reasons.append(f"{where}: {other}")
    for m in cfg.signed_off():
        if not any(_same(r["config"], m) for r in cosim.data if r.get("config")):
            reasons.append(f"no co-simulated layer used {mm.label(m)}: run `make cosim COSIM_ARGS=\"--mult "
                           f"{mm.spec_of(m)}\"`")
    macs = sum(int(r.get("macs") or 0) for r in cosim.data)
    return _from_reasons(
        name, reasons, f"{len(cosim.data)} layer(s), {macs:,} MACs, no mismatch", f"{len(reasons)} problem(s)"
    )


def check_accuracy(accuracy: Source, tables: dict[str, Any] | None, cfg: SignoffConfig) -> Check:
    """|deviation| of every metric of every approximated layer (and "all" if configured) in its limit."""
    name = "accuracy deviation within limits"
    if accuracy.problems:
        return _unreadable(name, accuracy)
    if accuracy.missing or tables is None:
        return _incomplete(name, accuracy)
    if not tables["complete"]:
        return Check(
            name, INCOMPLETE, f"{accuracy.files[0]} is not complete: run `{accuracy.command}` (it resumes)"
        )
    deviations = [r for r in deviation_rows(tables, cfg.check_all_row)
                  if cfg.check_layer_rows or r["layer"] == ALL_ROW]
    if not deviations:
        return Check(
            name, FAIL, "the sweep holds no approximated layer", [f"{accuracy.files[0]}: no deviation values"]
        )
    reasons = []
    other = _assignment_mismatch(tables["multiplier"], cfg) if cfg.assignment else _config_mismatch(
        tables["multiplier"], cfg)
    if other:
        reasons.append(f"the sweep {other}")
    applicable = [r for r in deviations if not r["not_applicable"]]
    for row in applicable:
        dev = row["deviation_pct"]
        if cfg.budget is not None:
            limit = cfg.budget.get(row["metric"])
            if limit is not None and (dev is None or not limit.lower <= dev <= limit.upper):
                shown = "missing" if dev is None else f"{dev:+.3f} %"
                reasons.append(f"layer {row['layer']}, {row['metric']}: deviation {shown}, budget {limit.text()}")
            continue
        limit = cfg.deviation_limit(row["metric"])
        if dev is None or abs(dev) > limit:
            shown = "missing" if dev is None else f"{dev:+.3f} %"
            reasons.append(f"layer {row['layer']}, {row['metric']}: deviation {shown}, limit ±{limit:g} %")
    layers = len({r["layer"] for r in deviations})
    skipped = len(deviations) - len(applicable)
    notes = "".join([
        f", {skipped} not applicable (exact value 0)" if skipped else "",
        f"; {len(tables['warnings'])} clamping/saturation WARNING(s), see (e)" if tables["warnings"] else "",
        " (SYNTHETIC default model and scenes, not the seed network)" if tables["synthetic"] else "",
    ])
    return _from_reasons(
        name,
        reasons,
        f"{len(applicable)} values over {layers} row(s) within limits{notes}",
        f"{len(reasons)} problem(s){notes}",
    )


def check_fpga(fpga: Source) -> list[Check]:
    """Per design of reports/fpga/: timing met, both bring-up simulations PASS, the
    multipliers' netlists proven equivalent; INCOMPLETE (naming `make fpga`) without any."""
    names = ("FPGA timing met", "FPGA bring-up simulations PASS (RTL and netlist)", "FPGA netlists proven equivalent to the RTL")
    if fpga.problems:
        return [_unreadable(n, fpga) for n in names]
    if fpga.missing:
        return [_incomplete(n, fpga) for n in names]
    timing, sims, proofs = [], [], []
    for rec in fpga.data:
        d = rec["design"]
        if not rec["timing_met"]:
            timing.append(f"{d}: Fmax {rec['fmax_mhz']:.1f} MHz below the {rec['target_mhz']:g} MHz target")
        for kind in ("rtl", "netlist"):
            got = rec.get(f"sim_{kind}")
            if got != PASS:
                why = rec.get(f"sim_{kind}_why") or "not run (--no-sim)"
                sims.append(f"{d}: {kind} simulation {got or 'missing'}: {why}")
        if rec.get("equivalence") != "proven":
            bad = [p["name"] for p in rec.get("equivalence_designs", []) if p.get("result") != "proven"]
            proofs.append(f"{d}: equivalence {rec.get('equivalence', 'not run (--no-equiv)')}"
                          + (f" ({', '.join(bad)})" if bad else ""))
    n = len(fpga.data)
    return [
        _from_reasons(names[0], timing, f"{n}/{n} design(s) meet timing", f"{len(timing)}/{n} design(s) miss timing"),
        _from_reasons(names[1], sims, f"{n}/{n} design(s) PASS before and after synthesis",
                      f"{len(sims)} bring-up simulation(s) not PASS"),
        _from_reasons(names[2], proofs, f"{n}/{n} design(s) with every multiplier proven",
                      f"{len(proofs)} design(s) without a complete proof"),
    ]


def check_testplan(rtl: Source, plans: list[dict[str, Any]]) -> Check:
    """Every testplan feature proven by runs is PASS; one reason per unproven feature."""
    name = "every testplan item proven"
    if rtl.problems:
        return _unreadable(name, rtl)
    if rtl.missing:
        return _incomplete(name, rtl)
    judged = [(p["dut"], f) for p in plans for f in p["features"] if f["status"] != PYTEST]
    by_pytest = sum(len(p["features"]) for p in plans) - len(judged)
    failed = [f"{dut} / {f['name']}: {'; '.join(f['reasons'])}" for dut, f in judged if f["status"] == FAIL]
    not_run = [
        f"{dut} / {f['name']}: not run: {', '.join(r['name'] for r in f['runs'] if r['result'] == NOT_RUN)}"
        for dut, f in judged
        if f["status"] == NOT_RUN
    ]
    outside = f"; {by_pytest} proven by pytest tests, not judged here" if by_pytest else ""
    if failed:
        return Check(name, FAIL, f"{len(failed)}/{len(judged)} item(s) unproven{outside}", failed + not_run)
    if not_run:
        summary = f"{len(not_run)} item(s) without results: run `{rtl.command}`"
        return Check(name, INCOMPLETE, summary, not_run)
    return Check(name, PASS, f"{len(judged)}/{len(judged)} items proven{outside}")


def judge(
    sources: dict[str, Source],
    sweep: dict[str, Any] | None,
    cfg: SignoffConfig,
    testplans: list[dict[str, Any]] | None = None,
) -> Verdict:
    """The checks and the overall status; ``sweep`` from :func:`accuracy.sweep_tables`,
    ``testplans`` from :func:`testplan.evaluate` (None or empty: a checkout without
    testplans, no testplan check)."""
    checks = [
        check_rtl(sources["rtl"], cfg),
        check_coverage(sources["rtl"], cfg),
        check_cosim(sources["cosim"], cfg),
        check_accuracy(sources["accuracy"], sweep, cfg),
        *check_fpga(sources["fpga"]),
    ]
    if testplans and cfg.testplan_require_all:
        checks.append(check_testplan(sources["rtl"], testplans))
    statuses = {c.status for c in checks}
    status = FAIL if FAIL in statuses else INCOMPLETE if INCOMPLETE in statuses else PASS
    return Verdict(status, checks)
