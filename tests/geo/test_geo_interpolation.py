"""Pose buffer: interpolation at capture time (slerp), and clear errors outside the buffer or across gaps."""
import math

import pytest

from geo.interpolation import PoseBuffer, PoseGapTooLarge, PoseOutOfRange
from geo.pose import GimbalAttitude, PoseSample


def sample(t, yaw_deg, lat=48.0, gimbal_pitch_deg=-90.0):
    gimbal = GimbalAttitude.from_euler(0.0, math.radians(gimbal_pitch_deg), 0.0, "vehicle")
    return PoseSample(t, lat, 11.0, 600.0, 0.0, 0.0, math.radians(yaw_deg), gimbal)


def test_slerp_and_linear_position():
    buf = PoseBuffer(max_gap_s=1.0)
    buf.add(sample(10.0, 350.0, lat=48.0, gimbal_pitch_deg=-80))
    buf.add(sample(10.5, 10.0, lat=48.001, gimbal_pitch_deg=-40))
    mid = buf.at(10.25)
    assert math.degrees(mid.yaw) == pytest.approx(0.0, abs=1e-9)  # shortest way round, through north
    assert mid.lat == pytest.approx(48.0005)
    pitch = math.degrees(mid.gimbal.rotation_ned(mid.vehicle_rotation).as_euler("ZYX")[1])
    assert pitch == pytest.approx(-60.0, abs=1e-6)
    assert buf.at(10.5).lat == 48.001


def test_out_of_order_samples_are_sorted():
    buf = PoseBuffer()
    for t in (1.0, 1.2, 1.1):
        buf.add(sample(t, t * 10))
    assert buf.span == (1.0, 1.2)
    assert math.degrees(buf.at(1.05).yaw) == pytest.approx(10.5)


def test_errors_outside_and_across_gaps():
    buf = PoseBuffer(max_gap_s=0.2)
    with pytest.raises(PoseOutOfRange, match="no pose"):
        buf.at(1.0)
    buf.add(sample(1.0, 0))
    buf.add(sample(2.0, 0))
    with pytest.raises(PoseOutOfRange, match="outside"):
        buf.at(2.5)
    with pytest.raises(PoseGapTooLarge, match="1.000 s apart"):
        buf.at(1.5)
    with pytest.raises(ValueError, match="finite"):
        buf.at(float("nan"))
