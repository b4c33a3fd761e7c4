"""YOLO detectors behind one interface: ultralytics (torch) and ONNX Runtime (no torch), same outputs.

Both map the model's classes to ``vision.classes.CLASSES``, apply per-class confidence thresholds and
return ``Detections`` in original-image pixels. A detector loads its model once; ``warmup()`` runs the
first (slow) inference outside any measured loop.
"""
from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from vision.classes import CLASSES, class_map, thresholds_array
from vision.detections import Detections
from vision.models import configure_ultralytics, export_onnx, resolve_model


@dataclass
class DetectorConfig:
    """What to load and how to filter: model path or name, backend, input size, thresholds."""

    model: str = "yolov8n.pt"
    backend: str = "auto"  # auto | torch | onnx
    imgsz: int = 0  # model input size; 0: the size the model was trained at (640 when unknown)
    conf: float | Mapping[str, float] = 0.25
    iou: float = 0.5  # NMS IoU; ultralytics' 0.7 left two boxes on one car or person (sims held-out: IDF1 +0.03-0.09)
    max_det: int = 300
    classes: tuple[str, ...] = CLASSES


class Detector(Protocol):
    """Anything that turns a BGR frame into ``Detections``."""

    imgsz: int

    def detect(self, frame: np.ndarray) -> Detections: ...

    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None: ...


class _Filter:
    """Class mapping + per-class thresholds shared by both backends."""

    def __init__(self, model_names: Mapping[int, str] | list[str], conf: float | Mapping[str, float],
                 classes: tuple[str, ...]) -> None:
        unknown = set(classes) - set(CLASSES)
        if unknown:
            raise ValueError(f"detector classes: unknown {sorted(unknown)}; expected a subset of {CLASSES}")
        self.map = class_map(model_names)
        keep = np.array([c in classes for c in CLASSES])
        self.map = np.where((self.map >= 0) & keep[np.maximum(self.map, 0)], self.map, -1)
        if not (self.map >= 0).any():
            raise ValueError(f"model classes {list(dict(enumerate(model_names)) if isinstance(model_names, list) else model_names.values())[:10]}... "
                             f"contain none of {classes}")
        self.thresholds = thresholds_array(conf)
        self.min_conf = float(self.thresholds.min())
        self.model_ids = [int(i) for i in np.flatnonzero(self.map >= 0)]

    def apply(self, xyxy: np.ndarray, conf: np.ndarray, model_cls: np.ndarray) -> Detections:
        """Map model classes to ours, drop unmapped ones and those under their class threshold."""
        model_cls = model_cls.astype(np.int64)
        ours = np.where(model_cls < len(self.map), self.map[np.minimum(model_cls, len(self.map) - 1)], -1)
        keep = ours >= 0
        keep[keep] &= conf[keep] >= self.thresholds[ours[keep]]
        return Detections(xyxy[keep], conf[keep], ours[keep])


def trained_imgsz(model) -> int:
    """The input size a model was trained at (an ultralytics YOLO object or a .pt path; 640 when unknown)."""
    if isinstance(model, str):
        try:
            import torch  # noqa: PLC0415

            ckpt = torch.load(model, map_location="cpu", weights_only=False)
        except (OSError, RuntimeError, ValueError, ImportError):
            return 640
    else:
        ckpt = getattr(model, "ckpt", None)
    size = ((ckpt or {}).get("train_args") or {}).get("imgsz", 640) if isinstance(ckpt, dict) else 640
    return int(max(size) if isinstance(size, (list, tuple)) else size)


def _meta_imgsz(value: str | None) -> int:
    """ONNX metadata 'imgsz' ("[640, 640]") -> 640."""
    try:
        size = ast.literal_eval(value) if value else 640
        return int(max(size) if isinstance(size, (list, tuple)) else size)
    except (ValueError, SyntaxError):
        return 640


class UltralyticsDetector:
    """Ultralytics YOLO on torch (CPU unless ``device`` says otherwise)."""

    def __init__(self, config: DetectorConfig, device: str = "cpu") -> None:
        configure_ultralytics()
        from ultralytics import YOLO  # noqa: PLC0415 (heavy)

        self.config = config
        self.device = device
        self.model = YOLO(resolve_model(config.model), task="detect")
        self.imgsz = config.imgsz or trained_imgsz(self.model)
        self.filter = _Filter(self.model.names, config.conf, config.classes)

    def detect(self, frame: np.ndarray) -> Detections:
        """Detect on one BGR frame."""
        result = self.model.predict(
            frame, imgsz=self.imgsz, conf=self.filter.min_conf, iou=self.config.iou, classes=self.filter.model_ids,
            max_det=self.config.max_det, device=self.device, verbose=False,
        )[0]
        boxes = result.boxes
        return self.filter.apply(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(), boxes.cls.cpu().numpy())

    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None:
        """One inference on a blank frame (builds the graph, allocates buffers)."""
        self.detect(np.zeros((*shape, 3), np.uint8))

    def reconfigured(self, conf: float | Mapping[str, float] | None = None,
                     classes: tuple[str, ...] | None = None, imgsz: int | None = None) -> "UltralyticsDetector":
        """A detector sharing this loaded model with other thresholds/classes/input size (no reload)."""
        changes = {k: v for k, v in (("conf", conf), ("classes", classes), ("imgsz", imgsz)) if v is not None}
        clone = object.__new__(UltralyticsDetector)
        clone.__dict__.update(self.__dict__)
        clone.config = DetectorConfig(**{**self.config.__dict__, **changes})
        clone.imgsz = clone.config.imgsz or self.imgsz
        clone.filter = _Filter(self.model.names, clone.config.conf, clone.config.classes)
        return clone


def letterbox(frame: np.ndarray, size: int | tuple[int, int], stride: int | None = None) -> tuple[np.ndarray, float, tuple[int, int]]:
    """Resize keeping aspect ratio and pad with grey 114, as ultralytics' LetterBox does: to size x size
    (or an (height, width) pair, a static rectangular export), or (``stride`` given, a dynamic-shape
    model) only up to the next multiple of stride ("rect" mode).

    Returns the padded image, the scale and the (left, top) padding.
    """
    import cv2  # noqa: PLC0415

    th, tw = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    h, w = frame.shape[:2]
    r = min(th / h, tw / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    dw, dh = float(tw - nw), float(th - nh)
    if stride:
        dw, dh = dw % stride, dh % stride
    dw, dh = dw / 2.0, dh / 2.0
    img = cv2.resize(frame, (nw, nh), interpolation=cv2.INTER_LINEAR) if (nw, nh) != (w, h) else frame
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = cv2.copyMakeBorder(img, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))
    return img, r, (left, top)


class OnnxDetector:
    """ONNX Runtime backend for an ultralytics-exported model (``export(format="onnx")``): no torch needed.

    Handles both raw heads (1, 4+nc, anchors) with NMS done here (OpenCV, class-aware, like ultralytics)
    and end-to-end heads (1, max_det, 6).
    """

    def __init__(self, config: DetectorConfig, providers: list[str] | None = None) -> None:
        import onnxruntime as ort  # noqa: PLC0415

        self.config = config
        path = resolve_model(config.model)
        if path.endswith(".pt"):
            path = str(export_onnx(path, config.imgsz or trained_imgsz(path)))
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        self.session = ort.InferenceSession(path, opts, providers=providers or ["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        try:
            names = ast.literal_eval(meta["names"])
        except (KeyError, ValueError, SyntaxError) as exc:
            raise ValueError(f"{path}: ONNX metadata has no readable 'names' (export it with ultralytics)") from exc
        self.end2end = str(meta.get("end2end", "False")) == "True"
        inp = self.session.get_inputs()[0]
        self.input_name = inp.name
        fixed = (inp.shape[2], inp.shape[3]) if all(isinstance(v, int) for v in inp.shape[2:4]) else None
        #: the letterbox target: (height, width) of a static export (square or not), else the square size
        self.input_hw: tuple[int, int] | None = (int(fixed[0]), int(fixed[1])) if fixed else None
        self.imgsz = int(max(fixed) if fixed else (config.imgsz or _meta_imgsz(meta.get("imgsz"))))
        #: dynamic-shape export: letterbox only to a multiple of the stride, exactly like ultralytics' rect mode
        self.stride = None if fixed else int(meta.get("stride", 32))
        self.filter = _Filter(names, config.conf, config.classes)
        self.path = path

    def _preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, float, tuple[float, float]]:
        img, r, pad = letterbox(frame, self.input_hw or self.imgsz, self.stride)
        blob = np.ascontiguousarray(img[:, :, ::-1].transpose(2, 0, 1), dtype=np.float32)[None] / 255.0
        return blob, r, pad

    def detect(self, frame: np.ndarray) -> Detections:
        """Detect on one BGR frame."""
        blob, r, (left, top) = self._preprocess(frame)
        out = self.session.run(None, {self.input_name: blob})[0][0]
        if self.end2end or (out.ndim == 2 and out.shape[1] == 6 and out.shape[0] != 6):
            xyxy, conf, cls = out[:, :4].copy(), out[:, 4], out[:, 5]
            keep = conf >= self.filter.min_conf
            xyxy, conf, cls = xyxy[keep], conf[keep], cls[keep]
        else:
            xyxy, conf, cls = self._decode_raw(out)
        xyxy[:, [0, 2]] = (xyxy[:, [0, 2]] - left) / r
        xyxy[:, [1, 3]] = (xyxy[:, [1, 3]] - top) / r
        h, w = frame.shape[:2]
        xyxy[:, [0, 2]] = xyxy[:, [0, 2]].clip(0, w)
        xyxy[:, [1, 3]] = xyxy[:, [1, 3]].clip(0, h)
        return self.filter.apply(xyxy.astype(np.float32), conf.astype(np.float32), cls)

    def _decode_raw(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(4+nc, A) head -> boxes after best-class selection, class filter and class-aware NMS."""
        import cv2  # noqa: PLC0415

        scores = out[4:]
        cls = scores.argmax(0)
        conf = scores[cls, np.arange(scores.shape[1])]
        keep = (conf >= self.filter.min_conf) & (self.filter.map[np.minimum(cls, len(self.filter.map) - 1)] >= 0)
        boxes = out[:4, keep].T
        conf, cls = conf[keep], cls[keep]
        xyxy = np.concatenate([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], axis=1)
        if not len(conf):
            return xyxy, conf, cls
        ltwh = np.concatenate([xyxy[:, :2], boxes[:, 2:]], axis=1)
        idx = cv2.dnn.NMSBoxesBatched(ltwh.tolist(), conf.tolist(), cls.tolist(), 0.0, self.config.iou)
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)[: self.config.max_det]
        return xyxy[idx], conf[idx], cls[idx]

    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None:
        """One inference on a blank frame."""
        self.detect(np.zeros((*shape, 3), np.uint8))


def make_detector(config: DetectorConfig | None = None, **overrides) -> Detector:
    """Build the detector a config asks for: ``backend="auto"`` picks ONNX for .onnx files or when torch
    is missing, else ultralytics/torch."""
    config = config or DetectorConfig()
    for key, value in overrides.items():
        setattr(config, key, value)
    backend = config.backend
    if backend == "auto":
        import importlib.util  # noqa: PLC0415

        try:
            no_torch = importlib.util.find_spec("torch") is None
        except (ImportError, ValueError):  # a broken or deliberately blocked torch counts as none
            no_torch = True
        backend = "onnx" if str(config.model).endswith(".onnx") or no_torch else "torch"
    if backend == "torch":
        return UltralyticsDetector(config, device=os.environ.get("AEROPATROL_DEVICE", "cpu"))
    if backend == "onnx":
        return OnnxDetector(config)
    raise ValueError(f"detector backend {config.backend!r}: expected auto, torch or onnx")


__all__ = ["DetectorConfig", "Detector", "UltralyticsDetector", "OnnxDetector", "make_detector", "letterbox", "Detections"]
