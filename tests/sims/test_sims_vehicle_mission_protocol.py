"""Mission micro-protocol of the simulated vehicle (lockstep): errors, timeouts, re-requests, home as item 0, fence/rally."""
from __future__ import annotations

from sims_vehicle_lockstep import HOME, REL, M, LockstepGcs, home_item, offset, takeoff_item, wp


def test_mission_item_float_upload_and_download_with_home_as_item_0() -> None:
    gcs = LockstepGcs()
    gcs.run(2.0)  # first fix sets home
    items = [home_item(), takeoff_item(), wp(50, 0), wp(50, 50)]
    gcs.send(M.MAVLink_mission_count_message(1, 1, len(items), 0))
    for seq in range(len(items)):
        gcs.run(0.05, until=lambda g: g.of("MISSION_REQUEST_INT") or g.of("MISSION_REQUEST"))
        # MISSION_REQUEST_INT first; once the client sends float items it is asked in the float protocol
        kind = "MISSION_REQUEST_INT" if seq == 0 else "MISSION_REQUEST"
        assert [m.seq for m in gcs.of(kind)] == [seq]
        gcs.clear()
        frame, cmd, p1, p2, p3, p4, lat, lon, alt = items[seq]
        float_frame = {M.MAV_FRAME_GLOBAL_INT: M.MAV_FRAME_GLOBAL, REL: M.MAV_FRAME_GLOBAL_RELATIVE_ALT}[frame]
        gcs.send(M.MAVLink_mission_item_message(1, 1, seq, float_frame, cmd, 0, 1, p1, p2, p3, p4, lat, lon, alt, 0))
    gcs.run(0.05)
    assert [a.type for a in gcs.of("MISSION_ACK")] == [M.MAV_MISSION_ACCEPTED]
    # download with the float protocol too
    gcs.clear()
    gcs.send(M.MAVLink_mission_request_list_message(1, 1, 0))
    gcs.run(0.05)
    assert gcs.of("MISSION_COUNT")[0].count == 4
    for seq in range(4):
        gcs.send(M.MAVLink_mission_request_message(1, 1, seq, 0))
    gcs.run(0.05)
    got = gcs.of("MISSION_ITEM")
    assert [m.seq for m in got] == [0, 1, 2, 3]
    home = gcs.v.autopilot.home
    assert abs(got[0].x - home.lat) < 2e-6 and abs(got[0].z - home.alt) < 1e-3  # item 0 is home (float32)
    assert abs(got[3].x - items[3][6]) < 2e-6 and abs(got[3].y - items[3][7]) < 2e-6 and got[3].z == 20.0


def test_upload_errors_use_the_precise_mission_result() -> None:
    gcs = LockstepGcs()
    gcs.send(M.MAVLink_mission_count_message(1, 1, 5000, 0))
    gcs.run(0.05)
    assert gcs.of("MISSION_ACK")[-1].type == M.MAV_MISSION_NO_SPACE
    assert gcs.upload([home_item(), (REL, 31999, 0, 0, 0, 0, 0.0, 0.0, 0.0)]) == M.MAV_MISSION_UNSUPPORTED
    local = (M.MAV_FRAME_LOCAL_NED, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, 0.0, 0.0, -10.0)
    assert gcs.upload([home_item(), local]) == M.MAV_MISSION_UNSUPPORTED_FRAME
    bad_lat = (REL, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, 95.0, 8.0, 10.0)
    assert gcs.upload([home_item(), bad_lat]) == M.MAV_MISSION_INVALID_PARAM5_X
    jump_nowhere = (M.MAV_FRAME_MISSION, M.MAV_CMD_DO_JUMP, 9, 1, 0, 0, 0.0, 0.0, 0.0)
    assert gcs.upload([home_item(), wp(10, 0), jump_nowhere]) == M.MAV_MISSION_INVALID_PARAM1
    assert gcs.upload([(REL, M.MAV_CMD_NAV_RALLY_POINT, 0, 0, 0, 0, 47.0, 8.0, 10.0)], mission_type=7) == \
        M.MAV_MISSION_UNSUPPORTED
    assert gcs.v.store.items[0] == []  # nothing was committed by the failed uploads
    gcs.clear()
    gcs.send(M.MAVLink_mission_request_int_message(1, 1, 3, 0))
    gcs.run(0.05)
    assert gcs.of("MISSION_ACK")[-1].type == M.MAV_MISSION_INVALID_SEQUENCE


def test_missing_items_are_re_requested_then_the_upload_is_cancelled() -> None:
    gcs = LockstepGcs()
    gcs.send(M.MAVLink_mission_count_message(1, 1, 3, 0))
    gcs.run(10.0)
    requests = gcs.of("MISSION_REQUEST_INT")
    assert len(requests) >= 7 and all(r.seq == 0 for r in requests)  # first request + one per second
    assert [a.type for a in gcs.of("MISSION_ACK")] == [M.MAV_MISSION_OPERATION_CANCELLED]
    assert any("timeout" in m.text for m in gcs.of("STATUSTEXT"))


def test_out_of_order_item_is_re_requested_and_a_repeated_last_item_is_re_acked() -> None:
    gcs = LockstepGcs()
    items = [home_item(), wp(20, 0), wp(20, 20)]
    gcs.send(M.MAVLink_mission_count_message(1, 1, 3, 0))
    gcs.run(0.05)
    gcs.clear()
    frame, cmd, p1, p2, p3, p4, lat, lon, alt = items[2]
    gcs.send(M.MAVLink_mission_item_int_message(1, 1, 2, frame, cmd, 0, 1, p1, p2, p3, p4, int(lat * 1e7),
                                                int(lon * 1e7), alt, 0))
    gcs.run(0.05)
    assert [r.seq for r in gcs.of("MISSION_REQUEST_INT")] == [0]
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    gcs.clear()
    gcs.send(M.MAVLink_mission_item_int_message(1, 1, 2, frame, cmd, 0, 1, p1, p2, p3, p4, int(lat * 1e7),
                                                int(lon * 1e7), alt, 0))
    gcs.run(0.05)
    assert [a.type for a in gcs.of("MISSION_ACK")] == [M.MAV_MISSION_ACCEPTED]


def test_clear_set_current_and_fence_rally_types() -> None:
    gcs = LockstepGcs()
    gcs.run(2.0)
    assert gcs.upload([home_item(), takeoff_item(), wp(30, 0), wp(30, 30)]) == M.MAV_MISSION_ACCEPTED
    gcs.clear()
    gcs.send(M.MAVLink_mission_set_current_message(1, 1, 3))
    gcs.run(0.05)
    assert gcs.of("MISSION_CURRENT")[-1].seq == 3 and gcs.of("MISSION_CURRENT")[-1].total == 3
    square = [offset(-40, -40), offset(-40, 40), offset(40, 40), offset(40, -40)]
    fence = [(REL, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, 4, 0, 0, 0, la, lo, 0.0) for la, lo in square]
    fence.append((REL, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, 5.0, 0, 0, 0, *offset(20, 20), 0.0))
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    assert len(gcs.v.fence.geometry.inclusions) == 1 and len(gcs.v.fence.geometry.exclusions) == 1
    broken = fence[:3]  # a 4-vertex polygon with only 3 vertices sent
    assert gcs.upload(broken, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_INVALID_PARAM1
    rally = [(REL, M.MAV_CMD_NAV_RALLY_POINT, 0, 0, 0, 0, *offset(10, -10), 15.0)]
    assert gcs.upload(rally, mission_type=M.MAV_MISSION_TYPE_RALLY) == M.MAV_MISSION_ACCEPTED
    gcs.clear()
    gcs.send(M.MAVLink_mission_clear_all_message(1, 1, M.MAV_MISSION_TYPE_ALL))
    gcs.run(0.05)
    assert gcs.of("MISSION_ACK")[-1].type == M.MAV_MISSION_ACCEPTED
    gcs.clear()
    for t in (0, 1, 2):
        gcs.send(M.MAVLink_mission_request_list_message(1, 1, t))
    gcs.run(0.05)
    assert [(c.mission_type, c.count) for c in gcs.of("MISSION_COUNT")] == [(0, 1), (1, 0), (2, 0)]  # home stays


def test_px4_flavour_numbers_items_from_zero() -> None:
    gcs = LockstepGcs(flavour="px4")
    gcs.run(2.0)
    assert gcs.upload([wp(20, 0), wp(20, 20)]) == M.MAV_MISSION_ACCEPTED
    gcs.clear()
    gcs.send(M.MAVLink_mission_request_list_message(1, 1, 0))
    gcs.send(M.MAVLink_mission_request_int_message(1, 1, 0, 0))
    gcs.run(0.05)
    assert gcs.of("MISSION_COUNT")[0].count == 2
    item = gcs.of("MISSION_ITEM_INT")[0]
    assert item.seq == 0 and item.x == int(round(offset(20, 0)[0] * 1e7))
    assert HOME[2] == 488.0


def test_garbage_and_hostile_values_never_stop_the_vehicle() -> None:
    gcs = LockstepGcs()
    gcs.link.to_vehicle.append(b"\xfd\x09\x00\x00garbage\x00\xfe\xff" * 20)  # broken frames, bad CRCs
    gcs.run(1.2)
    assert gcs.of("HEARTBEAT"), "still alive after garbage"
    nan, inf = float("nan"), float("inf")
    for cmd in (M.MAV_CMD_COMPONENT_ARM_DISARM, M.MAV_CMD_DO_SET_MODE, M.MAV_CMD_NAV_TAKEOFF, M.MAV_CMD_DO_REPOSITION,
                M.MAV_CMD_DO_CHANGE_SPEED, M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAV_CMD_CONDITION_YAW):
        assert gcs.command(cmd, nan, inf, -inf, nan, inf, nan, -inf) in (
            M.MAV_RESULT_ACCEPTED, M.MAV_RESULT_FAILED, M.MAV_RESULT_DENIED, M.MAV_RESULT_UNSUPPORTED,
            M.MAV_RESULT_TEMPORARILY_REJECTED)
    assert gcs.upload([home_item(), (REL, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, 47.0, 8.0, nan)]) == \
        M.MAV_MISSION_INVALID_PARAM7
    assert gcs.upload([home_item(), (REL, M.MAV_CMD_NAV_WAYPOINT, inf, 0, 0, 0, 47.0, 8.0, 10.0)]) == \
        M.MAV_MISSION_INVALID_PARAM1
    gcs.send(M.MAVLink_param_set_message(1, 1, b"WPNAV_SPEED", nan, M.MAV_PARAM_TYPE_REAL32))
    gcs.run(0.1)
    assert gcs.v.params["WPNAV_SPEED"] == 1000.0
    assert gcs.v.handling_errors == [], gcs.v.handling_errors
