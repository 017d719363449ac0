"""Matplotlib plumbing shared by the report's charts: headless backend and PNG bytes.

The report runs on CI machines without a display, so every figure uses the Agg backend and is
returned as PNG bytes that the renderer embeds in the HTML and writes next to the Markdown.
"""

from __future__ import annotations

import io
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (imported on first use: it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def png(fig: Any) -> bytes:
    """The figure as PNG bytes; closes it so long report runs do not accumulate figures."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return buf.getvalue()
