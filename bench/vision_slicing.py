"""Small objects: full-frame inference vs supervision's InferenceSlicer (what vision.slicing uses) vs SAHI.

Real imagery made small: ultralytics' bus.jpg shrunk and tiled over a 1280x720 frame, so its people and
bus are as small as road users seen from altitude. Reference boxes are the detector's own boxes on the
full-resolution image, mapped into the tiles. Prints recall/precision at IoU 0.5 and time per frame
for each shrink factor, plus the car length in model pixels at which vision's auto rule switches.
SAHI is measured only when importable (it is not a project dependency; add it to PYTHONPATH to compare).

    .venv/bin/python -m bench.vision_slicing [--quick]
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2  # noqa: E402
import numpy as np  # noqa: E402


def tiled_frame(bus: np.ndarray, ref, scale: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 1280x720 frame of shrunk bus.jpg tiles and the reference boxes/classes inside it."""
    small = cv2.resize(bus, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    frame = np.full((720, 1280, 3), 110, np.uint8)
    boxes, cls = [], []
    gap = 8
    for y in range(gap, 720 - h, h + gap):
        for x in range(gap, 1280 - w, w + gap):
            frame[y:y + h, x:x + w] = small
            boxes.append(ref.xyxy * scale + np.array([x, y, x, y]))
            cls.append(ref.cls)
    return frame, np.concatenate(boxes), np.concatenate(cls)


def recall_precision(pred, boxes: np.ndarray, cls: np.ndarray) -> tuple[float, float]:
    from vision.scoring import _match

    hits = 0
    for c in np.unique(cls):
        g, p = boxes[cls == c], pred.xyxy[pred.cls == c].astype(float)
        hits += len(_match(g, p, 0.5))
    return hits / len(boxes), hits / max(len(pred), 1)


def sahi_detector(weights: str, conf: float):
    """A SAHI sliced predictor on the same weights, or None when SAHI is not importable."""
    try:
        from sahi import AutoDetectionModel
        from sahi.predict import get_sliced_prediction
    except ImportError:
        return None
    from vision.classes import class_map
    from vision.detections import Detections

    model = AutoDetectionModel.from_pretrained(model_type="ultralytics", model_path=weights, confidence_threshold=conf,
                                               device="cpu", image_size=640)
    mapping = class_map(model.model.names)

    def detect(frame: np.ndarray):
        res = get_sliced_prediction(frame[:, :, ::-1], model, slice_height=640, slice_width=640,
                                    overlap_height_ratio=0.15, overlap_width_ratio=0.15, perform_standard_pred=True,
                                    postprocess_type="NMS", postprocess_match_threshold=0.5, verbose=0)
        rows = [(o.bbox.to_xyxy(), o.score.value, mapping[o.category.id]) for o in res.object_prediction_list
                if mapping[o.category.id] >= 0]
        if not rows:
            return Detections()
        return Detections(np.array([r[0] for r in rows]), np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))

    return detect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    import importlib.util
    from pathlib import Path

    from vision.detector import DetectorConfig, make_detector
    from vision.models import configure_ultralytics, resolve_model
    from vision.slicing import CAR_LENGTH_M, SliceConfig, SlicedDetector

    configure_ultralytics()
    assets = Path(list(importlib.util.find_spec("ultralytics").submodule_search_locations)[0]) / "assets"
    bus = cv2.imread(str(assets / "bus.jpg"))
    det = make_detector(DetectorConfig(model="yolov8n.pt", backend="torch"))
    det.warmup((720, 1280))
    ref = det.detect(bus)
    ref = ref[ref.conf > 0.5]
    sliced = SlicedDetector(det, SliceConfig(mode="on"))
    sahi = sahi_detector(resolve_model("yolov8n.pt"), 0.25)
    runs = {"full frame": det.detect, "supervision slicer": sliced.detect}
    if sahi is not None:
        runs["SAHI"] = sahi
    scales = (0.3, 0.2) if args.quick else (0.4, 0.3, 0.2, 0.15)
    print(f"small objects: bus.jpg tiles in 1280x720, yolov8n at 640; reference = {len(ref)} boxes per tile "
          f"({', '.join(ref.names)}); slices 640x640, overlap 96 px, + full frame")
    print(f"{'scale':>5} {'objects':>7} {'person px (model)':>17}  " + "  ".join(f"{k:>26}" for k in runs))
    for s in scales:
        frame, boxes, cls = tiled_frame(bus, ref, s)
        person_h = float(np.median((boxes[:, 3] - boxes[:, 1])[cls == 5])) * 640 / 1280
        cells = []
        for name, fn in runs.items():
            fn(frame)
            t = time.perf_counter()
            pred = fn(frame)
            dt = time.perf_counter() - t
            r, p = recall_precision(pred, boxes, cls)
            cells.append(f"R {r:4.2f} P {p:4.2f} {dt * 1000:6.0f} ms")
        print(f"{s:5.2f} {len(boxes):7d} {person_h:17.1f}  " + "  ".join(f"{c:>26}" for c in cells))
    print(f"auto rule: slice when a {CAR_LENGTH_M} m car is < {SliceConfig().min_car_px:.0f} px in the model input "
          f"(1280 px frame at 640: GSD > {CAR_LENGTH_M / SliceConfig().min_car_px / 2:.3f} m/px)")


if __name__ == "__main__":
    main()
