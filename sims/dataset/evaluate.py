"""Held-out evaluation that counts only objects at least ``min_px`` in their smaller side (COCO-style
"ignore": detections of smaller objects are neither rewarded nor penalised), per class and per altitude band.
AP itself is ultralytics' ``ap_per_class`` (101-point interpolated, IoU 0.50:0.95).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from sims.dataset.writer import read_yolo_labels
from sims.traffic.agents import CLASSES

IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)
ALTITUDE_BANDS = ((30.0, 60.0), (60.0, 100.0), (100.0, 150.0))


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix (len(a), len(b)) of (x0, y0, x1, y1) boxes."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def match_image(pred: np.ndarray, conf: np.ndarray, pcls: np.ndarray, gt: np.ndarray, gcls: np.ndarray,
                small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """TP matrix (P, 10) for one image and a mask of predictions kept (those not claimed by ignored GT)."""
    order = np.argsort(-conf)
    iou = box_iou(pred[order], gt)
    iou[pcls[order][:, None] != gcls[None, :]] = 0.0
    tp = np.zeros((len(pred), len(IOU_THRESHOLDS)), bool)
    keep = np.ones(len(pred), bool)
    for t, thr in enumerate(IOU_THRESHOLDS):
        taken = np.zeros(len(gt), bool)
        for j in range(len(pred)):
            cand = (iou[j] >= thr) & ~taken
            if not cand.any():
                continue
            real = cand & ~small
            k = int(np.argmax(np.where(real, iou[j], -1))) if real.any() else int(np.argmax(np.where(cand, iou[j], -1)))
            taken[k] = True
            if small[k]:
                if t == 0:
                    keep[j] = False
            else:
                tp[j, t] = True
    out_tp = np.zeros_like(tp)
    out_keep = np.zeros_like(keep)
    out_tp[order] = tp
    out_keep[order] = keep
    return out_tp, out_keep


def _ap(records: list[tuple], nc: int) -> dict:
    """Per-class AP50 / AP50-95 and counts from per-image (tp, conf, pcls, gcls) records."""
    from ultralytics.utils.metrics import ap_per_class

    tp = np.concatenate([r[0] for r in records]) if records else np.zeros((0, 10), bool)
    conf = np.concatenate([r[1] for r in records]) if records else np.zeros(0)
    pcls = np.concatenate([r[2] for r in records]) if records else np.zeros(0)
    gcls = np.concatenate([r[3] for r in records]) if records else np.zeros(0)
    out = {}
    if len(gcls) == 0:
        return out
    res = ap_per_class(tp, conf, pcls, gcls)
    ap, classes = res[5], res[6]
    counts = np.bincount(gcls.astype(int), minlength=nc)
    for i, c in enumerate(classes):
        out[CLASSES[int(c)]] = {"AP50": round(float(ap[i, 0]), 4), "AP50-95": round(float(ap[i].mean()), 4),
                                "instances": int(counts[int(c)])}
    return out


def evaluate(weights: str | Path, dataset: str | Path, split: str = "val", min_px: float = 8.0, imgsz: int = 1280,
             device: str | None = None, batch: int = 16) -> dict:
    """AP per class (all altitudes and per altitude band) counting objects >= ``min_px`` on their smaller side."""
    from ultralytics import YOLO

    dataset = Path(dataset)
    meta = [json.loads(ln) for ln in (dataset / "meta" / f"{split}.jsonl").read_text().splitlines() if ln.strip()]
    model = YOLO(str(weights))
    records: list[tuple] = []
    alts: list[float] = []
    for k in range(0, len(meta), batch):
        rows = meta[k:k + batch]
        paths = [str(dataset / r["image"]) for r in rows]
        results = model.predict(paths, imgsz=imgsz, conf=0.001, iou=0.6, max_det=1000, device=device, verbose=False)
        for row, res in zip(rows, results):
            h, w = res.orig_shape
            label = dataset / row["image"].replace("images/", "labels/", 1)
            gt, gcls = read_yolo_labels(Path(label).with_suffix(".txt"), w, h)
            small = np.minimum(gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]) < min_px
            b = res.boxes
            pred, conf, pcls = b.xyxy.cpu().numpy(), b.conf.cpu().numpy(), b.cls.cpu().numpy().astype(int)
            tp, keep = match_image(pred, conf, pcls, gt, gcls, small)
            records.append((tp[keep], conf[keep], pcls[keep], gcls[~small]))
            alts.append(float(row["alt_agl_m"]))
    alts_arr = np.array(alts)
    report = {"min_px": min_px, "images": len(records), "all": _ap(records, len(CLASSES)), "by_altitude": {}}
    for lo, hi in ALTITUDE_BANDS:
        sel = [r for r, a in zip(records, alts_arr) if lo <= a < hi or (hi == ALTITUDE_BANDS[-1][1] and a == hi)]
        report["by_altitude"][f"{lo:.0f}-{hi:.0f} m"] = {"images": len(sel), **_ap(sel, len(CLASSES))}
    return report


def ultralytics_val(weights: str | Path, data_yaml: str | Path, imgsz: int = 1280, device: str | None = None,
                    batch: int = 16) -> dict:
    """Ultralytics' own val on the held-out split (every labelled object, no size filter), per class."""
    from ultralytics import YOLO

    metrics = YOLO(str(weights)).val(data=str(data_yaml), split="val", imgsz=imgsz, batch=batch, device=device,
                                     plots=False, verbose=False, max_det=1000)
    box = metrics.box
    out = {"all": {"AP50": round(float(box.map50), 4), "AP50-95": round(float(box.map), 4)}}
    for i, c in enumerate(box.ap_class_index):
        out[CLASSES[int(c)]] = {"AP50": round(float(box.ap50[i]), 4), "AP50-95": round(float(box.ap[i]), 4)}
    return out
