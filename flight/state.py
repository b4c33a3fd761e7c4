"""One vehicle state from telemetry, published as immutable snapshots safe to share between threads.

`StateTracker` listens on a `MavLink`, folds each message into a new frozen `VehicleState`, and
lets callers `snapshot()` or `wait_for(predicate)`. Other packages read it; none of them write it.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from flight.link import MavLink
from flight.mav import mavlink2
from flight.modes import MAV_MODE_FLAG_SAFETY_ARMED, Flavour, mode_name

# ArduPilot EKF_STATUS_REPORT flags
EKF_ATTITUDE = 1
EKF_VELOCITY_HORIZ = 2
EKF_POS_HORIZ_ABS = 16
EKF_CONST_POS_MODE = 128
EKF_UNINITIALIZED = 1024
EKF_GPS_GLITCH = 32768
SENSOR_AHRS = 0x200000
SENSOR_GPS = 0x20

MAV_LANDED_STATE = {0: "UNDEFINED", 1: "ON_GROUND", 2: "IN_AIR", 3: "TAKEOFF", 4: "LANDING"}
STATUSTEXT_KEEP = 200


@dataclass(frozen=True)
class Position:
    """Global position (GLOBAL_POSITION_INT): degrees, metres AMSL and above home, NED velocity."""

    lat_deg: float = math.nan
    lon_deg: float = math.nan
    alt_amsl_m: float = math.nan
    alt_rel_m: float = math.nan
    vn_mps: float = 0.0
    ve_mps: float = 0.0
    vd_mps: float = 0.0
    heading_deg: float = math.nan
    time_boot_ms: int = 0
    received_at: float = 0.0  # time.monotonic() of reception

    @property
    def valid(self) -> bool:
        """True once a position has been received."""
        return not math.isnan(self.lat_deg)

    @property
    def ground_speed_mps(self) -> float:
        """Horizontal speed."""
        return math.hypot(self.vn_mps, self.ve_mps)


@dataclass(frozen=True)
class Attitude:
    """Vehicle attitude (ATTITUDE), radians, NED; rates rad/s."""

    roll_rad: float = 0.0
    pitch_rad: float = 0.0
    yaw_rad: float = 0.0
    rollspeed: float = 0.0
    pitchspeed: float = 0.0
    yawspeed: float = 0.0
    time_boot_ms: int = 0
    received_at: float = 0.0


@dataclass(frozen=True)
class Home:
    """Home position (HOME_POSITION)."""

    lat_deg: float = math.nan
    lon_deg: float = math.nan
    alt_amsl_m: float = math.nan

    @property
    def valid(self) -> bool:
        """True once the vehicle reported home."""
        return not math.isnan(self.lat_deg)


@dataclass(frozen=True)
class Gps:
    """GPS_RAW_INT: fix type (0-1 none, 2 2D, 3 3D, 4 DGPS, 5/6 RTK), satellites, HDOP."""

    fix_type: int = 0
    satellites: int = 0
    hdop: float = math.nan


@dataclass(frozen=True)
class Battery:
    """Battery from SYS_STATUS / BATTERY_STATUS."""

    voltage_v: float = math.nan
    current_a: float = math.nan
    remaining_pct: int = -1  # -1: unknown


@dataclass(frozen=True)
class Health:
    """Sensor health (SYS_STATUS bits) and the estimator's state (EKF_STATUS_REPORT on ArduPilot)."""

    sensors_present: int = 0
    sensors_enabled: int = 0
    sensors_health: int = 0
    ekf_flags: int | None = None
    system_status: int = 0

    @property
    def unhealthy(self) -> tuple[str, ...]:
        """Names of present+enabled sensors reported unhealthy."""
        bad = self.sensors_present & self.sensors_enabled & ~self.sensors_health
        names = mavlink2.enums["MAV_SYS_STATUS_SENSOR"]
        return tuple(names[b].name.replace("MAV_SYS_STATUS_", "") if b in names else hex(b)
                     for b in (1 << i for i in range(32)) if bad & b)

    @property
    def ekf_ok(self) -> bool:
        """Estimator usable for GPS flight: EKF report flags when present, else AHRS/GPS sensor health."""
        if self.ekf_flags is not None:
            need = EKF_ATTITUDE | EKF_VELOCITY_HORIZ | EKF_POS_HORIZ_ABS
            return (self.ekf_flags & need) == need and not self.ekf_flags & (EKF_CONST_POS_MODE | EKF_UNINITIALIZED)
        if not self.sensors_present:
            return False
        for bit in (SENSOR_AHRS, SENSOR_GPS):
            if self.sensors_present & bit and not self.sensors_health & bit:
                return False
        return True


@dataclass(frozen=True)
class MissionProgress:
    """MISSION_CURRENT / MISSION_ITEM_REACHED as the vehicle numbers items (ArduPilot: item 0 is home)."""

    current_seq: int = -1
    total: int = 0
    reached_seq: int = -1
    reached_count: int = 0
    mission_state: int = 0


@dataclass(frozen=True)
class Gimbal:
    """Gimbal attitude in degrees (GIMBAL_DEVICE_ATTITUDE_STATUS, or MOUNT_STATUS on older ArduPilot)."""

    roll_deg: float = math.nan
    pitch_deg: float = math.nan
    yaw_deg: float = math.nan
    received_at: float = 0.0


@dataclass(frozen=True)
class StatusText:
    """One STATUSTEXT line."""

    severity: int
    text: str
    received_at: float


@dataclass(frozen=True)
class VehicleState:
    """An immutable snapshot of everything known about the vehicle."""

    flavour: Flavour = Flavour.GENERIC
    system_id: int = 0
    mode: str = ""
    base_mode: int = 0
    custom_mode: int = 0
    armed: bool = False
    landed_state: str = "UNDEFINED"
    position: Position = field(default_factory=Position)
    attitude: Attitude = field(default_factory=Attitude)
    home: Home = field(default_factory=Home)
    gps: Gps = field(default_factory=Gps)
    battery: Battery = field(default_factory=Battery)
    health: Health = field(default_factory=Health)
    mission: MissionProgress = field(default_factory=MissionProgress)
    gimbal: Gimbal = field(default_factory=Gimbal)
    groundspeed_mps: float = 0.0
    statustext: tuple[StatusText, ...] = ()
    heartbeat_at: float = 0.0
    mode_changed_at: float = 0.0
    updated_at: float = 0.0

    @property
    def in_air(self) -> bool:
        """Flying: EXTENDED_SYS_STATE says so, or armed and above 0.5 m when that message is absent."""
        if self.landed_state in ("IN_AIR", "TAKEOFF", "LANDING"):
            return True
        if self.landed_state == "ON_GROUND":
            return False
        return self.armed and self.position.valid and self.position.alt_rel_m > 0.5


def _quat_to_euler_deg(q) -> tuple[float, float, float]:
    w, x, y, z = q
    roll = math.atan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2 * (w * y - z * x))))
    yaw = math.atan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return math.degrees(roll), math.degrees(pitch), math.degrees(yaw)


class StateTracker:
    """Builds `VehicleState` snapshots from a link's messages (attach once; read from any thread)."""

    def __init__(self, link: MavLink) -> None:
        self.link = link
        self._cond = threading.Condition()
        self._state = VehicleState()
        self._handlers: dict[str, Callable] = {
            "HEARTBEAT": self._heartbeat, "GLOBAL_POSITION_INT": self._position, "ATTITUDE": self._attitude,
            "HOME_POSITION": self._home, "GPS_RAW_INT": self._gps, "SYS_STATUS": self._sys_status,
            "BATTERY_STATUS": self._battery, "EKF_STATUS_REPORT": self._ekf, "MISSION_CURRENT": self._mission_current,
            "MISSION_ITEM_REACHED": self._reached, "GIMBAL_DEVICE_ATTITUDE_STATUS": self._gimbal_device,
            "MOUNT_STATUS": self._mount_status, "STATUSTEXT": self._statustext, "VFR_HUD": self._vfr_hud,
            "EXTENDED_SYS_STATE": self._ext_sys_state,
        }
        link.add_listener(self._on_message)

    def detach(self) -> None:
        """Stop following the link."""
        self.link.remove_listener(self._on_message)

    def snapshot(self) -> VehicleState:
        """The latest state (immutable; keep it as long as you like)."""
        with self._cond:
            return self._state

    def wait_for(self, predicate: Callable[[VehicleState], bool], timeout: float) -> VehicleState | None:
        """Block until `predicate(state)` holds; the state, or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self._state):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))
            return self._state

    # -- message handlers: each returns the changed fields ------------------------------------------
    def _on_message(self, msg) -> None:
        if self.link.target_system is not None and msg.get_srcSystem() != self.link.target_system:
            return
        handler = self._handlers.get(msg.get_type())
        if handler is None:
            return
        now = time.monotonic()
        with self._cond:
            changes = handler(msg, self._state, now)
            if changes:
                self._state = replace(self._state, updated_at=now, **changes)
                self._cond.notify_all()

    def _heartbeat(self, m, s: VehicleState, now: float) -> dict:
        if m.get_srcComponent() != self.link.target_component:
            return {}
        flavour = Flavour.from_autopilot(m.autopilot)
        name = mode_name(flavour, m.base_mode, m.custom_mode)
        changes = dict(flavour=flavour, system_id=m.get_srcSystem(), mode=name, base_mode=m.base_mode,
                       custom_mode=m.custom_mode, armed=bool(m.base_mode & MAV_MODE_FLAG_SAFETY_ARMED),
                       heartbeat_at=now)
        changes["health"] = replace(s.health, system_status=m.system_status)
        if name != s.mode:
            changes["mode_changed_at"] = now
        return changes

    def _position(self, m, s, now) -> dict:
        hdg = m.hdg / 100.0 if m.hdg != 65535 else math.nan
        return {"position": Position(m.lat / 1e7, m.lon / 1e7, m.alt / 1000.0, m.relative_alt / 1000.0,
                                     m.vx / 100.0, m.vy / 100.0, m.vz / 100.0, hdg, m.time_boot_ms, now)}

    def _attitude(self, m, s, now) -> dict:
        return {"attitude": Attitude(m.roll, m.pitch, m.yaw, m.rollspeed, m.pitchspeed, m.yawspeed, m.time_boot_ms, now)}

    def _home(self, m, s, now) -> dict:
        return {"home": Home(m.latitude / 1e7, m.longitude / 1e7, m.altitude / 1000.0)}

    def _gps(self, m, s, now) -> dict:
        return {"gps": Gps(m.fix_type, m.satellites_visible if m.satellites_visible != 255 else 0,
                           m.eph / 100.0 if m.eph != 65535 else math.nan)}

    def _sys_status(self, m, s, now) -> dict:
        health = replace(s.health, sensors_present=m.onboard_control_sensors_present,
                         sensors_enabled=m.onboard_control_sensors_enabled,
                         sensors_health=m.onboard_control_sensors_health)
        battery = s.battery
        if m.voltage_battery not in (0xFFFF, 0) or m.battery_remaining >= 0:
            battery = Battery(m.voltage_battery / 1000.0 if m.voltage_battery != 0xFFFF else math.nan,
                              m.current_battery / 100.0 if m.current_battery >= 0 else math.nan,
                              m.battery_remaining)
        return {"health": health, "battery": battery}

    def _battery(self, m, s, now) -> dict:
        if m.id != 0:
            return {}
        cells = [v for v in m.voltages if v != 0xFFFF]
        volts = sum(cells) / 1000.0 if cells else s.battery.voltage_v
        amps = m.current_battery / 100.0 if m.current_battery >= 0 else s.battery.current_a
        return {"battery": Battery(volts, amps, m.battery_remaining)}

    def _ekf(self, m, s, now) -> dict:
        return {"health": replace(s.health, ekf_flags=m.flags)}

    def _mission_current(self, m, s, now) -> dict:
        total = getattr(m, "total", 0)
        return {"mission": replace(s.mission, current_seq=m.seq,
                                   total=total if total not in (0, 65535) else s.mission.total,
                                   mission_state=getattr(m, "mission_state", 0))}

    def _reached(self, m, s, now) -> dict:
        return {"mission": replace(s.mission, reached_seq=m.seq, reached_count=s.mission.reached_count + 1)}

    def _gimbal_device(self, m, s, now) -> dict:
        roll, pitch, yaw = _quat_to_euler_deg(m.q)
        return {"gimbal": Gimbal(roll, pitch, yaw, now)}

    def _mount_status(self, m, s, now) -> dict:
        return {"gimbal": Gimbal(m.pointing_b / 100.0, m.pointing_a / 100.0, m.pointing_c / 100.0, now)}

    def _statustext(self, m, s, now) -> dict:
        text = m.text.decode(errors="replace") if isinstance(m.text, bytes) else str(m.text)
        lines = (s.statustext + (StatusText(m.severity, text.rstrip("\x00"), now),))[-STATUSTEXT_KEEP:]
        return {"statustext": lines}

    def _vfr_hud(self, m, s, now) -> dict:
        return {"groundspeed_mps": float(m.groundspeed)}

    def _ext_sys_state(self, m, s, now) -> dict:
        return {"landed_state": MAV_LANDED_STATE.get(m.landed_state, "UNDEFINED")}
