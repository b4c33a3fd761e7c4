"""Failsafes of the simulated vehicle in lockstep: fence breach and max altitude -> RTL, battery -> RTL/LAND, GPS loss."""
from __future__ import annotations

import math

from sims_vehicle_lockstep import HOME, REL, M, LockstepGcs, offset

from sims.vehicle.battery import Battery


def reposition(gcs: LockstepGcs, d_north: float, d_east: float, alt: float) -> None:
    lat, lon = offset(d_north, d_east)
    gcs.send(M.MAVLink_command_int_message(1, 1, REL, M.MAV_CMD_DO_REPOSITION, 0, 0, -1, 1, 0, math.nan,
                                           int(lat * 1e7), int(lon * 1e7), alt))


def test_inclusion_fence_breach_triggers_rtl_and_fence_status() -> None:
    gcs = LockstepGcs()
    gcs.run(2.0)
    square = [offset(-50, -50), offset(-50, 50), offset(50, 50), offset(50, -50)]
    fence = [(REL, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, 4, 0, 0, 0, la, lo, 0.0) for la, lo in square]
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    gcs.fly_up(20)
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_FENCE_STATUS, 500_000)
    reposition(gcs, 120, 0, 20)
    gcs.run(60.0, until=lambda g: g.v.mode.name == "RTL")
    assert gcs.v.mode.name == "RTL"
    n = gcs.v.autopilot.body.state.n
    assert 50.0 < n < 60.0  # caught just after crossing the north edge
    assert any("Fence breached" in m.text for m in gcs.of("STATUSTEXT"))
    gcs.run(1.0)
    status = gcs.of("FENCE_STATUS")[-1]
    assert status.breach_status == 1 and status.breach_count == 1 and status.breach_type == M.FENCE_BREACH_BOUNDARY
    gcs.run(200.0, until=lambda g: not g.v.armed)
    assert not gcs.v.armed and math.hypot(gcs.v.autopilot.body.state.e, gcs.v.autopilot.body.state.n) < 2.0


def test_max_altitude_fence_triggers_rtl() -> None:
    gcs = LockstepGcs(param_overrides={"FENCE_ALT_MAX": 30.0})
    gcs.fly_up(20)
    reposition(gcs, 0, 0, 45)
    gcs.run(30.0, until=lambda g: g.v.mode.name == "RTL")
    assert gcs.v.mode.name == "RTL" and 29.0 < gcs.v.autopilot.alt_rel() < 33.0


def test_battery_low_triggers_rtl_then_critical_lands() -> None:
    gcs = LockstepGcs(battery_percent=19.0, param_overrides={"BATT_LOW_TIMER": 2, "RTL_LOIT_TIME": 60000})
    gcs.fly_up(20)
    reposition(gcs, 300, 0, 20)
    gcs.run(400.0, until=lambda g: g.v.mode.name == "RTL")
    assert gcs.v.mode.name == "RTL"
    assert gcs.v.autopilot.battery.voltage < 14.05
    assert any("Battery 1 is low" in m.text for m in gcs.of("STATUSTEXT"))
    gcs.run(600.0, until=lambda g: g.v.mode.name == "LAND")
    assert gcs.v.mode.name == "LAND"
    assert any("critical" in m.text for m in gcs.of("STATUSTEXT"))
    gcs.run(120.0, until=lambda g: not g.v.armed)
    assert not gcs.v.armed


def test_battery_drains_faster_under_load() -> None:
    hover, climb = Battery(), Battery()
    for _ in range(600):
        hover.step(0.1, 1.0)
        climb.step(0.1, 1.4)
    assert 0 < hover.consumed_mah < climb.consumed_mah
    assert abs(hover.consumed_mah - 15.4 * 60 / 3.6) < 1.0  # 15.4 A for 60 s = 257 mAh
    assert hover.voltage > climb.voltage


def test_gps_loss_in_flight_lands_and_reports_no_fix() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(15)
    gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_GPS_RAW_INT, 200_000)
    assert gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_EKF_STATUS_REPORT, 200_000) == 0
    gcs.run(0.5)
    assert gcs.of("EKF_STATUS_REPORT")[-1].flags & M.EKF_POS_HORIZ_ABS
    gcs.v.lose_gps(30.0)
    gcs.run(3.0)
    assert gcs.of("GPS_RAW_INT")[-1].fix_type == 1 and gcs.of("GPS_RAW_INT")[-1].satellites_visible == 0
    ekf = gcs.of("EKF_STATUS_REPORT")[-1]
    assert not ekf.flags & M.EKF_POS_HORIZ_ABS and ekf.flags & M.EKF_CONST_POS_MODE
    assert gcs.v.mode.name == "LAND"
    gcs.run(60.0, until=lambda g: not g.v.armed)
    assert not gcs.v.armed and abs(gcs.v.true_pose().alt_amsl_m - HOME[2]) < 0.05
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED  # still no fix


def test_gcs_failsafe_after_memory_link_cut() -> None:
    gcs = LockstepGcs(param_overrides={"FS_GCS_TIMEOUT": 3.0})
    gcs.fly_up(15)
    gcs.v.cut_links(5.0)
    gcs.run(4.0)
    assert gcs.v.mode.name == "RTL" and gcs.v.failsafe.gcs_failsafe
    gcs.run(3.0)
    assert not gcs.v.failsafe.gcs_failsafe and gcs.v.mode.name == "RTL"


def test_arming_refused_outside_the_fence_and_inside_an_exclusion_circle() -> None:
    gcs = LockstepGcs()
    gcs.run(2.0)
    keep_out = [(REL, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, 30.0, 0, 0, 0, *offset(10, 0), 0.0)]
    assert gcs.upload(keep_out, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 4) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED
    assert any("outside fence" in m.text for m in gcs.of("STATUSTEXT"))
    gcs.send(M.MAVLink_param_set_message(1, 1, b"FENCE_ENABLE", 0.0, M.MAV_PARAM_TYPE_INT8))
    gcs.run(0.1)
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
