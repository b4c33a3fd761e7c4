"""Sliced inference recovers small objects the full frame misses; the GSD rule switches it on."""
from __future__ import annotations

import numpy as np

from bench.vision_slicing import recall_precision, tiled_frame
from vision.slicing import SliceConfig, SlicedDetector, car_pixels_in_model, should_slice


def test_auto_rule_follows_gsd():
    cfg = SliceConfig(mode="auto", min_car_px=24)
    assert car_pixels_in_model(0.05, 1280, 640) == 45.0  # 4.5 m / 0.05 m/px, halved by the 1280 -> 640 resize
    assert not should_slice(cfg, 0.05, 1280, 640)
    assert should_slice(cfg, 0.12, 1280, 640)
    assert not should_slice(cfg, float("inf"), 1280, 640)  # camera above the horizon: nothing to slice
    assert should_slice(SliceConfig(mode="on"), 0.01, 1280, 640)


def test_slicing_finds_small_people(torch_detector, bus):
    ref = torch_detector.detect(bus)
    ref = ref[ref.conf > 0.5]
    frame, boxes, cls = tiled_frame(bus, ref, 0.15)
    full_r, _ = recall_precision(torch_detector.detect(frame), boxes, cls)
    sliced_r, sliced_p = recall_precision(SlicedDetector(torch_detector).detect(frame), boxes, cls)
    assert sliced_r >= 0.95 and sliced_r > full_r + 0.15
    assert sliced_p > 0.6
    assert np.isfinite([full_r, sliced_r]).all()
