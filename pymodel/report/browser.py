"""Open an HTML file in headless Chromium and report script errors and images that failed.

A report that looks fine in a template test can still break in a browser (a truncated base64
figure, a stray script error), so the check loads the page in a real browser. A small probe
script is injected at the top of a copy of the page (a ``<base>`` element keeps relative
links pointing at the original directory); it records uncaught errors, failed resource
loads and ``console.error`` calls, and after the load event every ``<img>`` whose
``naturalWidth`` is 0, into a ``<pre id="browser-probe">`` element that ``--dump-dom`` prints.
Chromium's own console log (``--enable-logging=stderr``) is read as well: the report page
writes nothing to the console, so any console line counts as an error.

Uses Debian's ``chromium`` (``apt-get install chromium``); no driver or download is needed.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pymodel.core.errors import MBMError

#: flags that work headless as root on a CI box with no network and no display
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=10000",
)

_PROBE = """<script>(function () {
  var probe = {errors: [], broken_images: [], images: 0};
  window.addEventListener("error", function (e) {
    var t = e.target;
    var failed = t && t !== window;
    probe.errors.push(failed ? "failed to load " + t.tagName + " " + (t.src || t.href || "") : e.message);
  }, true);
  var original = console.error;
  console.error = function () {
    probe.errors.push("console.error: " + Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
  window.addEventListener("load", function () {
    var images = document.images;
    probe.images = images.length;
    for (var i = 0; i < images.length; i++) {
      if (!images[i].complete || images[i].naturalWidth === 0) {
        probe.broken_images.push(images[i].getAttribute("alt") || images[i].src.slice(0, 80));
      }
    }
    var pre = document.createElement("pre");
    pre.id = "browser-probe";
    pre.textContent = JSON.stringify(probe);
    document.body.appendChild(pre);
  });
})();</script>"""
_PROBE_OUT = re.compile(r'<pre id="browser-probe">(.*?)</pre>', re.S)
_CONSOLE = re.compile(r":CONSOLE[^\]]*\]\s*(.*)")


@dataclass
class BrowserCheck:
    """What the browser saw; ``ok`` when no error, no console line and no broken image."""

    images: int = 0
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.errors or self.console or self.broken_images)

    def describe(self) -> str:
        """One paragraph for an assertion message."""
        return (
            f"{self.images} image(s); broken: {self.broken_images or 'none'}; "
            f"errors: {self.errors or 'none'}; console: {self.console or 'none'}"
        )


def find_chromium() -> str | None:
    """Path of a Chromium binary on PATH (Debian: chromium), or None."""
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


def _with_probe(page: str, base: Path) -> str:
    head = f'<base href="{html.escape(base.as_uri())}/">{_PROBE}'
    match = re.search(r"<head[^>]*>", page, re.I)
    if match:
        return page[: match.end()] + head + page[match.end() :]
    return head + page


def check_html(path: str | Path, chromium: str | None = None, timeout_s: float = 120) -> BrowserCheck:
    """Load ``path`` in headless Chromium; raises MBMError when no browser is available."""
    path = Path(path).resolve()
    chromium = chromium or find_chromium()
    if chromium is None:
        raise MBMError("no chromium binary on PATH: allowed Debian's chromium (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="mbm_browser_") as scratch:
        probed = Path(scratch) / path.name
        probed.write_text(_with_probe(path.read_text(), path.parent))
        proc = subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={scratch}/profile", "--dump-dom", probed.as_uri()],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    found = _PROBE_OUT.search(proc.stdout)
    console = [m.group(1) for m in map(_CONSOLE.search, proc.stderr.splitlines()) if m]
    if not found:
        tail = proc.stderr.strip().splitlines()[-3:]
        return BrowserCheck(
            errors=[f"no probe output: the page did not finish loading (chromium: {tail})"], console=console
        )
    probe = json.loads(html.unescape(found.group(1)))
    return BrowserCheck(probe["images"], probe["errors"], console, probe["broken_images"])
