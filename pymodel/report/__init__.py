"""The sign-off report: ``python -m pymodel report`` (``make report``).

Ties together what the RTL was proven to do (regression, coverage, co-simulation), what the
approximation costs in accuracy (per-layer sweep) and what it saves in hardware (Yosys cell
and LUT counts), with the tool versions, seeds and vector checksums needed to reproduce it,
and a PASS / FAIL / INCOMPLETE verdict against signoff.toml first. The written HTML is then
opened in headless Chromium when one is installed; a page with a script error or an image that
does not load makes the command exit 1.

Modules: :mod:`~pymodel.report.config` (signoff.toml), :mod:`~pymodel.report.collect` (result
files), :mod:`~pymodel.report.provenance`, :mod:`~pymodel.report.characterization`,
:mod:`~pymodel.nn.figures` (matplotlib plumbing), :mod:`~pymodel.hw.synthesis`,
:mod:`~pymodel.report.accuracy`, :mod:`~pymodel.report.testplan` (tb/<dut>/testplan.toml),
:mod:`~pymodel.report.verdict`, :mod:`~pymodel.report.render`
(templates/ holds the jinja2 HTML and Markdown) and :mod:`~pymodel.report.browser` (the
headless-Chromium check).
"""

from __future__ import annotations

