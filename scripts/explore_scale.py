"""How long does a real exploration take, here and on N Ray nodes? (``make explore-scale``)

Measures, with the FULL-WIDTH seed architecture (seeded random weights: the time does not
depend on the weights) on procedural scenes at 480x640:

* the time of one image-row (one assignment evaluated on one image, one thread) for the exact
  float network, one decoder layer approximated, and all 14 decoder layers approximated;
* a batch of rows run in this process, on a local pool of 2 workers and as Ray tasks on a
  two-node cluster started on loopback addresses (head 127.0.0.2, worker 127.0.0.3, one CPU
  each), identical numbers checked;

and projects the wall time of the whole NYU Eigen test split (654 images) x 16 rows
(exact, 14 layers alone, all) x 5 candidates on one machine and on N nodes. Writes
reports/explore/scale.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from pymodel.core.spec import parse_spec  # noqa: E402
from pymodel.explore.cluster import loopback_cluster  # noqa: E402
from pymodel.explore.execute import Journal, Row, run_rows  # noqa: E402
from pymodel.nn.data import synthetic_testset  # noqa: E402
from pymodel.nn.evaluate import Evaluation  # noqa: E402
from pymodel.nn.nets import DECODER_LAYERS, build_depth_net  # noqa: E402

EIGEN_IMAGES, ROWS_PER_CANDIDATE, CANDIDATES = 654, 16, 5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1, help="images per row")
    parser.add_argument("--rows", type=int, default=4, help="rows of the local-vs-Ray batch")
    parser.add_argument("--out", type=Path, default=Path("reports/explore/scale.json"))
    parser.add_argument("--no-ray", action="store_true", help="skip the two-node cluster")
    args = parser.parse_args()

    torch.manual_seed(0)
    model = build_depth_net()
    data = synthetic_testset(args.images, 480, 640)
    evaluation = Evaluation.calibrated(model, data, list(DECODER_LAYERS), {8}, calib_images=1)
    mbm = parse_spec("mbm:8")
    plan = [("exact", {}), *((n, {n: mbm}) for n in DECODER_LAYERS), ("all", {n: mbm for n in DECODER_LAYERS})]
    evaluation.run(plan[-1][1])  # warm up: kernel compile
    timing = {}
    for label, assignment in plan:  # in sweep order, so single-layer rows replay cached exact features
        start = time.perf_counter()
        evaluation.run(assignment)
        timing[label] = (time.perf_counter() - start) / args.images
        print(f"{label:<24} {timing[label]:7.2f} s per image-row")
    per_image_s = sum(timing.values())  # the 16 rows of one candidate, one image, one core
    row_s = per_image_s / len(plan)
    total_s = EIGEN_IMAGES * CANDIDATES * per_image_s
    batch = [Row(f"r{i}", {DECODER_LAYERS[-1 - i % 3]: "mbm:8"}) for i in range(args.rows)]
    runs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in (("in process", {}), ("local pool, 2 workers", {"workers": 2})):
            start = time.perf_counter()
            results = run_rows(batch, evaluation, Journal(Path(tmp) / f"{len(runs)}.jsonl", {}, False), **kw)
            runs[name] = (time.perf_counter() - start, {k: r.metrics for k, r in results.items()})
        if not args.no_ray:
            with loopback_cluster() as address:
                start = time.perf_counter()
                results = run_rows(batch, evaluation, Journal(Path(tmp) / "ray.jsonl", {}, False), ray=True,
                                   ray_address=address)
                runs["Ray, 2 nodes x 1 CPU"] = (time.perf_counter() - start, {k: r.metrics for k, r in results.items()})
    reference = runs["in process"][1]
    print(f"\n{args.rows} rows x {args.images} image(s):")
    for name, (seconds, metrics) in runs.items():
        print(f"  {name:<24} {seconds:7.1f} s   identical to in-process: {metrics == reference}")
    print(f"\nprojection: {EIGEN_IMAGES} images x {ROWS_PER_CANDIDATE} rows x {CANDIDATES} candidates "
          f"at {per_image_s:.1f} s per image for the 16 rows ({row_s:.2f} s per image-row, one core)")
    projection = {}
    for nodes, cores in ((1, 2), (4, 2), (16, 2), (8, 16)):
        hours = total_s / (nodes * cores) / 3600
        projection[f"{nodes} node(s) x {cores} cores"] = round(hours, 2)
        print(f"  {nodes:>3} node(s) x {cores:>2} cores: {hours:8.2f} h")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "per_image_row_s": timing, "mean_row_s": row_s, "rows_per_image_s": per_image_s, "images": args.images,
        "batch": {k: round(v[0], 2) for k, v in runs.items()},
        "identical": all(v[1] == reference for v in runs.values()),
        "projection_hours": projection, "machine": f"{os.cpu_count()} cores",
    }, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
