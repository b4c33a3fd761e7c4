"""Sliced inference for small objects (supervision's InferenceSlicer), and the GSD rule that switches it on.

At altitude a car may be only a few pixels long after the full frame is shrunk to the model's input
size; running the model on native-resolution slices recovers it at the cost of one inference per slice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.detections import Detections

#: Typical car length (m) used by the switch-on rule.
CAR_LENGTH_M = 4.5


@dataclass
class SliceConfig:
    """When and how to slice."""

    mode: str = "auto"  # auto | on | off
    min_car_px: float = 24.0  # auto: slice when a car would be shorter than this in the model's input
    slice_wh: int = 640
    overlap_wh: int = 96
    iou: float = 0.5
    overlap_metric: str = "ios"  # iou | ios (intersection over the smaller box: drops the half-objects cut by slice edges)
    include_full_frame: bool = True  # also run the full frame (large objects cut by slice borders)


def car_pixels_in_model(gsd_m: float, frame_width: int, imgsz: int) -> float:
    """Length in model-input pixels of a car, for a frame of ``frame_width`` px resized to ``imgsz``."""
    if not np.isfinite(gsd_m) or gsd_m <= 0:
        return float("inf")
    return CAR_LENGTH_M / gsd_m * min(1.0, imgsz / frame_width)


def should_slice(config: SliceConfig, gsd_m: float, frame_width: int, imgsz: int) -> bool:
    """The switch: always/never, or automatically when a car is smaller than ``min_car_px``."""
    if config.mode == "on":
        return True
    if config.mode == "off":
        return False
    if config.mode != "auto":
        raise ValueError(f"slicing mode {config.mode!r}: expected auto, on or off")
    return car_pixels_in_model(gsd_m, frame_width, imgsz) < config.min_car_px


class SlicedDetector:
    """Runs a detector on overlapping slices with ``supervision.InferenceSlicer`` and merges by NMS."""

    def __init__(self, detector, config: SliceConfig | None = None) -> None:
        import supervision as sv  # noqa: PLC0415

        self.detector = detector
        self.config = config or SliceConfig()
        self.imgsz = detector.imgsz
        self._sv = sv
        self.slicer = sv.InferenceSlicer(
            callback=self._callback, slice_wh=self.config.slice_wh, overlap_wh=self.config.overlap_wh,
            overlap_filter="non_max_suppression", iou_threshold=self.config.iou,
            overlap_metric=self.config.overlap_metric, thread_workers=1,
        )

    def _callback(self, image: np.ndarray):
        d = self.detector.detect(image)
        return self._sv.Detections(xyxy=d.xyxy.astype(float), confidence=d.conf, class_id=d.cls)

    def detect(self, frame: np.ndarray) -> Detections:
        """Sliced (plus, optionally, full-frame) detections merged by class-aware NMS."""
        sliced = self.slicer(frame)
        if self.config.include_full_frame:
            sliced = self._sv.Detections.merge([sliced, self._callback(frame)]).with_nms(
                threshold=self.config.iou, class_agnostic=False, overlap_metric=self._sv.detection.utils.iou_and_nms.OverlapMetric.from_value(self.config.overlap_metric))
        if len(sliced) == 0:
            return Detections()
        return Detections(sliced.xyxy, sliced.confidence, sliced.class_id)

    def warmup(self, shape: tuple[int, int] = (720, 1280)) -> None:
        """Warm the wrapped detector."""
        self.detector.warmup(shape)
