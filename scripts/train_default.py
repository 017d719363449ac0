"""Train the bundled SYNTHETIC default: the small DepthNet on procedural scenes.

    nice python scripts/train_default.py [--steps 3000] [--scenes 4096] [--out PATH]

The model is pymodel.nn.nets.SMALL_CONFIG (same layer names as the seed network, narrower), the
data pymodel.nn.scenes scenes at 96 x 128 (seed 0; the test scenes use seed 1), the target the
DenseDepth coding (max_depth / depth in cm, see pymodel.nn.metrics.DepthCoding), the loss L1 on
that target plus L1 on its image gradients, Adam with cosine decay, random horizontal flips.
Seeded and single-process, so a rerun on the same torch build gives the same weights; a few
minutes on 2 CPU cores. The weights it writes are committed (well under 10 MB); they are a
stand-in so that everything runs with nothing downloaded, not the seed network.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymodel.nn.data import synthetic_testset  # noqa: E402
from pymodel.nn.metrics import DepthCoding, mean_errors  # noqa: E402
from pymodel.nn.nets import DEFAULT_INPUT_HW, DEFAULT_WEIGHTS, SMALL_CONFIG, SYNTHETIC_NOTE, build_depth_net  # noqa: E402
from pymodel.nn.predict import (
    images_to_tensor,  # noqa: E402
    predict_depth,  # noqa: E402
)
from pymodel.nn.scenes import render_scenes  # noqa: E402


def gradient_l1(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 between the horizontal and vertical finite differences of two N x 1 x H x W maps."""
    dx = (pred.diff(dim=-1) - target.diff(dim=-1)).abs().mean()
    dy = (pred.diff(dim=-2) - target.diff(dim=-2)).abs().mean()
    return dx + dy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--scenes", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: polite on a shared CPU)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    h, w = DEFAULT_INPUT_HW
    coding = DepthCoding()
    t0 = time.time()
    rgb, depth = render_scenes(args.scenes, h, w, seed=0)
    x_all = images_to_tensor(rgb)
    # Target at the output's half resolution (area average of the full-resolution coding).
    y_all = F.avg_pool2d(torch.from_numpy(coding.encode(depth)).float()[:, None], 2)
    print(f"rendered {args.scenes} scenes at {h}x{w} in {time.time() - t0:.1f} s")

    model = build_depth_net(SMALL_CONFIG).train()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.steps, pct_start=0.1)
    bar = tqdm(range(args.steps), desc="train (synthetic)", unit="step")
    for _ in bar:
        idx = torch.from_numpy(rng.choice(args.scenes, args.batch, replace=False))
        x, y = x_all[idx], y_all[idx]
        if rng.random() < 0.5:
            x, y = x.flip(-1), y.flip(-1)
        pred = model(x)
        loss = F.l1_loss(pred, y) + gradient_l1(pred, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.3f}")
    model.eval()
    test = synthetic_testset(32, h, w)
    scores = mean_errors(test.depth, predict_depth(model, test.rgb, coding), test.crop)
    print("synthetic test (32 scenes):", " ".join(f"{k}={v:.4f}" for k, v in scores.items()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "state_dict": model.state_dict(),
            "config": SMALL_CONFIG.to_dict(),
            "input_hw": list(DEFAULT_INPUT_HW),
            "note": SYNTHETIC_NOTE,
            "train": {"steps": args.steps, "scenes": args.scenes, "batch": args.batch, "lr": args.lr,
                      "torch": str(torch.__version__), "seconds": round(time.time() - t0, 1)},
            "synthetic_test_metrics": scores,
        },
        args.out,
    )
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB) in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
