"""Controller behaviour around people and limits: a pilot's mode switch wins, pause/resume, abort, preflight refusal."""
from __future__ import annotations

import os
import threading
import time

from sims.vehicle.testing import running_vehicle

os.environ.setdefault("MAVLINK20", "1")
from pymavlink import mavutil  # noqa: E402

from flight.backend import PymavlinkBackend  # noqa: E402
from flight.controller import ControllerConfig, MissionController, Phase  # noqa: E402
from flight.mission import Cmd, MissionItem, MissionPlan  # noqa: E402

HOME = (47.397742, 8.545594, 488.0)
ROUTE = [(0.0006, 0.0), (0.0006, 0.0009), (0.0, 0.0009), (0.0, 0.0002)]


def _plan() -> MissionPlan:
    return MissionPlan([MissionItem.at(i, Cmd.NAV_WAYPOINT, HOME[0] + a, HOME[1] + b, 20.0)
                        for i, (a, b) in enumerate(ROUTE)])


def _start(endpoint: str, **cfg):
    backend = PymavlinkBackend(endpoint)
    ctl = MissionController(backend, _plan(), ControllerConfig(takeoff_alt_m=20.0, **cfg))
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("result", ctl.run()), daemon=True)
    thread.start()
    return ctl, backend, thread, out


def _wait(pred, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _pilot_sets_mode(endpoint: str, custom_mode: int) -> None:
    """Another ground station (the pilot's) switches the mode with DO_SET_MODE."""
    other = mavutil.mavlink_connection(endpoint, source_system=254, source_component=190, retries=0)
    try:
        other.wait_heartbeat(timeout=5)
        for _ in range(20):
            other.mav.command_long_send(1, 1, mavutil.mavlink.MAV_CMD_DO_SET_MODE, 0, 1, custom_mode, 0, 0, 0, 0, 0)
            ack = other.recv_match(type="COMMAND_ACK", blocking=True, timeout=0.5)
            if ack is not None and ack.command == mavutil.mavlink.MAV_CMD_DO_SET_MODE:
                assert ack.result == 0
                return
        raise AssertionError("the pilot's mode change was not acknowledged")
    finally:
        other.close()


def test_pilot_mode_switch_wins_and_handing_back_resumes():
    with running_vehicle("ardupilot", speedup=20) as ep:
        ctl, backend, thread, out = _start(ep)
        try:
            _wait(lambda: ctl.phase is Phase.PATROL and backend.state().mission.current_seq >= 2)
            _pilot_sets_mode(ep, 5)  # LOITER from the pilot's switch
            _wait(lambda: ctl.phase is Phase.PILOT_CONTROL, 10)
            time.sleep(1.0)  # the controller must not take the vehicle back
            held = backend.state()
            assert held.mode == "LOITER" and ctl.phase is Phase.PILOT_CONTROL
            _pilot_sets_mode(ep, 3)  # the pilot hands back: AUTO
            thread.join(60)
        finally:
            backend.close()
    result = out["result"]
    assert result.ok and result.outcome == "completed" and result.laps_completed == 1
    msgs = [e.message for e in result.events]
    assert any("LOITER by someone else" in m for m in msgs) and any("AUTO selected again" in m for m in msgs)


def test_pause_holds_and_resume_continues_at_the_same_item_px4():
    with running_vehicle("px4", speedup=20) as ep:
        ctl, backend, thread, out = _start(ep)
        try:
            _wait(lambda: ctl.phase is Phase.PATROL and backend.state().mission.current_seq >= 1)
            ctl.pause()
            _wait(lambda: ctl.phase is Phase.PAUSED, 10)
            seq_at_pause = next(e for e in ctl.events if e.phase is Phase.PAUSED).data["seq"]
            st = backend.wait_state(lambda s: s.mode == "AUTO.LOITER" and s.position.ground_speed_mps < 0.3, 20)
            assert st is not None
            time.sleep(1.0)  # 20 s of sim time to settle after braking
            st = backend.state()
            time.sleep(0.5)
            later = backend.state()
            drift = abs(later.position.lat_deg - st.position.lat_deg) * 111e3 + \
                abs(later.position.lon_deg - st.position.lon_deg) * 75e3
            assert drift < 1.5 and ctl.phase is Phase.PAUSED
            ctl.resume()
            thread.join(60)
        finally:
            backend.close()
    result = out["result"]
    assert result.ok
    resumed = next(e for e in result.events if e.phase is Phase.RESUMING)
    assert resumed.data["seq"] == seq_at_pause


def test_abort_returns_home_and_reports_aborted():
    with running_vehicle("ardupilot", speedup=20, with_vehicle=True) as (ep, veh):
        ctl, backend, thread, out = _start(ep)
        try:
            _wait(lambda: ctl.phase is Phase.PATROL)
            ctl.abort()
            thread.join(60)
        finally:
            backend.close()
        final = veh.true_pose()
    result = out["result"]
    assert not result.ok and result.outcome == "aborted" and result.phase is Phase.DISARMED
    assert [e.phase.value for e in result.events if e.kind == "transition"][-3:] == ["returning", "landing", "disarmed"]
    assert abs(final.lat - HOME[0]) < 3e-5 and abs(final.lon - HOME[1]) < 4e-5 and not final.armed


def test_preflight_refuses_low_battery_and_never_arms():
    with running_vehicle("ardupilot", speedup=20, battery_percent=20.0, with_vehicle=True) as (ep, veh):
        ctl, backend, thread, out = _start(ep, preflight_timeout_s=1.0)
        try:
            thread.join(30)
        finally:
            backend.close()
        armed = veh.armed
    result = out["result"]
    assert result.phase is Phase.FAILED and result.outcome == "failed"
    assert "battery" in result.reason and "< 30%" in result.reason
    assert not armed and "arming" not in [e.phase.value for e in result.events]


def test_planned_loop_with_do_jump_flies_every_lap_then_its_rtl_item():
    from flight.planning import Home, plan_loop

    home = Home(HOME[0], HOME[1], HOME[2])
    corners = [(HOME[0] + 0.0004, HOME[1]), (HOME[0] + 0.0004, HOME[1] + 0.0005), (HOME[0], HOME[1] + 0.0005)]
    plan = plan_loop(corners, home, alt_m=15.0, laps=2).to_mission_plan()
    assert any(it.command == Cmd.DO_JUMP for it in plan.items) and plan.items[-1].command == Cmd.NAV_RETURN_TO_LAUNCH
    with running_vehicle("ardupilot", speedup=20, with_vehicle=True) as (ep, veh):
        backend = PymavlinkBackend(ep)
        reached = []
        backend.link.add_listener(lambda m: reached.append(m.seq) if m.get_type() == "MISSION_ITEM_REACHED" else None)
        ctl = MissionController(backend, plan, ControllerConfig(takeoff_alt_m=15.0))
        try:
            result = ctl.run()
        finally:
            backend.close()
        final = veh.true_pose()
    assert result.ok and result.laps_completed == 1, (result.outcome, result.reason)
    second = plan.items.index(next(it for it in plan.items if it.command == Cmd.NAV_WAYPOINT)) + 1 + ctl._offset
    assert reached.count(second) == 2  # the DO_JUMP took the vehicle round the loop twice
    assert any(e.message == "mission's return item reached" for e in result.events)
    assert abs(final.lat - HOME[0]) < 3e-5 and abs(final.lon - HOME[1]) < 4e-5 and not final.armed
