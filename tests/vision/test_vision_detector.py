"""Detector wrapper on real imagery: COCO yolov8n finds the bus and people; torch and ONNX Runtime agree."""
from __future__ import annotations

import numpy as np
import pytest

from vision.classes import CLASSES, canonical, class_map, thresholds_array
from vision.detector import DetectorConfig, OnnxDetector, make_detector
from vision.models import ModelNotFound, resolve_model
from vision.scoring import _iou


def test_bus_and_people_in_bus_jpg(torch_detector, bus):
    dets = torch_detector.detect(bus)
    names = dets.names
    assert names.count("bus") == 1
    assert names.count("person") >= 3
    bus_box = dets.xyxy[names.index("bus")]
    assert bus_box[2] - bus_box[0] > 600  # the bus spans most of the 810 px wide image
    assert set(names) <= set(CLASSES)


def test_people_in_zidane_jpg(torch_detector, zidane):
    dets = torch_detector.detect(zidane)
    assert dets.names.count("person") >= 2
    assert (dets.conf[dets.cls == CLASSES.index("person")] > 0.5).sum() >= 2


@pytest.mark.parametrize("image_name", ["bus", "zidane"])
def test_onnx_matches_torch_side_by_side(torch_detector, onnx_detector, image_name, request):
    image = request.getfixturevalue(image_name)
    a, b = torch_detector.detect(image), onnx_detector.detect(image)
    assert isinstance(onnx_detector, OnnxDetector)
    assert len(a) == len(b) >= 2
    iou = _iou(a.xyxy.astype(float), b.xyxy.astype(float))
    best = iou.argmax(1)
    assert (iou.max(1) > 0.95).all()
    assert (a.cls == b.cls[best]).all()
    assert np.abs(a.conf - b.conf[best]).max() < 0.02


def test_per_class_thresholds_filter(torch_detector, bus):
    strict = torch_detector.reconfigured(conf={"person": 0.8, "bus": 0.95})
    assert strict.model is torch_detector.model  # same loaded weights, other thresholds
    dets = strict.detect(bus)
    assert "bus" not in dets.names  # bus scores about 0.87 < 0.95
    assert (dets.conf >= 0.8).all() and dets.names.count("person") >= 3
    people_only = torch_detector.reconfigured(classes=("person",)).detect(bus)
    assert set(people_only.names) == {"person"}


def test_class_mapping_and_thresholds():
    mapping = class_map({0: "person", 1: "bicycle", 2: "car", 3: "motorcycle", 5: "bus", 7: "truck", 9: "traffic light"})
    assert [CLASSES[i] if i >= 0 else None for i in mapping[[0, 1, 2, 3, 5, 7, 9]]] == \
        ["person", "bicycle", "car", "motorcycle", "bus", "truck", None]
    assert canonical("Van") == "car" and canonical("pedestrian") == "person" and canonical("tree") is None
    assert thresholds_array({"car": 0.4}, default=0.3).tolist()[:2] == pytest.approx([0.4, 0.3])
    with pytest.raises(ValueError, match="unknown class"):
        thresholds_array({"tank": 0.5})


def test_model_resolution_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("YOLO_OFFLINE", "1")
    assert resolve_model("yolov8n.pt").endswith("yolov8n.pt")
    with pytest.raises(ModelNotFound, match="does not exist"):
        resolve_model(str(tmp_path / "missing.pt"))
    with pytest.raises(ModelNotFound, match="offline"):
        resolve_model("yolo99z.pt")
    with pytest.raises(ValueError, match="backend"):
        make_detector(DetectorConfig(backend="tensorrt"))
