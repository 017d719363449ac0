"""Assemble the sign-off report and write it as HTML, Markdown and JSON.

One context dictionary feeds all three outputs, so they cannot disagree: signoff.json is
that dictionary (figures as file names), signoff.md links the PNG files written next to it,
and signoff.html embeds every figure as a base64 data URI so the one file can be mailed or
attached to a review on its own.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from pathlib import Path
from typing import Any

from pymodel.core import multiplier as mm
from pymodel.hw import synthesis
from pymodel.report import accuracy, characterization, hardware, provenance, testplan
from pymodel.report.collect import Source, collect
from pymodel.report.config import SignoffConfig
from pymodel.report.verdict import judge

TEMPLATES = Path(__file__).parent / "templates"
FIGURES_DIR = "figures"
OUTPUTS = ("signoff.html", "signoff.md", "signoff.json")


def _seeds(sources: dict[str, Source], stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every seed a producer recorded, with where it came from; the characterization first."""
    labels = {
        "rtl": lambda r: r["test"],
        "cosim": lambda r: r["layer"],
        "vectors": lambda r: f"{r.get('dut')}/{r.get('config')}",
    }
    first = stats[0]
    item = f"all multipliers at N={first['bits']} t={first['trunc']}"
    own = {"source": "characterization", "item": item, "seed": first["seed"] or "none (exhaustive)"}
    return [own] + [
        {"source": sources[key].title, "item": str(label(rec)), "seed": rec["seed"]}
        for key, label in labels.items()
        for rec in sources[key].data or []
        if rec.get("seed") is not None
    ]


def _vector_sets(vectors: Source) -> list[dict[str, Any]]:
    """One row per vector file: set (with its seed and commit), file name, sha256, as the
    manifests record them (:func:`pymodel.hw.vectors.load_set` is what verifies them)."""
    rows = []
    for m in vectors.data or []:
        commit = str(m.get("git_commit") or "unknown")[:12]
        label = f"{m.get('dut')}/{m.get('config')} (seed {m.get('seed')}, commit {commit})"
        rows += [{"set": label, "file": f, "sha256": d} for f, d in sorted((m.get("files") or {}).items())]
    return rows


def _figure(section: str, name: str, title: str, png: bytes) -> dict[str, Any]:
    """A figure of one report section; PNG bytes here, a file name in signoff.json."""
    return {"section": section, "name": name, "title": title, "png": png, "file": f"{FIGURES_DIR}/{name}.png"}


def build_report(cfg: SignoffConfig, out_dir: Path, repo: Path, run_missing: bool = False) -> dict[str, Any]:
    """The whole report as one dictionary (PNG figures as bytes under ``figures``)."""
    sources = collect(out_dir, repo)
    sweep = accuracy.sweep_tables(sources["accuracy"].data)
    if sweep:
        sweep["limits"] = {m: cfg.deviation_limit(m) for m in sweep["metrics"]}
    rtl_records = sources["rtl"].data or []
    plans = testplan.load_testplans(repo, testplan.recorded_by_run(rtl_records))
    plans = testplan.evaluate(plans, rtl_records)
    verdict = judge(sources, sweep, cfg, plans)
    mult = cfg.multiplier
    imported = [m for m in cfg.signed_off() if isinstance(m, mm.TableMultiplier)]
    shown = imported[0] if imported and not isinstance(mult, mm.TableMultiplier) else mult  # the figures' multiplier
    stats = characterization.stats_table(mult, imported)
    figures = [
        _figure(
            "characterization",
            "error_heatmap",
            f"Relative error over (a, b), {mm.label(shown)}",
            characterization.heatmap_png(shown),
        ),
        _figure(
            "characterization",
            "error_histogram",
            f"Relative-error histogram, N={characterization.builtin_base(shown).bits}",
            characterization.histogram_png(shown),
        ),
    ]
    for chart in sources["accuracy"].charts:
        figures.append(
            _figure("accuracy", f"accuracy_{chart.stem}", chart.stem.replace("_", " "), chart.read_bytes())
        )
    synth_rows = synthesis.cost_table(characterization.builtin_base(mult), cfg.synth_bits, repo / "rtl",
                                      out_dir / "synth", run=run_missing, imports=imported)
    cost_chart = hardware.cost_chart_png(synth_rows)
    if cost_chart:
        figures.append(_figure("synthesis", "hardware_cost", "Hardware cost per multiplier", cost_chart))
    return {
        "title": f"MBM sign-off report: {mm.label(mult)}",
        "generated_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "verdict": verdict.as_dict(),
        "config": cfg.as_dict(),
        "sources": {k: s.as_dict() for k, s in sources.items()},
        "provenance": {
            "git": provenance.git_state(repo),
            "tools": provenance.tool_versions(repo),
            "seeds": _seeds(sources, stats),
            "vectors": _vector_sets(sources["vectors"]),
        },
        "characterization": {
            "config": mm.label(mult),
            "stats": stats,
            "published": characterization.published_comparison(),
        },
        "rtl": sources["rtl"].data,
        "testplan": {"pattern": str(testplan.plan_path(Path(), "<dut>")), "duts": plans},
        "cosim": sources["cosim"].data or [],
        "accuracy": sweep,
        "synthesis": {
            "rows": synth_rows,
            "yosys": synthesis.yosys_version(),
            "flows": {k: v.format(top="<module>") for k, v in synthesis.FLOWS.items()},
        },
        "fpga": sources["fpga"].data or [],
        "fpga_array": {"rows": hardware.array_rows(sources["fpga_array"].data),
                       "harness": (sources["fpga_array"].data or {}).get("harness", ""),
                       "dsp": (sources["fpga_array"].data or {}).get("dsp", "")},
        "bench": accuracy.bench_rows(sources["bench"].data),
        "figures": figures,
    }


def _environment(autoescape: bool) -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = _num
    env.filters["pct"] = _pct
    env.filters["cell"] = lambda v: re.sub(r"\s*\n\s*", " ", str(v)).replace("|", "\\|")
    env.filters["brief"] = _brief
    env.filters["plain"] = lambda v: "—" if v is None else str(v)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode()
    env.filters["tojson_text"] = lambda v: json.dumps(v, sort_keys=True)
    return env


def _num(value: Any, digits: int = 3) -> str:
    """Numbers for people: thousands separators, ``digits`` significant decimals, dash for none."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1000:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}" if value == 0 or abs(value) >= 10**-digits else f"{value:.{digits}g}"


def _brief(value: Any) -> str:
    """Nested JSON (a layer shape, a tile, a config) as one short line: ``input [1, 3]; lanes 4``."""
    if isinstance(value, dict):
        return "; ".join(f"{k} {_brief(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_brief(v) for v in value) + "]"
    return "—" if value is None else str(value)


def _pct(value: Any, digits: int = 2, signed: bool = True) -> str:
    """A percentage with its sign (the sign of a bias or deviation matters)."""
    if value is None:
        return "—"
    return f"{value:+.{digits}f} %" if signed else f"{value:.{digits}f} %"


def write_report(report: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write figures/*.png, signoff.html, signoff.md and signoff.json under ``out_dir``."""
    (out_dir / FIGURES_DIR).mkdir(parents=True, exist_ok=True)
    for fig in report["figures"]:
        (out_dir / fig["file"]).write_bytes(fig["png"])
    html = _environment(True).get_template("signoff.html.j2").render(r=report)
    md = _environment(False).get_template("signoff.md.j2").render(r=report)
    as_json = {k: v for k, v in report.items() if k != "figures"}
    as_json["figures"] = [{k: v for k, v in f.items() if k != "png"} for f in report["figures"]]
    paths = [out_dir / name for name in OUTPUTS]
    for path, text in zip(paths, (html, md, json.dumps(as_json, indent=1, default=str) + "\n"), strict=True):
        path.write_text(text)
    return paths
