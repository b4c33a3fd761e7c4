"""What the HUD and the map show of a vehicle, built from a flight ``VehicleState`` or a datalink ``VehicleSummary``."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LinkView:
    """Link quality as the pilot sees it."""

    connected: bool = False
    heartbeat_age_s: float | None = None
    loss_pct: float = 0.0
    source: str = "none"  # "mavlink" | "datalink" | "none"

    @property
    def quality_pct(self) -> float:
        """0..100: 100 minus packet loss, 0 when disconnected."""
        return 0.0 if not self.connected else max(0.0, 100.0 - self.loss_pct)


@dataclass(frozen=True)
class VehicleView:
    """One vehicle's displayed state (degrees and metres; NaN where unknown)."""

    vehicle_id: str = "vehicle"
    lat: float = math.nan
    lon: float = math.nan
    alt_amsl_m: float = math.nan
    alt_rel_m: float = math.nan
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    heading_deg: float = 0.0
    ground_speed_mps: float = 0.0
    climb_mps: float = 0.0
    battery_pct: float = -1.0
    battery_v: float = math.nan
    gps_fix: int = 0
    satellites: int = 0
    mode: str = ""
    armed: bool = False
    in_air: bool = False
    home: tuple[float, float, float] | None = None
    mission_seq: int = -1
    mission_total: int = 0
    gimbal_pitch_deg: float = math.nan
    gimbal_yaw_deg: float = math.nan
    link: LinkView = field(default_factory=LinkView)
    updated_s: float = 0.0

    @property
    def has_position(self) -> bool:
        return not (math.isnan(self.lat) or math.isnan(self.lon))

    @property
    def gps_text(self) -> str:
        names = {0: "no GPS", 1: "no fix", 2: "2D", 3: "3D", 4: "DGPS", 5: "RTK float", 6: "RTK fixed"}
        return f"{names.get(self.gps_fix, str(self.gps_fix))} ({self.satellites} sats)"


def from_flight_state(state, quality=None, vehicle_id: str = "vehicle") -> VehicleView:
    """Convert a ``flight.state.VehicleState`` (+ optional ``flight.link.LinkQuality``)."""
    pos, att = state.position, state.attitude
    heading = pos.heading_deg if not math.isnan(pos.heading_deg) else math.degrees(att.yaw_rad) % 360.0
    home = (state.home.lat_deg, state.home.lon_deg, state.home.alt_amsl_m) if state.home.valid else None
    link = LinkView()
    if quality is not None:
        link = LinkView(quality.connected, quality.last_heartbeat_age_s, quality.loss_pct, "mavlink")
    return VehicleView(
        vehicle_id=vehicle_id or f"sys{state.system_id}",
        lat=pos.lat_deg, lon=pos.lon_deg, alt_amsl_m=pos.alt_amsl_m, alt_rel_m=pos.alt_rel_m,
        roll_deg=math.degrees(att.roll_rad), pitch_deg=math.degrees(att.pitch_rad), heading_deg=heading % 360.0,
        ground_speed_mps=state.groundspeed_mps or pos.ground_speed_mps, climb_mps=-pos.vd_mps,
        battery_pct=float(state.battery.remaining_pct), battery_v=state.battery.voltage_v,
        gps_fix=state.gps.fix_type, satellites=state.gps.satellites, mode=state.mode, armed=state.armed,
        in_air=state.in_air, home=home, mission_seq=state.mission.current_seq, mission_total=state.mission.total,
        gimbal_pitch_deg=state.gimbal.pitch_deg, gimbal_yaw_deg=state.gimbal.yaw_deg, link=link,
        updated_s=time.time(),
    )


def from_summary(msg) -> VehicleView:
    """Convert a ``datalink.messages.VehicleSummary`` (ground stations off the MAVLink link)."""
    return VehicleView(
        vehicle_id=msg.vehicle_id, lat=msg.lat, lon=msg.lon, alt_amsl_m=msg.alt_m, alt_rel_m=msg.alt_rel_m,
        heading_deg=msg.heading_deg, ground_speed_mps=msg.ground_speed_mps, climb_mps=msg.climb_mps,
        battery_pct=msg.battery_pct, gps_fix=msg.gps_fix, satellites=msg.satellites, mode=msg.mode,
        armed=msg.armed, mission_seq=msg.mission_seq,
        link=LinkView(True, max(0.0, time.time() - msg.time_s), 100.0 * (1.0 - msg.link_quality), "datalink"),
        updated_s=time.time(),
    )
