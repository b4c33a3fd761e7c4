"""Drives a SimVehicle deterministically through its in-process memory link (lockstep: the test owns time)."""
from __future__ import annotations

import os

os.environ.setdefault("MAVLINK20", "1")
from pymavlink.dialects.v20 import ardupilotmega as M  # noqa: E402

from sims.vehicle import SimVehicle, VehicleConfig  # noqa: E402

HOME = (47.397742, 8.545594, 488.0)
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT


class LockstepGcs:
    """A GCS on a MemoryLink: sends MAVLink, advances sim time, keeps every message the vehicle sent."""

    def __init__(self, **config) -> None:
        config.setdefault("tcp_port", None)
        config.setdefault("gps_lock_s", 1.0)
        self.v = SimVehicle(VehicleConfig(**config))
        self.link = self.v.add_memory_link()
        self.inbox: list = []
        self.heartbeats = True
        self._hb_due = 0.0

    def send(self, msg) -> None:
        self.link.client_send(msg)

    def run(self, seconds: float, until=None) -> None:
        """Advance sim time (GCS heartbeats every 0.5 s); stop early when until(gcs) is true."""
        end = self.v.clock.now + seconds
        while self.v.clock.now < end - 1e-9:
            if self.heartbeats and self.v.clock.now >= self._hb_due:
                self._hb_due = self.v.clock.now + 0.5
                self.send(M.MAVLink_heartbeat_message(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3))
            self.v.step()
            new = self.link.client_messages()
            self.inbox.extend(new)
            if until is not None and new and until(self):
                return

    def of(self, kind: str, cond=None) -> list:
        return [m for m in self.inbox if m.get_type() == kind and (cond is None or cond(m))]

    def clear(self) -> None:
        self.inbox.clear()

    def command(self, command: int, *params: float) -> int:
        p = list(params) + [0.0] * (7 - len(params))
        self.clear()
        self.send(M.MAVLink_command_long_message(self.v.sysid, 1, command, 0, *p))
        self.run(0.1)
        acks = self.of("COMMAND_ACK", lambda m: m.command == command)
        assert acks, f"no COMMAND_ACK for {command}"
        return acks[-1].result

    def upload(self, items: list[tuple], mission_type: int = 0) -> int:
        """(frame, command, p1..p4, lat, lon, alt) tuples, answered request by request; returns the ACK type."""
        self.clear()
        self.send(M.MAVLink_mission_count_message(self.v.sysid, 1, len(items), mission_type))
        for _ in range(len(items) + 2):
            self.run(0.1, until=lambda g: g.of("MISSION_REQUEST_INT") or g.of("MISSION_ACK"))
            acks = self.of("MISSION_ACK")
            if acks:
                return acks[-1].type
            req = self.of("MISSION_REQUEST_INT")[-1]
            frame, command, p1, p2, p3, p4, lat, lon, alt = items[req.seq]
            self.clear()
            self.send(M.MAVLink_mission_item_int_message(self.v.sysid, 1, req.seq, frame, command, 0, 1, p1, p2, p3,
                                                         p4, int(round(lat * 1e7)), int(round(lon * 1e7)), alt,
                                                         mission_type))
        raise AssertionError("upload did not finish")

    def fly_up(self, alt: float = 20.0) -> None:
        """Wait for the fix, GUIDED, arm, take off to alt metres."""
        self.run(2.0)
        assert self.command(M.MAV_CMD_DO_SET_MODE, 1, 4) == M.MAV_RESULT_ACCEPTED
        assert self.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
        assert self.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt) == M.MAV_RESULT_ACCEPTED
        self.run(alt / 2.0 + 10.0, until=lambda g: g.v.true_pose().alt_amsl_m > HOME[2] + alt - 0.3)


def offset(d_north_m: float, d_east_m: float) -> tuple[float, float]:
    """Lat/lon of a point offset from HOME (small-offset approximation, good to a few cm over 1 km)."""
    return HOME[0] + d_north_m / 111_190.0, HOME[1] + d_east_m / 75_300.0


def home_item() -> tuple:
    return (M.MAV_FRAME_GLOBAL_INT, M.MAV_CMD_NAV_WAYPOINT, 0, 0, 0, 0, HOME[0], HOME[1], HOME[2])


def takeoff_item(alt: float = 20.0) -> tuple:
    return (REL, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0.0, 0.0, alt)


def wp(d_north: float, d_east: float, alt: float = 20.0, hold: float = 0.0, radius: float = 2.0) -> tuple:
    lat, lon = offset(d_north, d_east)
    return (REL, M.MAV_CMD_NAV_WAYPOINT, hold, radius, 0, 0, lat, lon, alt)
