"""MAVLink pose reader fed with messages built by pymavlink's own encoder; clock sync; fixed mount."""
from __future__ import annotations

import logging
import math

import pytest
from pymavlink.dialects.v20 import common as mavlink
from scipy.spatial.transform import Rotation

from geo.pose import FixedMount, GimbalAttitude
from vision.pose import ClockSync, PoseReader

OFFSET = 1_700_000_000.25  # companion unix time at autopilot boot


def wire(*msgs, system=1, component=1):
    """Encode with pymavlink as an autopilot would and decode as the companion does."""
    tx = mavlink.MAVLink(None, srcSystem=system, srcComponent=component)
    rx = mavlink.MAVLink(None)
    data = b"".join(m.pack(tx) for m in msgs)
    return rx.parse_buffer(data)


def telemetry(t_ms, lat=47.0, lon=8.0, vn=5.0):
    return [
        mavlink.MAVLink_global_position_int_message(t_ms, int(lat * 1e7), int(lon * 1e7), 480_000, 80_000,
                                                    int(vn * 100), 0, 0, 0),
        mavlink.MAVLink_attitude_message(t_ms, 0.01, -0.02, math.radians(30), 0, 0, 0),
    ]


def test_pose_samples_on_companion_clock_via_system_time(caplog):
    caplog.set_level(logging.INFO, logger="vision.pose")
    reader = PoseReader(clock=ClockSync(clock=lambda: 0.0))
    for msg in wire(mavlink.MAVLink_system_time_message(int((OFFSET + 10.0) * 1e6), 10_000)):
        reader.handle(msg)
    for k in range(20):
        for msg in wire(*telemetry(10_000 + 100 * k, lat=47.0 + k * 4.5e-6)):
            reader.handle(msg)
    assert reader.clock.source == "system_time"
    assert reader.clock.offset_s == pytest.approx(OFFSET, abs=1e-6)
    assert "clock sync (system_time)" in caplog.text  # the measured offset is logged
    pose = reader.pose_at(OFFSET + 10.55)
    assert pose.lat == pytest.approx(47.0 + 5.5 * 4.5e-6, abs=1e-8)
    assert pose.yaw == pytest.approx(math.radians(30), abs=1e-6)
    assert pose.alt_amsl_m == pytest.approx(480.0)
    assert reader.home_alt_m == pytest.approx(400.0)
    assert isinstance(pose.gimbal, FixedMount)


def test_gimbal_status_is_used_and_times_out():
    reader = PoseReader(clock=ClockSync(clock=lambda: 0.0), mount=FixedMount(0.0, -math.pi / 2, 0.0))
    reader.handle(wire(mavlink.MAVLink_system_time_message(int(OFFSET * 1e6), 0))[0])
    q = GimbalAttitude.from_euler(0.0, math.radians(-60), 0.0).q
    status = mavlink.MAVLink_gimbal_device_attitude_status_message(1, 1, 1000, mavlink.GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME, list(q), 0, 0, 0, 0)
    for msg in wire(status, *telemetry(1000), *telemetry(1100), *telemetry(3000), *telemetry(3100), component=154):
        reader.handle(msg)
    with_gimbal = reader.pose_at(OFFSET + 1.05)
    assert isinstance(with_gimbal.gimbal, GimbalAttitude)
    assert with_gimbal.gimbal.frame == "earth"
    assert isinstance(reader.pose_at(OFFSET + 3.05).gimbal, FixedMount)  # gimbal silent for 2 s: fixed mount


def test_timesync_round_trip_and_passive_estimate():
    now = [OFFSET + 5.0]
    sync = ClockSync(clock=lambda: now[0])
    sync.on_timesync(0, int(4.99 * 1e9))  # the autopilot's own request: a passive upper bound of the offset
    assert sync.source == "arrival" and sync.offset_s == pytest.approx(OFFSET + 0.01)
    sent = []
    sync.request(lambda tc1, ts1: sent.append(ts1))
    now[0] += 0.020  # 20 ms round trip; the autopilot stamped its reply at boot 5.010 s
    sync.on_timesync(int(5.010 * 1e9), sent[0])
    assert sync.source == "timesync"
    assert sync.rtt_s == pytest.approx(0.020, abs=1e-6)
    assert sync.offset_s == pytest.approx(OFFSET, abs=1e-6)


def test_other_systems_and_bad_messages_are_ignored():
    reader = PoseReader(clock=ClockSync(clock=lambda: 100.0), target_system=1)
    for msg in wire(*telemetry(1000), system=2):
        reader.handle(msg)
    bad = mavlink.MAVLink_gimbal_device_attitude_status_message(1, 1, 1000, 0, [0.0, 0.0, 0.0, 0.0], 0, 0, 0, 0)
    for msg in wire(bad):
        reader.handle(msg)
    assert reader.samples == 0 and reader.rejected == 1


def test_gimbal_status_nearest_in_time_is_used():
    reader = PoseReader(clock=ClockSync(clock=lambda: 0.0))
    reader.handle(wire(mavlink.MAVLink_system_time_message(int(OFFSET * 1e6), 0))[0])
    statuses = []
    for k, pitch in enumerate((-30.0, -45.0, -60.0)):  # the gimbal tilts down while telemetry lags behind
        q = GimbalAttitude.from_euler(0.0, math.radians(pitch), 0.0).q
        statuses.append(mavlink.MAVLink_gimbal_device_attitude_status_message(1, 1, 1000 + 100 * k, 0, list(q), 0, 0, 0, 0))
    for msg in wire(*statuses, *telemetry(1000), *telemetry(1100), *telemetry(1200), component=154):
        reader.handle(msg)
    pitches = []
    for t in (1.0, 1.1, 1.2):
        g = reader.pose_at(OFFSET + t).gimbal
        pitches.append(round(math.degrees(g.rotation_ned(Rotation.identity()).as_euler("ZYX")[1])))
    assert pitches == [-30, -45, -60]
