"""The mission controller flying the sims vehicle (ArduPilot and PX4 flavours) end to end.

upload -> arm -> takeoff -> AUTO -> retask (orbit with ROI) -> resume at the item it left -> RTL ->
land -> disarmed, with positions and mission progress checked; again under 30% packet loss and
through a 10 s link cut (with and without the vehicle's GCS failsafe).
"""
from __future__ import annotations

import math
import threading
import time

import pytest
from sims.vehicle.faults import FaultConfig
from sims.vehicle.testing import running_vehicle

from flight.backend import PymavlinkBackend
from flight.controller import ControllerConfig, MissionController, Phase
from flight.link import LinkConfig
from flight.mission import Cmd, MissionItem, MissionPlan

HOME = (47.397742, 8.545594, 488.0)
# a 4-leg patrol about 70 m x 70 m north-east of home, 20 m above home
ROUTE = [(0.0006, 0.0), (0.0006, 0.0009), (0.0, 0.0009), (0.0, 0.0002)]
INCIDENT = (HOME[0] + 0.0003, HOME[1] + 0.00045)
ORBIT_R = 25.0
SPEEDUP = 20.0


def _m(lat1, lon1, lat2, lon2) -> float:
    dn = (lat2 - lat1) * 111_195.0
    de = (lon2 - lon1) * 111_195.0 * math.cos(math.radians(lat1))
    return math.hypot(dn, de)


def _plan() -> MissionPlan:
    return MissionPlan([MissionItem.at(i, Cmd.NAV_WAYPOINT, HOME[0] + a, HOME[1] + b, 20.0)
                        for i, (a, b) in enumerate(ROUTE)])


class Recorder:
    """Collects controller events, MISSION_ITEM_REACHED positions and true positions during the orbit."""

    def __init__(self, ctl: MissionController, backend: PymavlinkBackend, vehicle) -> None:
        self.ctl = ctl
        self.events = []
        self.reached: list[tuple[int, float, float]] = []
        self.orbit_dist: list[float] = []
        ctl.add_listener(self.events.append)
        backend.link.add_listener(self._on_msg)
        vehicle.add_pose_listener(self._on_pose)

    def _on_msg(self, msg) -> None:
        if msg.get_type() == "MISSION_ITEM_REACHED":
            st = self.ctl.backend.state()
            self.reached.append((msg.seq, st.position.lat_deg, st.position.lon_deg))

    def _on_pose(self, pose) -> None:
        if self.ctl.phase is Phase.RETASK:
            self.orbit_dist.append(_m(INCIDENT[0], INCIDENT[1], pose.lat, pose.lon))

    def phases(self) -> list[str]:
        return [e.phase.value for e in self.events if e.kind == "transition"]


def _fly(flavour: str, faults: FaultConfig | None = None, cut_s: float = 0.0, params: dict | None = None,
         speedup: float = SPEEDUP):
    plan = _plan()
    with running_vehicle(flavour, speedup=speedup, faults=faults, params=params, with_vehicle=True) as (ep, veh):
        backend = PymavlinkBackend(LinkConfig(ep, heartbeat_timeout_s=3.0))
        ctl = MissionController(backend, plan, ControllerConfig(takeoff_alt_m=20.0, orbit_radius_m=ORBIT_R,
                                                                orbit_points=6, orbit_acceptance_m=4.0))
        rec = Recorder(ctl, backend, veh)

        def operator() -> None:  # the test's actions, from another thread
            st = backend_wait(lambda s: ctl.phase is Phase.PATROL and s.mission.current_seq - ctl._offset >= 2)
            if st is None:
                return
            ctl.retask(*INCIDENT, radius_m=ORBIT_R)
            if cut_s:  # cut the radio once the patrol has resumed after the retask
                while not any(e.phase is Phase.RESUMING for e in rec.events) and not ctl.wait_done(0.02):
                    pass
                time.sleep(0.2)
                veh.cut_links(cut_s)

        def backend_wait(pred):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not ctl.wait_done(0.02):
                if ctl.phase is not Phase.IDLE and ctl.phase is not Phase.CONNECTING and backend.tracker is not None \
                        and pred(backend.state()):
                    return backend.state()
            return None

        op = threading.Thread(target=operator, daemon=True)
        op.start()
        try:
            result = ctl.run()
        finally:
            backend.close()
        op.join(5)
        final = veh.true_pose()
        return result, rec, final, ctl


def _assert_full_patrol(result, rec, final, ctl, lossy: bool = False) -> None:
    assert result.ok, (result.outcome, result.reason, rec.phases())
    assert result.phase is Phase.DISARMED and result.laps_completed == 1
    phases = rec.phases()
    order = ["connecting", "preflight", "uploading", "arming", "takeoff", "patrol", "retask", "resuming",
             "patrol", "returning", "landing", "disarmed"]
    it = iter(phases)
    assert all(p in it for p in order), phases  # in this order (LINK_LOST may sit in between)
    # retask remembered the item it left and the resume went back to exactly that item
    retask = next(e for e in result.events if e.phase is Phase.RETASK and e.kind == "transition")
    resumed = next(e for e in result.events if e.phase is Phase.RESUMING)
    assert retask.data["resume_seq"] == resumed.data["seq"] >= 2
    # the orbit circled the incident at its radius (after flying in to the circle)
    arrived = next(i for i, d in enumerate(rec.orbit_dist) if d < ORBIT_R * 1.2)
    on_circle = rec.orbit_dist[arrived:]
    assert len(on_circle) > 50 and min(on_circle) > ORBIT_R * 0.6 and max(on_circle) < ORBIT_R * 1.5
    assert any(e.message.startswith("lap 1 of 1 completed") for e in result.events)
    # mission progress: the last waypoint was reached, and every reached item was reached at its position
    offset = ctl._offset
    seqs = [s - offset for s, _, _ in rec.reached]
    assert len(ROUTE) - 1 in seqs or (lossy and ctl.backend.state().mission.current_seq - offset == len(ROUTE) - 1)
    for s, lat, lon in rec.reached:
        a, b = ROUTE[s - offset]
        assert _m(HOME[0] + a, HOME[1] + b, lat, lon) < 6.0
    # landed back at home, disarmed
    assert _m(HOME[0], HOME[1], final.lat, final.lon) < 3.0
    assert abs(final.alt_amsl_m - HOME[2]) < 1.0


@pytest.mark.parametrize("flavour", ["ardupilot", "px4"])
def test_patrol_retask_resume_rtl_land(flavour):
    result, rec, final, ctl = _fly(flavour)
    _assert_full_patrol(result, rec, final, ctl)
    assert ctl.backend.link.quality().lost == 0


@pytest.mark.parametrize("flavour", ["ardupilot", "px4"])
def test_patrol_completes_at_30_percent_loss(flavour):
    result, rec, final, ctl = _fly(flavour, faults=FaultConfig(loss_pct=30.0), params={"FS_GCS_TIMEOUT": 20.0})
    _assert_full_patrol(result, rec, final, ctl, lossy=True)  # a lost MISSION_ITEM_REACHED is not re-sent


def test_patrol_continues_through_10s_link_cut_without_gcs_failsafe():
    result, rec, final, ctl = _fly("ardupilot", cut_s=10.0, params={"FS_GCS_ENABLE": 0})
    _assert_full_patrol(result, rec, final, ctl, lossy=True)
    assert "link_lost" in rec.phases()
    assert ctl.backend.link.quality().link_losses >= 1


def test_gcs_failsafe_during_link_cut_is_followed_not_fought():
    result, rec, final, ctl = _fly("px4", cut_s=10.0)
    assert not result.ok and result.outcome == "failsafe"
    phases = rec.phases()
    after = phases[phases.index("link_lost"):]
    assert after[-1] == "disarmed" and "patrol" not in after and "retask" not in after
    assert _m(HOME[0], HOME[1], final.lat, final.lon) < 3.0
