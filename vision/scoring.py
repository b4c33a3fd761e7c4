"""Score the pipeline against ground truth: detection AP50 per class (supervision), MOTA/IDF1 (motmetrics),
geolocation error (m) and speed MAE (km/h) of vehicles tracked >= 3 s; JSON + Markdown report.

Ground truth is a list of ``GTFrame``s (frame id, time, objects with agent id, class, box, position,
speed) — what the sims camera publishes with every frame (docs/sims_camera.md) or a JSON-lines file of
the same fields.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from datalink.messages import TrackUpdate
from vision.classes import CLASSES, VEHICLES, canonical
from vision.detections import Detections

TARGETS = {"geo_median_m": 1.0, "speed_mae_kmh": 3.0, "idf1": 0.85, "car_ap50": 0.95}


@dataclass
class GTObject:
    """One true object in one frame."""

    agent_id: int
    cls: str
    bbox_xyxy: tuple[float, float, float, float]
    lat: float
    lon: float
    speed_kmh: float = float("nan")


@dataclass
class GTFrame:
    """The truth of one frame."""

    frame_id: int
    time_s: float
    objects: list[GTObject] = field(default_factory=list)

    @classmethod
    def from_dict(cls, d: dict, where: str = "ground truth") -> "GTFrame":
        """Parse {frame_id, time_s, objects: [{agent_id, cls, bbox_xyxy, lat, lon, speed_kmh}]}; errors name the field."""
        try:
            objs = []
            for i, o in enumerate(d.get("objects", [])):
                name = canonical(str(o["cls"]))
                if name is None:
                    continue
                bbox = tuple(float(v) for v in o["bbox_xyxy"])
                if len(bbox) != 4:
                    raise ValueError(f"objects[{i}].bbox_xyxy must have 4 numbers")
                objs.append(GTObject(int(o["agent_id"]), name, bbox, float(o["lat"]), float(o["lon"]),
                                     float(o.get("speed_kmh", float("nan")))))
            return cls(int(d["frame_id"]), float(d["time_s"]), objs)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{where}: bad frame record ({exc!r})") from None


@dataclass
class FramePrediction:
    """What the pipeline produced for one frame."""

    frame_id: int
    detections: Detections
    updates: list[TrackUpdate]


def load_gt_jsonl(path: str | Path) -> list[GTFrame]:
    """Read ground truth frames from JSON lines."""
    frames = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                frames.append(GTFrame.from_dict(json.loads(line), where=f"{path}:{n}"))
    return frames


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix of xyxy boxes (A, B)."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter + 1e-9)


def _match(gt_boxes: np.ndarray, hyp_boxes: np.ndarray, min_iou: float = 0.5) -> list[tuple[int, int]]:
    iou = _iou(gt_boxes, hyp_boxes)
    if not iou.size:
        return []
    r, c = linear_sum_assignment(-iou)
    return [(i, j) for i, j in zip(r, c) if iou[i, j] >= min_iou]


def detection_ap50(gt: list[GTFrame], preds: dict[int, FramePrediction]) -> dict[str, float]:
    """AP at IoU 0.5 per class (supervision's COCO-style MeanAveragePrecision)."""
    import supervision as sv  # noqa: PLC0415
    from supervision.metrics import MeanAveragePrecision  # noqa: PLC0415

    metric = MeanAveragePrecision()
    p_list, t_list = [], []
    for f in gt:
        p = preds.get(f.frame_id)
        d = p.detections if p is not None else Detections()
        p_list.append(sv.Detections(xyxy=d.xyxy.astype(float).reshape(-1, 4), confidence=d.conf.astype(float),
                                    class_id=d.cls.astype(int)))
        boxes = np.array([o.bbox_xyxy for o in f.objects], float).reshape(-1, 4)
        t_list.append(sv.Detections(xyxy=boxes, class_id=np.array([CLASSES.index(o.cls) for o in f.objects], int)))
    result = metric.update(p_list, t_list).compute()
    out = {}
    for row, cid in enumerate(result.matched_classes):
        out[CLASSES[int(cid)]] = float(result.ap_per_class[row, 0])
    return out


def tracking_metrics(gt: list[GTFrame], preds: dict[int, FramePrediction],
                     classes: frozenset[str] | None = None) -> dict[str, float]:
    """MOTA, IDF1 (and friends) with motmetrics, matching track boxes to true boxes at IoU >= 0.5
    (only objects and tracks of ``classes`` when given)."""
    import motmetrics as mm  # noqa: PLC0415

    acc = mm.MOTAccumulator(auto_id=True)
    for f in gt:
        p = preds.get(f.frame_id)
        ups = p.updates if p is not None else []
        if classes is not None:
            f = GTFrame(f.frame_id, f.time_s, [o for o in f.objects if o.cls in classes])
            ups = [u for u in ups if u.cls in classes]
        g = np.array([o.bbox_xyxy for o in f.objects], float).reshape(-1, 4)
        h = np.array([u.bbox_xyxy for u in ups], float).reshape(-1, 4)
        # the distance matrix motmetrics' iou_matrix(max_iou=0.5) builds (that helper uses np.asfarray,
        # removed in numpy 2): 1 - IoU, NaN (= cannot match) below IoU 0.5
        iou = _iou(g, h)
        dist = np.where(iou >= 0.5, 1.0 - iou, np.nan)
        acc.update([o.agent_id for o in f.objects], [u.track_id for u in ups], dist)
    mh = mm.metrics.create()
    summary = mh.compute(acc, metrics=["mota", "motp", "idf1", "idp", "idr", "num_switches", "num_false_positives",
                                      "num_misses", "num_objects", "num_frames", "mostly_tracked"],
                         name="all")
    row = summary.loc["all"]
    return {k: float(row[k]) for k in summary.columns}


def geo_speed_errors(gt: list[GTFrame], preds: dict[int, FramePrediction], min_tracked_s: float = 3.0) -> dict:
    """Per matched track update: horizontal distance to the truth (m); speed error (km/h) for vehicles
    whose track is at least ``min_tracked_s`` old."""
    from pyproj import Geod  # noqa: PLC0415

    geod = Geod(ellps="WGS84")
    geo_err: list[float] = []
    speed_err: list[float] = []
    for f in gt:
        p = preds.get(f.frame_id)
        if p is None or not p.updates or not f.objects:
            continue
        g = np.array([o.bbox_xyxy for o in f.objects], float)
        h = np.array([u.bbox_xyxy for u in p.updates], float)
        for i, j in _match(g, h):
            o, u = f.objects[i], p.updates[j]
            _, _, dist = geod.inv(o.lon, o.lat, u.lon, u.lat)
            geo_err.append(float(dist))
            if o.cls in VEHICLES and u.last_seen_s - u.first_seen_s >= min_tracked_s and math.isfinite(o.speed_kmh):
                speed_err.append(abs(u.speed_kmh - o.speed_kmh))
    ge, se = np.array(geo_err), np.array(speed_err)
    return {
        "geo_matched": int(ge.size),
        "geo_median_m": float(np.median(ge)) if ge.size else math.nan,
        "geo_p95_m": float(np.percentile(ge, 95)) if ge.size else math.nan,
        "speed_samples": int(se.size),
        "speed_mae_kmh": float(se.mean()) if se.size else math.nan,
    }


def score(gt: list[GTFrame], predictions: list[FramePrediction], name: str = "run") -> dict:
    """All metrics of one run, with the issue's targets and whether each is met."""
    preds = {p.frame_id: p for p in predictions}
    report = {"name": name, "frames": len(gt), "objects": sum(len(f.objects) for f in gt)}
    report["ap50"] = detection_ap50(gt, preds)
    report["tracking"] = tracking_metrics(gt, preds)
    report["tracking_vehicles"] = tracking_metrics(gt, preds, VEHICLES)
    report["tracking_by_class"] = {c: tracking_metrics(gt, preds, frozenset({c}))
                                   for c in CLASSES if any(o.cls == c for f in gt for o in f.objects)}
    report.update(geo_speed_errors(gt, preds))
    met = {
        "geo_median_m": report["geo_median_m"] <= TARGETS["geo_median_m"],
        "speed_mae_kmh": report["speed_mae_kmh"] <= TARGETS["speed_mae_kmh"],
        "idf1": report["tracking"].get("idf1", 0.0) >= TARGETS["idf1"],
        "car_ap50": report["ap50"].get("car", 0.0) >= TARGETS["car_ap50"],
    }
    report["targets"] = {k: {"target": TARGETS[k], "met": bool(v)} for k, v in met.items()}
    return report


def markdown(report: dict) -> str:
    """The report as a Markdown page."""
    t = report["tracking"]
    lines = [f"# Vision score: {report['name']}", "",
             f"{report['frames']} frames, {report['objects']} true objects.", "",
             "| metric | value | target | met |", "|---|---|---|---|"]
    rows = [("car AP50", report["ap50"].get("car", float("nan")), "car_ap50"),
            ("IDF1", t.get("idf1", float("nan")), "idf1"),
            ("geolocation median (m)", report["geo_median_m"], "geo_median_m"),
            ("speed MAE (km/h), tracked >= 3 s", report["speed_mae_kmh"], "speed_mae_kmh")]
    for label, value, key in rows:
        tgt = report["targets"][key]
        lines.append(f"| {label} | {value:.3f} | {tgt['target']} | {'yes' if tgt['met'] else 'NO'} |")
    tv = report.get("tracking_vehicles", {})
    lines += ["", "| other | value |", "|---|---|",
              f"| MOTA | {t.get('mota', float('nan')):.3f} |",
              f"| IDF1 / MOTA, vehicles only | {tv.get('idf1', float('nan')):.3f} / {tv.get('mota', float('nan')):.3f} |",
              f"| missed / false / true objects | {t.get('num_misses', 0):.0f} / {t.get('num_false_positives', 0):.0f} / "
              f"{t.get('num_objects', 0):.0f} |",
              f"| ID switches | {t.get('num_switches', float('nan')):.0f} |",
              f"| geolocation p95 (m) | {report['geo_p95_m']:.3f} |",
              f"| matched updates / speed samples | {report['geo_matched']} / {report['speed_samples']} |"]
    by_class = report.get("tracking_by_class", {})
    lines += ["", "| class | AP50 | IDF1 | ID switches | true objects |", "|---|---|---|---|---|"]
    for c, v in sorted(report["ap50"].items()):
        tc = by_class.get(c, {})
        lines.append(f"| {c} | {v:.3f} | {tc.get('idf1', float('nan')):.3f} | {tc.get('num_switches', float('nan')):.0f} | "
                     f"{tc.get('num_objects', 0):.0f} |")
    return "\n".join(lines) + "\n"


def write_report(report: dict, out_dir: str | Path, stem: str = "vision_score") -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md`` into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    j, m = out / f"{stem}.json", out / f"{stem}.md"
    j.write_text(json.dumps(report, indent=2, default=float), encoding="utf-8")
    m.write_text(markdown(report), encoding="utf-8")
    return j, m


__all__ = ["GTObject", "GTFrame", "FramePrediction", "load_gt_jsonl", "detection_ap50", "tracking_metrics",
           "geo_speed_errors", "score", "markdown", "write_report", "TARGETS"]
