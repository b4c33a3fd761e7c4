"""The MAVSDK backend (mavsdk 4.1.0) flying the PX4-flavoured sims vehicle through the same controller."""
from __future__ import annotations

import threading

from sims.vehicle.testing import running_vehicle

from flight.controller import ControllerConfig, MissionController, Phase
from flight.mavsdk_backend import MavsdkBackend, mavsdk_url
from flight.mission import Cmd, MissionItem, MissionPlan

HOME = (47.397742, 8.545594, 488.0)
ROUTE = [(0.0006, 0.0), (0.0006, 0.0009), (0.0, 0.0009), (0.0, 0.0002)]


def test_connection_strings_become_mavsdk_urls():
    assert mavsdk_url("tcp:127.0.0.1:5760") == "tcpout://127.0.0.1:5760"
    assert mavsdk_url("udpin:0.0.0.0:14540") == "udpin://0.0.0.0:14540"
    assert mavsdk_url("/dev/ttyUSB0,57600") == "serial:///dev/ttyUSB0:57600"


def test_mavsdk_backend_flies_patrol_with_retask_on_px4():
    items = [MissionItem.at(i, Cmd.NAV_WAYPOINT, HOME[0] + a, HOME[1] + b, 20.0) for i, (a, b) in enumerate(ROUTE)]
    with running_vehicle("px4", speedup=20, with_vehicle=True) as (ep, veh):
        backend = MavsdkBackend(ep)
        ctl = MissionController(backend, MissionPlan(items), ControllerConfig(takeoff_alt_m=20.0, orbit_points=6))

        def operator() -> None:
            while not ctl.wait_done(0.02):
                if ctl.phase is Phase.PATROL and backend.state().mission.current_seq >= 2:
                    ctl.retask(HOME[0] + 0.0003, HOME[1] + 0.00045, 25.0)
                    return

        threading.Thread(target=operator, daemon=True).start()
        try:
            result = ctl.run()
            st = backend.state()
        finally:
            backend.close()
        final = veh.true_pose()
    assert result.ok, (result.outcome, result.reason)
    phases = [e.phase.value for e in result.events if e.kind == "transition"]
    assert phases[-6:] == ["retask", "resuming", "patrol", "returning", "landing", "disarmed"]
    resumed = next(e for e in result.events if e.phase is Phase.RESUMING)
    assert resumed.data["seq"] >= 2
    assert st.flavour.value == "px4" and st.mission.total == len(ROUTE) and st.mission.reached_seq == len(ROUTE) - 1
    assert st.home.valid and abs(st.home.lat_deg - HOME[0]) < 1e-6
    assert not final.armed and abs(final.lat - HOME[0]) < 3e-5 and abs(final.lon - HOME[1]) < 4e-5
