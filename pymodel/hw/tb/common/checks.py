"""The named checks of the stream benches: one name per documented property of the RTL.

Every error a check raises starts with its name in brackets (``[axis.bubble_fill] cycle
412: ...``, :func:`tagged`), so a failing run says which property broke, the mutation tests
(tests/hw/test_rtl_regressions.py) assert that a broken RTL copy trips the check meant for
it, and a testplan line (tb/<dut>/testplan.toml, key ``checks``) names the checks that prove
its feature; :mod:`pymodel.report.testplan` refuses a name that is not here. Plain data, no
simulator import, so the report can read it.
"""

from __future__ import annotations

import re

#: check name -> the property it proves (the RTL header's words)
CHECKS: dict[str, str] = {
    # data, in order (the scoreboards)
    "sb.data": "every output bit-exact to the golden model, in order (products, tlast, accumulators, overflow flags)",
    "sb.count": "one output per input (per dot product for the MAC array), none lost, none extra, per reset epoch",
    "sb.sticky": "overflow_o high with every result from the first saturated dot product on, and equal to the model at the end",
    "sb.latency": "no output sooner than the documented latency; with m_axis_tready high from the input's transfer on, "
                  "exactly the documented latency",
    # handshakes, cycle by cycle (the AXI-Stream BFM)
    "axis.stable": "m_axis_tdata/tuser/tlast unchanged and m_axis_tvalid held while m_axis_tvalid && !m_axis_tready",
    "axis.valid_indep": "m_axis_tvalid does not depend on m_axis_tready (unchanged within a cycle in which tready changes)",
    "axis.throughput": "s_axis_tready high in every cycle in which m_axis_tready is (SKID=1: has been for one cycle)",
    "axis.bubble_fill": "output stalled: s_axis_tready high while fewer than LATENCY beats are held (empty stages fill)",
    "axis.capacity": "output stalled: s_axis_tready low once LATENCY beats are held (never more in flight)",
    "axis.stall_rule": "s_axis_tready low only when a tlast beat has reached the accumulators while the result "
                       "register is full and not taken (SKID=1: in the cycle before)",
    "axis.stuck": "the DUT moves a beat within STUCK_CYCLES cycles while work is pending",
    # reset (the AXI-Stream BFM)
    "reset.tvalid": "m_axis_tvalid low while rst is high (from its first rising edge) and in the first cycle after",
    "reset.tready": "s_axis_tready low in every cycle in which rst is high",
    "reset.clears": "sticky sideband outputs (overflow_o) low while rst is high, from its first rising edge",
    "reset.ready_after": "s_axis_tready high in the first cycle after the reset (the DUT is empty)",
    "reset.flush": "no beat accepted before a reset comes out after it: m_axis_tvalid stays low until a beat "
                   "accepted after the reset had its latency",
}

_TAG = re.compile(r"\[([a-z_]+\.[a-z_]+)\]")


def tagged(check: str, message: str) -> str:
    """``[check] message``: the form of every error of a named check."""
    if check not in CHECKS:
        raise KeyError(f"unknown check {check!r}: allowed {', '.join(CHECKS)}")
    return f"[{check}] {message}"


def fired(text: str) -> set[str]:
    """The names of the checks whose errors appear in ``text`` (a log, a list of failures)."""
    return {name for name in _TAG.findall(text) if name in CHECKS}
