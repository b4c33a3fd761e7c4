"""The vehicle interface the mission controller drives, and its default pymavlink implementation.

`VehicleBackend` is what `MissionController` needs from an autopilot; `PymavlinkBackend` serves both
ArduPilot and PX4 over `MavLink`; `flight.mavsdk_backend.MavsdkBackend` serves PX4 through MAVSDK.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from flight.commands import CommandError, VehicleCommands
from flight.link import LinkConfig, LinkQuality, LinkRole, MavLink
from flight.mission import MissionItem, MissionPlan, MissionType
from flight.mission_protocol import MissionClient, TransferResult
from flight.modes import Flavour, Intent
from flight.state import StateTracker, VehicleState
from flight.streams import request_streams

log = logging.getLogger(__name__)


class VehicleBackend(Protocol):
    """What the mission controller needs from an autopilot connection (all calls block until acknowledged)."""

    name: str

    def connect(self, timeout_s: float) -> None:
        """Open the link, wait for the vehicle, request telemetry."""

    def close(self) -> None:
        """Release the connection."""

    def state(self) -> VehicleState:
        """The latest vehicle state snapshot."""

    def wait_state(self, predicate: Callable[[VehicleState], bool], timeout_s: float) -> VehicleState | None:
        """Block until `predicate(state)`; None on timeout."""

    def link_up(self) -> bool:
        """True while the vehicle's heartbeat arrives."""

    def link_quality(self) -> LinkQuality | None:
        """Loss and heartbeat age figures, when the backend has them."""

    def on_link_restored(self) -> None:
        """Called after a link cut ends (re-request telemetry)."""

    def upload_items(self, items: list[MissionItem], mission_type: int) -> TransferResult:
        """Write one list (mission, fence or rally); items numbered from 0."""

    def mission_offset(self) -> int:
        """Vehicle sequence number of the plan's item 0 (1 on ArduPilot: home is item 0)."""

    def set_intent(self, intent: Intent) -> str:
        """Switch to the mode for an intent; returns the mode name the heartbeat will show."""

    def arm(self) -> None:
        """Arm (raises a CommandError subclass when refused)."""

    def disarm(self) -> None:
        """Disarm on the ground."""

    def takeoff(self, alt_rel_m: float) -> None:
        """Climb to `alt_rel_m` above home (mode switched as the flavour needs)."""

    def goto(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        """Fly to and hold at a point (guided reposition)."""

    def set_roi(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        """Point the vehicle and camera at a location."""

    def clear_roi(self) -> None:
        """Stop pointing at the ROI."""

    def set_current(self, vehicle_seq: int) -> None:
        """Make a mission item (vehicle numbering) the current one."""


class PymavlinkBackend:
    """The default backend: `MavLink` + `StateTracker` + `VehicleCommands` + `MissionClient` (ArduPilot and PX4)."""

    name = "pymavlink"

    def __init__(self, connection: str | LinkConfig, mission_timeout_s: float = 0.3) -> None:
        self.config = LinkConfig(connection) if isinstance(connection, str) else connection
        if self.config.role is not LinkRole.GCS:
            raise ValueError("the mission controller needs a GCS link, not a read-only companion link")
        self.link = MavLink(self.config)
        self.tracker: StateTracker | None = None
        self.commands = VehicleCommands(self.link)
        self.missions = MissionClient(self.link, timeout_s=mission_timeout_s)

    def connect(self, timeout_s: float = 30.0) -> None:
        self.tracker = StateTracker(self.link)
        self.link.open()
        self.link.wait_vehicle(timeout_s)
        report = request_streams(self.commands)
        log.info("streams: %d by interval, fallback=%s", len(report.accepted), report.used_data_stream_fallback)
        self.tracker.wait_for(lambda s: s.position.valid, timeout_s)

    def close(self) -> None:
        if self.tracker is not None:
            self.tracker.detach()
        self.link.close()

    @property
    def flavour(self) -> Flavour:
        """Flavour from the heartbeat."""
        return Flavour.from_autopilot(self.link.autopilot)

    def state(self) -> VehicleState:
        return self.tracker.snapshot()

    def wait_state(self, predicate, timeout_s):
        return self.tracker.wait_for(predicate, timeout_s)

    def link_up(self) -> bool:
        return self.link.connected

    def link_quality(self) -> LinkQuality | None:
        return self.link.quality()

    def on_link_restored(self) -> None:
        request_streams(self.commands)

    def upload_items(self, items: list[MissionItem], mission_type: int) -> TransferResult:
        home = None
        st = self.tracker.snapshot() if self.tracker else None
        if st is not None and st.home.valid and mission_type == MissionType.MISSION:
            home = MissionItem.at(0, 16, st.home.lat_deg, st.home.lon_deg, st.home.alt_amsl_m, frame=0)
        return self.missions.upload(items, mission_type, home=home)

    def upload_plan(self, plan: MissionPlan) -> dict[str, TransferResult]:
        """Fence, rally, mission (convenience; the controller uploads list by list)."""
        return {k: self.upload_items(v, t) for k, v, t in (("fence", plan.fence_items, MissionType.FENCE),
                                                           ("rally", plan.rally_items, MissionType.RALLY),
                                                           ("mission", plan.items, MissionType.MISSION))}

    def mission_offset(self) -> int:
        return self.missions.home_offset(MissionType.MISSION)

    def set_intent(self, intent: Intent) -> str:
        return self.commands.set_intent(intent)

    def disarm(self) -> None:
        self.commands.disarm()

    def takeoff(self, alt_rel_m: float) -> None:
        st = self.tracker.snapshot()
        try:
            if self.flavour is Flavour.ARDUPILOT:
                if st.mode != "GUIDED":
                    self.commands.set_intent(Intent.GUIDED)
                self.commands.takeoff(alt_rel_m)
            else:
                home_amsl = st.home.alt_amsl_m if st.home.valid else st.position.alt_amsl_m - st.position.alt_rel_m
                self.commands.takeoff(alt_rel_m, home_amsl_m=home_amsl)
        except CommandError as exc:
            # a resend refused because the first (unacknowledged) take-off already started it
            climbing = lambda s: s.armed and (s.position.alt_rel_m > 0.3 or s.landed_state in ("TAKEOFF", "IN_AIR"))
            if exc.attempts < 2 or self.tracker.wait_for(climbing, 3.0) is None:
                raise

    def arm(self) -> None:
        try:
            self.commands.arm()
        except CommandError as exc:
            if exc.attempts < 2 or self.tracker.wait_for(lambda s: s.armed, 2.0) is None:
                raise

    def goto(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        if self.flavour is Flavour.ARDUPILOT and self.tracker.snapshot().mode != "GUIDED":
            self.commands.set_intent(Intent.GUIDED)
        self.commands.reposition(lat_deg, lon_deg, alt_amsl_m)

    def set_roi(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        self.commands.set_roi(lat_deg, lon_deg, alt_amsl_m)

    def clear_roi(self) -> None:
        self.commands.clear_roi()

    def set_current(self, vehicle_seq: int) -> None:
        self.commands.set_current(vehicle_seq)
