"""Sliced inference recovers small objects the full frame misses; the GSD rule switches it on."""
from __future__ import annotations

import numpy as np
import pytest

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


def test_pipeline_switches_slicing_on_by_gsd(torch_detector):
    import math

    from geo.pose import FixedMount, PoseSample, PoseUncertainty
    from vision.pipeline import OnboardConfig, OnboardPipeline
    from vision.sources import Frame

    results = {}
    for agl in (40.0, 150.0):
        pipe = OnboardPipeline(OnboardConfig(ground_alt_m=400.0, hfov_deg=70.0, slicing=SliceConfig(mode="auto")),
                               detector=torch_detector)
        for t in (0.0, 0.25, 0.5, 0.75, 1.0):
            pipe.pose.add(PoseSample(t, 47.0, 8.0, 400.0 + agl, 0.0, 0.0, 0.0, FixedMount(0.0, -math.pi / 2, 0.0),
                                     PoseUncertainty(0.005, 0.5, 0.5)))
        frame = Frame(np.full((720, 1280, 3), 120, np.uint8), 0.5, 0)
        results[agl] = pipe.process(frame).sliced
        # nadir GSD = 2 h tan(35 deg) / 1280: a car is 51 px at 40 m, 14 px at 150 m in the 640 px input
        assert pipe.georef.gsd_m(pipe.pose.pose_at(0.5)) == pytest.approx(2 * agl * math.tan(math.radians(35)) / 1280, rel=1e-3)
    assert results == {40.0: False, 150.0: True}
