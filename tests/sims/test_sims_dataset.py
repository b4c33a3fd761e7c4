"""Dataset writer: YOLO labels round-trip to the renderer's boxes; data.yaml; the size-aware evaluator."""
from __future__ import annotations

import json

import numpy as np
import yaml

from sims.dataset.evaluate import match_image
from sims.dataset.writer import DatasetSpec, read_yolo_labels, write_dataset, yolo_lines
from sims.traffic.agents import CLASSES


def test_yolo_label_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    xy0 = rng.uniform(0, 1000, (50, 2))
    boxes = np.column_stack([xy0, xy0 + rng.uniform(2, 200, (50, 2))])
    cls = rng.integers(0, len(CLASSES), 50)
    path = tmp_path / "a.txt"
    path.write_text("\n".join(yolo_lines(boxes, cls, 1280, 1200)))
    back, back_cls = read_yolo_labels(path, 1280, 1200)
    assert np.array_equal(back_cls, cls)
    assert np.abs(back - boxes).max() < 0.01  # 6 decimals of the image size


def test_dataset_writer_labels_match_truth(tmp_path):
    spec = DatasetSpec(train_frames=3, val_frames=2, frames_per_town=3, width=480, height=272, seed=5,
                       half_extent_m=110.0)
    data_yaml = write_dataset(tmp_path / "ds", spec)
    data = yaml.safe_load(data_yaml.read_text())
    assert data["names"] == dict(enumerate(CLASSES)) and data["train"] == "images/train"
    root = tmp_path / "ds"
    for split, n in (("train", 3), ("val", 2)):
        meta = [json.loads(x) for x in (root / "meta" / f"{split}.jsonl").read_text().splitlines()]
        assert len(meta) == n
        for row in meta:
            assert (root / row["image"]).is_file() and 30.0 <= row["alt_agl_m"] <= 150.0
            boxes, cls = read_yolo_labels((root / row["image"].replace("images/", "labels/", 1)).with_suffix(".txt"),
                                          spec.width, spec.height)
            assert len(boxes) == len(row["agents"])
            assert (boxes[:, 0] >= -0.01).all() and (boxes[:, 2] <= spec.width + 0.01).all()
    train_towns = {json.loads(x)["town_seed"] for x in (root / "meta" / "train.jsonl").read_text().splitlines()}
    val_towns = {json.loads(x)["town_seed"] for x in (root / "meta" / "val.jsonl").read_text().splitlines()}
    assert not train_towns & val_towns  # the held-out split is another town


def test_evaluator_ignores_small_objects():
    gt = np.array([[0, 0, 20, 20], [100, 100, 105, 110], [200, 200, 230, 220]], float)
    gcls = np.array([0, 5, 0])
    small = np.minimum(gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]) < 8
    pred = np.array([[0, 0, 20, 20], [100, 100, 105, 110], [300, 300, 320, 320]], float)
    tp, keep = match_image(pred, np.array([0.9, 0.8, 0.7]), np.array([0, 5, 0]), gt, gcls, small)
    assert keep.tolist() == [True, False, True]  # the hit on the 5-px person is neither TP nor FP
    assert tp[0].all() and not tp[2].any()
