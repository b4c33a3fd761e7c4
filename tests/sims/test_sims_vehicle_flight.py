"""Mission execution and flight physics of the simulated vehicle, in lockstep (deterministic, seeded)."""
from __future__ import annotations

import math

from sims_vehicle_lockstep import HOME, REL, M, LockstepGcs, home_item, offset, takeoff_item, wp


def enu(gcs: LockstepGcs) -> tuple[float, float, float]:
    s = gcs.v.autopilot.body.state
    return s.e, s.n, s.u


def test_do_jump_repeats_the_loop_the_requested_number_of_times() -> None:
    gcs = LockstepGcs()
    gcs.run(2.0)
    jump = (M.MAV_FRAME_MISSION, M.MAV_CMD_DO_JUMP, 2, 2, 0, 0, 0.0, 0.0, 0.0)  # back to item 2, twice
    rtl = (REL, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0.0, 0.0, 0.0)
    assert gcs.upload([home_item(), takeoff_item(15), wp(30, 0, 15), wp(30, 30, 15), jump, rtl]) == M.MAV_MISSION_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 4) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
    assert gcs.command(M.MAV_CMD_MISSION_START, 0, 0) == M.MAV_RESULT_ACCEPTED
    assert gcs.v.mode.name == "AUTO"
    gcs.clear()
    gcs.run(400.0, until=lambda g: not g.v.armed)
    reached = [m.seq for m in gcs.of("MISSION_ITEM_REACHED")]
    assert reached == [1, 2, 3, 2, 3, 2, 3, 5]
    assert not gcs.v.armed and abs(gcs.v.true_pose().alt_amsl_m - HOME[2]) < 0.05
    current = gcs.of("MISSION_CURRENT")
    assert current[-1].mission_state == M.MISSION_STATE_COMPLETE and current[-1].total == 5


def test_loiter_time_and_turns_and_change_speed() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(20)
    lat, lon = offset(0, 60)
    loiter_time = (REL, M.MAV_CMD_NAV_LOITER_TIME, 12, 0, 0, 0, lat, lon, 20.0)
    speed = (M.MAV_FRAME_MISSION, M.MAV_CMD_DO_CHANGE_SPEED, 1, 4.0, -1, 0, 0.0, 0.0, 0.0)
    turns = (REL, M.MAV_CMD_NAV_LOITER_TURNS, 2, 0, 25.0, 0, lat, lon, 20.0)
    assert gcs.upload([home_item(), loiter_time, speed, turns, wp(0, 0, 20)]) == M.MAV_MISSION_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 3) == M.MAV_RESULT_ACCEPTED
    gcs.clear()
    times: dict[int, float] = {}
    radii, speeds = [], []

    def watch(g: LockstepGcs) -> bool:
        for m in g.of("MISSION_ITEM_REACHED"):
            times.setdefault(m.seq, g.v.clock.now)
        return 3 in times

    while 3 not in times and gcs.v.clock.now < 400:
        gcs.run(0.5, until=watch)
        if 1 in times and 3 not in times and gcs.v.clock.now > times[1] + 20:
            e, n, _ = enu(gcs)
            radii.append(math.hypot(e - 60.0, n))
            s = gcs.v.autopilot.body.state
            speeds.append(math.hypot(s.ve, s.vn))
    assert {1, 3} <= set(times), f"items reached: {sorted(times)}"
    assert all(abs(r - 25.0) < 2.0 for r in radii), (min(radii), max(radii))
    assert 3.5 < sum(speeds) / len(speeds) < 4.3  # DO_CHANGE_SPEED 4 m/s
    orbit_s = times[3] - times[1]
    assert 2 * 2 * math.pi * 25.0 / 4.0 * 0.9 < orbit_s < 12 + 2 * 2 * math.pi * 25.0 / 4.0 * 1.6


def test_waypoint_hold_time_is_honoured() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(15)
    assert gcs.upload([home_item(), wp(20, 0, 15, hold=8.0), wp(0, 0, 15)]) == M.MAV_MISSION_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 3) == M.MAV_RESULT_ACCEPTED
    gcs.clear()
    gcs.run(60.0, until=lambda g: g.of("MISSION_ITEM_REACHED"))
    assert [m.seq for m in gcs.of("MISSION_ITEM_REACHED")] == [1]
    t_reached = gcs.v.clock.now
    gcs.clear()
    gcs.run(60.0, until=lambda g: g.of("MISSION_CURRENT", lambda m: m.seq == 2))
    assert 7.9 <= gcs.v.clock.now - t_reached <= 8.2
    assert math.hypot(*enu(gcs)[:2]) > 18.0  # still at the waypoint when the hold ended


def test_roi_points_gimbal_and_nose_and_status_reports_it() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(30)
    lat, lon = offset(40, 0)  # 40 m north, on the ground (alt 0 relative to home)
    assert gcs.command(M.MAV_CMD_DO_SET_ROI_LOCATION, 0, 0, 0, 0, lat, lon, 0) == M.MAV_RESULT_ACCEPTED
    gcs.run(5.0)
    g = gcs.v.autopilot.gimbal
    _, n, u = enu(gcs)
    expected = math.degrees(math.atan2(-u, 40.0 - n))
    assert abs(g.pitch_deg - expected) < 1.0 and expected < -30
    assert abs(gcs.v.true_pose().yaw) < math.radians(3)
    gcs.clear()
    assert gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_GIMBAL_DEVICE_ATTITUDE_STATUS, 100_000) == 0
    gcs.run(0.5)
    status = gcs.of("GIMBAL_DEVICE_ATTITUDE_STATUS")[-1]
    w, x, y, z = status.q
    pitch = math.degrees(math.asin(2 * (w * y - z * x)))
    assert abs(pitch - g.pitch_deg) < 0.5 and status.flags & M.GIMBAL_DEVICE_FLAGS_YAW_IN_VEHICLE_FRAME
    assert gcs.command(M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -90, 0, math.nan, math.nan, 0, 0, 0) == 0
    gcs.run(3.0)
    assert abs(gcs.v.true_pose().gimbal_pitch + math.pi / 2) < 1e-6 and gcs.v.autopilot.roi is None


def test_tilt_follows_acceleration_and_leans_into_wind() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(20)
    lat, lon = offset(200, 0)
    gcs.send(M.MAVLink_command_int_message(1, 1, M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, M.MAV_CMD_DO_REPOSITION, 0, 0,
                                           -1, 1, 0, math.nan, int(lat * 1e7), int(lon * 1e7), 20.0))
    gcs.run(1.5)
    pose = gcs.v.true_pose()
    assert pose.pitch < -math.radians(5)  # nose down while accelerating north
    gcs.run(60.0)
    s = gcs.v.autopilot.body.state
    assert abs(s.n - 200.0) < 2.0 and abs(s.pitch) < math.radians(1.5)
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 5) == M.MAV_RESULT_ACCEPTED  # LOITER
    gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_WIND_SPD", 8.0, M.MAV_PARAM_TYPE_REAL32))
    gcs.send(M.MAVLink_param_set_message(1, 1, b"SIM_WIND_DIR", 270.0, M.MAV_PARAM_TYPE_REAL32))  # from the west
    gcs.run(20.0)
    s = gcs.v.autopilot.body.state
    assert s.roll < -math.radians(3)  # heading north, leaning left = west, into the wind
    assert abs(s.e) < 3.0  # and still holding position


def test_same_seed_gives_identical_flights_and_telemetry_units_match_truth() -> None:
    def flight(seed: int):
        gcs = LockstepGcs(seed=seed, epoch_unix_s=1.8e9, param_overrides={"SIM_WIND_SPD": 5.0, "SIM_WIND_TURB": 2.0})
        gcs.fly_up(20)
        gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, 200_000)
        gcs.run(10.0)
        return gcs

    a, b, c = flight(1), flight(1), flight(2)
    assert a.v.true_pose() == b.v.true_pose()
    assert a.v.true_pose() != c.v.true_pose()
    msg = a.of("GLOBAL_POSITION_INT")[-1]
    pose = a.v.true_pose()
    assert abs(msg.relative_alt / 1000.0 - (pose.alt_amsl_m - HOME[2])) < 3.0  # mm
    assert abs(msg.alt / 1000.0 - pose.alt_amsl_m) < 3.0
    assert abs(msg.vx / 100.0 - pose.vn_mps) < 0.5  # cm/s
    assert abs(msg.lat / 1e7 - pose.lat) * 111_190 < 3.0


def test_waypoints_without_hold_are_flown_through_and_local_ned_targets_work() -> None:
    gcs = LockstepGcs()
    gcs.fly_up(20)
    line = [home_item(), wp(60, 0), wp(120, 0), wp(120, 60, hold=1.0), wp(0, 0)]
    assert gcs.upload(line) == M.MAV_MISSION_ACCEPTED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 3) == M.MAV_RESULT_ACCEPTED
    speeds: dict[int, float] = {}

    def at_reached(g: LockstepGcs) -> bool:
        s = g.v.autopilot.body.state
        for m in g.of("MISSION_ITEM_REACHED"):
            speeds.setdefault(m.seq, math.hypot(s.ve, s.vn))
        return 3 in speeds

    gcs.clear()
    gcs.run(120.0, until=at_reached)
    assert speeds[1] > 6.0  # straight on: carried through at speed
    assert speeds[2] < speeds[1]  # a 90 degree corner: slower
    assert speeds[3] < 1.5  # a hold: stopped
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 4) == M.MAV_RESULT_ACCEPTED
    gcs.send(M.MAVLink_set_position_target_local_ned_message(0, 1, 1, M.MAV_FRAME_LOCAL_NED, 0b110111111000,
                                                             30.0, -20.0, -25.0, 0, 0, 0, 0, 0, 0, 0, 0))
    gcs.run(40.0)
    e, n, u = enu(gcs)
    assert abs(n - 30.0) < 1.0 and abs(e + 20.0) < 1.0 and abs(u - 25.0) < 0.5


def test_true_pose_listener_and_geo_pose_sample_agree_with_the_gimbal() -> None:
    from geo.pose import camera_rotation_ned

    gcs = LockstepGcs()
    poses = []
    gcs.v.add_pose_listener(poses.append)
    gcs.fly_up(30)
    assert gcs.command(M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW, -90, 0, math.nan, math.nan, 0, 0, 0) == 0
    gcs.run(3.0)
    assert len(poses) == gcs.v.clock.steps and poses[-1].time_s == gcs.v.clock.now
    sample = poses[-1].to_pose_sample()
    assert abs(sample.time_s - gcs.v.clock.unix_time()) < 1e-6
    optical_axis_ned = camera_rotation_ned(sample) @ [0.0, 0.0, 1.0]  # camera z = optical axis
    assert optical_axis_ned[2] > 0.999  # nadir: pointing down
