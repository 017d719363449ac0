"""The HTML report in a real browser (headless Chromium), and proof that the check can fail.

Skipped when no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pymodel.core.paths import REPO_ROOT
from pymodel.report.browser import check_html, find_chromium
from pymodel.report.config import load_config
from pymodel.report.render import build_report, write_report
from tests.report import report_fixtures as fx

pytestmark = pytest.mark.skipif(
    find_chromium() is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)
#: a valid 1x1 PNG
PIXEL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def page(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "page.html"
    path.write_text(f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>")
    return path


def test_signoff_html_loads_without_errors_and_every_image_renders(tmp_path):
    out, repo = tmp_path / "reports", tmp_path / "repo"
    fx.write_all(out, repo)
    write_report(build_report(load_config(REPO_ROOT / "signoff.toml"), out, repo), out)
    result = check_html(out / "signoff.html")
    assert result.ok, result.describe()
    assert result.images == 3


#: one page with four independent defects: each detector must report its own
BROKEN = {
    "broken_images": ["truncated figure", "gone"],
    "errors": ["template bug", "bad value", "missing.png"],
}
BROKEN_BODY = (
    f'<img alt="fine" src="{PIXEL}">'
    '<img alt="truncated figure" src="data:image/png;base64,iVBORw0KGgo=">'
    '<img alt="gone" src="missing.png">'
    "<script>console.error('bad value')</script>"
    "<script>throw new Error('template bug')</script>"
)


def test_the_check_catches_each_defect_of_a_broken_page(tmp_path):
    result = check_html(page(tmp_path, BROKEN_BODY))
    assert not result.ok and result.images == 3
    for field, expected in BROKEN.items():
        for item in expected:
            assert any(item in seen for seen in getattr(result, field)), (item, result.describe())
    assert result.broken_images == ["truncated figure", "gone"]  # the good pixel is not flagged
    assert any("template bug" in line for line in result.console)  # Chromium's own console log
