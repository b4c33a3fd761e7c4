"""`aeropatrol detect` (run the detector on an image or video) and `aeropatrol vision score` (score tracks)."""
from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the vision commands to the `aeropatrol` parser."""
    det = subparsers.add_parser("detect", help="detect vehicles and people in an image or video",
                                description="Run the YOLO detector (our class mapping and thresholds) on an image or a video.")
    det.add_argument("source", help="image file (jpg/png) or video file/URL")
    det.add_argument("--model", default="yolov8n.pt", help="weights path or name (.pt or ultralytics-exported .onnx)")
    det.add_argument("--backend", choices=["auto", "torch", "onnx"], default="auto")
    det.add_argument("--imgsz", type=int, default=0, help="model input size (default: the size it was trained at)")
    det.add_argument("--conf", type=float, default=0.25, help="confidence threshold (all classes)")
    det.add_argument("--max-frames", type=int, default=0, help="video: stop after N frames (0 = all)")
    det.add_argument("--save", help="write the image with boxes drawn and people blurred here (images only)")
    det.add_argument("--json", action="store_true", help="machine-readable output")
    det.set_defaults(func=_detect)

    vis = subparsers.add_parser("vision", help="onboard vision tools (scoring)")
    vsub = vis.add_subparsers(dest="vision_command", metavar="COMMAND")
    sc = vsub.add_parser("score", help="score tracks against ground truth (AP50, MOTA/IDF1, geolocation, speed)",
                         description="Score against ground truth: either the built-in synthetic projected-box scene "
                                     "(--synthetic) or a ground-truth JSON-lines file with a tracks log.")
    src = sc.add_mutually_exclusive_group(required=True)
    src.add_argument("--synthetic", action="store_true", help="run the tracking+georeferencing layers on the synthetic scene")
    src.add_argument("--gt", help="ground truth JSON lines: {frame_id, time_s, objects:[{agent_id, cls, bbox_xyxy, lat, lon, speed_kmh}]}")
    sc.add_argument("--tracks", help="with --gt: the pipeline's tracks log (.jsonl)")
    sc.add_argument("--seconds", type=float, default=30.0, help="--synthetic: scene length")
    sc.add_argument("--seed", type=int, default=7, help="--synthetic: held-out seed")
    sc.add_argument("--alt", type=float, default=80.0, help="--synthetic: height above ground (m)")
    sc.add_argument("--out", default="reports", help="directory for vision_score.json / .md")
    sc.add_argument("--json", action="store_true", help="print the JSON report")
    sc.set_defaults(func=_score)
    vis.set_defaults(func=lambda args: (vis.print_help(), 2)[1])


def _detect(args: argparse.Namespace) -> int:
    from pathlib import Path  # noqa: PLC0415

    import cv2  # noqa: PLC0415

    from vision.detector import DetectorConfig, make_detector  # noqa: PLC0415
    from vision.models import ModelNotFound  # noqa: PLC0415

    try:
        detector = make_detector(DetectorConfig(model=args.model, backend=args.backend, imgsz=args.imgsz, conf=args.conf))
    except (ModelNotFound, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    path = Path(args.source)
    if path.suffix.lower() in {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"}:
        image = cv2.imread(str(path))
        if image is None:
            print(f"error: cannot read image {args.source!r}", file=sys.stderr)
            return 2
        dets = detector.detect(image)
        if args.save:
            from vision.privacy import blur_people  # noqa: PLC0415

            out = blur_people(image, dets)
            for (x1, y1, x2, y2), name, conf in zip(dets.xyxy.astype(int), dets.names, dets.conf):
                cv2.rectangle(out, (x1, y1), (x2, y2), (0, 200, 255), 2)
                cv2.putText(out, f"{name} {conf:.2f}", (x1, max(12, y1 - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 200, 255), 1)
            cv2.imwrite(args.save, out)
        records = [{"frame": 0, "detections": dets.to_json()}]
    else:
        from vision.sources import SourceError, VideoSource  # noqa: PLC0415

        try:
            source = VideoSource(args.source)
        except SourceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        records = []
        for frame in source:
            if args.max_frames and frame.frame_id >= args.max_frames:
                break
            records.append({"frame": frame.frame_id, "time_s": frame.time_s, "detections": detector.detect(frame.image).to_json()})
        source.close()
    if args.json:
        print(json.dumps(records if len(records) != 1 else records[0]))
    else:
        for rec in records:
            for d in rec["detections"]:
                print(f"frame {rec['frame']}: {d['cls']:<10} {d['confidence']:.2f}  {d['bbox_xyxy']}")
        print(f"{sum(len(r['detections']) for r in records)} detections in {len(records)} frame(s)")
    return 0


def _score(args: argparse.Namespace) -> int:
    from vision.scoring import markdown, score, write_report  # noqa: PLC0415

    if args.synthetic:
        from vision.evaluate import run_synthetic  # noqa: PLC0415

        gt, preds = run_synthetic(seconds=args.seconds, seed=args.seed, alt_agl_m=args.alt)
        name = f"synthetic seed {args.seed}, {args.alt:.0f} m AGL"
    else:
        if not args.tracks:
            print("error: --gt needs --tracks (the pipeline's tracks log)", file=sys.stderr)
            return 2
        from vision.evaluate import load_tracks_log  # noqa: PLC0415
        from vision.scoring import load_gt_jsonl  # noqa: PLC0415

        try:
            gt = load_gt_jsonl(args.gt)
            preds = load_tracks_log(args.tracks)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        name = args.gt
    report = score(gt, preds, name)
    j, m = write_report(report, args.out)
    print(json.dumps(report, default=float) if args.json else markdown(report) + f"\nwritten: {j}, {m}")
    return 0 if all(t["met"] for t in report["targets"].values()) else 1
