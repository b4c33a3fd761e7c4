"""Vehicle state: mode names per flavour, health/EKF reading, and snapshots built from the sims vehicle's telemetry."""
from __future__ import annotations

import dataclasses
import math

import pytest
from sims.vehicle.testing import running_vehicle

from flight.backend import PymavlinkBackend
from flight.modes import Flavour, mode_name, px4_custom_mode
from flight.state import Health, VehicleState


@pytest.mark.parametrize("flavour, base, custom, name", [
    (Flavour.ARDUPILOT, 1, 4, "GUIDED"), (Flavour.ARDUPILOT, 1, 3, "AUTO"), (Flavour.ARDUPILOT, 1, 17, "BRAKE"),
    (Flavour.ARDUPILOT, 1, 99, "MODE(99)"),
    (Flavour.PX4, 1, px4_custom_mode(4, 4), "AUTO.MISSION"), (Flavour.PX4, 1, px4_custom_mode(4, 3), "AUTO.LOITER"),
    (Flavour.PX4, 1, px4_custom_mode(4, 5), "AUTO.RTL"), (Flavour.PX4, 1, px4_custom_mode(3), "POSCTL"),
    (Flavour.PX4, 1, px4_custom_mode(6), "OFFBOARD"),
])
def test_mode_names(flavour, base, custom, name):
    assert mode_name(flavour, base, custom) == name


def test_health_reading():
    gps, ahrs = 0x20, 0x200000
    ok = Health(sensors_present=gps | ahrs, sensors_enabled=gps | ahrs, sensors_health=gps | ahrs)
    assert ok.ekf_ok and ok.unhealthy == ()
    bad = Health(sensors_present=gps | ahrs, sensors_enabled=gps | ahrs, sensors_health=ahrs)
    assert not bad.ekf_ok and bad.unhealthy == ("SENSOR_GPS",)
    assert Health(ekf_flags=1 | 2 | 16).ekf_ok
    assert not Health(ekf_flags=1 | 2 | 16 | 128).ekf_ok  # constant position mode: no GPS use
    assert not Health(ekf_flags=1 | 2).ekf_ok


@pytest.mark.parametrize("flavour, mode", [("ardupilot", "STABILIZE"), ("px4", "AUTO.LOITER")])
def test_snapshot_from_sim_telemetry(flavour, mode):
    with running_vehicle(flavour, speedup=10, with_vehicle=True) as (ep, veh):
        backend = PymavlinkBackend(ep)
        try:
            backend.connect(20)
            st = backend.wait_state(lambda s: s.gps.fix_type >= 3 and s.health.ekf_ok and s.attitude.received_at > 0
                                    and s.battery.remaining_pct >= 0, 20)
            backend.arm()
            armed = backend.wait_state(lambda s: s.armed and s.home.valid, 10)
            backend.disarm()
            disarmed = backend.wait_state(lambda s: not s.armed, 10)
        finally:
            backend.close()
    assert isinstance(st, VehicleState) and st.flavour.value == flavour and st.system_id == 1
    assert st.mode == mode and st.landed_state == "ON_GROUND" and not st.in_air
    assert abs(st.position.lat_deg - 47.397742) < 1e-5 and abs(st.position.lon_deg - 8.545594) < 1e-5
    assert abs(st.position.alt_amsl_m - 488.0) < 1.0 and abs(st.position.alt_rel_m) < 1.0
    assert st.gps.satellites >= 6 and st.health.ekf_ok and st.battery.remaining_pct > 90
    assert math.isfinite(st.battery.voltage_v) and st.battery.voltage_v > 15
    assert armed is not None and abs(armed.home.alt_amsl_m - 488.0) < 1.0
    assert disarmed is not None and any("Arming" in t.text for t in disarmed.statustext)
    with pytest.raises(dataclasses.FrozenInstanceError):
        st.armed = True  # snapshots are immutable: safe to hand to other threads
    assert st is not disarmed and not st.armed
