"""Vision test fixtures: one YOLO model load (torch) and one ONNX session per test session."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest


@pytest.fixture(scope="session")
def assets() -> Path:
    """ultralytics' bundled real images (bus.jpg, zidane.jpg)."""
    import importlib.util

    spec = importlib.util.find_spec("ultralytics")
    return Path(list(spec.submodule_search_locations)[0]) / "assets"


@pytest.fixture(scope="session")
def bus(assets) -> np.ndarray:
    return cv2.imread(str(assets / "bus.jpg"))


@pytest.fixture(scope="session")
def zidane(assets) -> np.ndarray:
    return cv2.imread(str(assets / "zidane.jpg"))


@pytest.fixture(scope="session")
def torch_detector():
    """COCO yolov8n through our wrapper (ultralytics/torch), loaded and warmed once."""
    from vision.detector import DetectorConfig, make_detector

    det = make_detector(DetectorConfig(model="yolov8n.pt", backend="torch"))
    det.warmup((480, 640))
    return det


@pytest.fixture(scope="session")
def onnx_detector():
    """The same weights exported by ultralytics to ONNX, run by ONNX Runtime."""
    from vision.detector import DetectorConfig, make_detector

    det = make_detector(DetectorConfig(model="yolov8n.pt", backend="onnx"))
    det.warmup((480, 640))
    return det
