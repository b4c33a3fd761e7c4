"""Parameters the simulated vehicle honours (ArduPilot names and units), persisted per instance as a .parm file."""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

REAL32 = mavlink.MAV_PARAM_TYPE_REAL32
INT8 = mavlink.MAV_PARAM_TYPE_INT8
INT16 = mavlink.MAV_PARAM_TYPE_INT16
INT32 = mavlink.MAV_PARAM_TYPE_INT32


@dataclass(frozen=True)
class ParamSpec:
    """One parameter: default, MAVLink type and what it means (units in the text)."""

    default: float
    type: int
    doc: str


#: Every parameter the vehicle reads; names and units as ArduPilot Copter 4.x.
DEFAULTS: dict[str, ParamSpec] = {
    "WPNAV_SPEED": ParamSpec(1000.0, REAL32, "horizontal waypoint speed, cm/s"),
    "WPNAV_SPEED_UP": ParamSpec(250.0, REAL32, "climb speed, cm/s"),
    "WPNAV_SPEED_DN": ParamSpec(150.0, REAL32, "descent speed, cm/s"),
    "WPNAV_ACCEL": ParamSpec(250.0, REAL32, "horizontal acceleration, cm/s/s"),
    "WPNAV_ACCEL_Z": ParamSpec(100.0, REAL32, "vertical acceleration, cm/s/s"),
    "WPNAV_RADIUS": ParamSpec(200.0, REAL32, "waypoint acceptance radius when the item gives none, cm"),
    "WP_YAW_BEHAVIOR": ParamSpec(2, INT8, "0 keep yaw, 1 face next wp, 2 face next wp except RTL, 3 face along track"),
    "ATC_RATE_Y_MAX": ParamSpec(60.0, REAL32, "yaw rate limit, deg/s"),
    "ANGLE_MAX": ParamSpec(3000, INT16, "max lean angle, cdeg"),
    "CIRCLE_RADIUS": ParamSpec(1000.0, REAL32, "default LOITER_TURNS radius, cm"),
    "RTL_ALT": ParamSpec(1500, INT32, "RTL return altitude above home, cm (0 = current)"),
    "RTL_ALT_FINAL": ParamSpec(0, INT16, "RTL final altitude, cm (0 = land)"),
    "RTL_LOIT_TIME": ParamSpec(5000, INT32, "RTL loiter time above home before descending, ms"),
    "RTL_SPEED": ParamSpec(0.0, REAL32, "RTL speed, cm/s (0 = WPNAV_SPEED)"),
    "RALLY_INCL_HOME": ParamSpec(1, INT8, "RTL may choose home as well as rally points"),
    "LAND_SPEED": ParamSpec(50, INT16, "final descent speed, cm/s"),
    "LAND_ALT_LOW": ParamSpec(1000, INT16, "altitude below which LAND_SPEED applies, cm"),
    "DISARM_DELAY": ParamSpec(10, INT8, "auto-disarm after this many s armed on the ground (0 = never)"),
    "AUTO_OPTIONS": ParamSpec(0, INT32, "bit 0: allow arming in AUTO"),
    "FS_GCS_ENABLE": ParamSpec(1, INT8, "GCS failsafe: 0 off, 1 RTL, 5 LAND"),
    "FS_GCS_TIMEOUT": ParamSpec(5.0, REAL32, "GCS heartbeat timeout, s"),
    "FS_EKF_ACTION": ParamSpec(1, INT8, "position loss in flight: 1 LAND, 0 none"),
    "SYSID_MYGCS": ParamSpec(255, INT16, "GCS system id whose heartbeats count for the GCS failsafe"),
    "BATT_CAPACITY": ParamSpec(5200, INT32, "battery capacity, mAh"),
    "BATT_LOW_VOLT": ParamSpec(14.0, REAL32, "low-battery voltage, V"),
    "BATT_CRT_VOLT": ParamSpec(13.6, REAL32, "critical-battery voltage, V"),
    "BATT_LOW_MAH": ParamSpec(0, INT32, "low-battery remaining capacity, mAh (0 = off)"),
    "BATT_CRT_MAH": ParamSpec(0, INT32, "critical-battery remaining capacity, mAh (0 = off)"),
    "BATT_LOW_TIMER": ParamSpec(10, INT8, "seconds below a threshold before the failsafe fires"),
    "BATT_FS_LOW_ACT": ParamSpec(2, INT8, "low-battery action: 0 none, 1 LAND, 2 RTL"),
    "BATT_FS_CRT_ACT": ParamSpec(1, INT8, "critical-battery action: 0 none, 1 LAND, 2 RTL"),
    "FENCE_ENABLE": ParamSpec(1, INT8, "fence enabled"),
    "FENCE_TYPE": ParamSpec(5, INT8, "bitmask: 1 max alt, 2 circle around home, 4 polygons/circles"),
    "FENCE_ACTION": ParamSpec(1, INT8, "breach action: 0 report only, 1 RTL, 3 LAND"),
    "FENCE_ALT_MAX": ParamSpec(120.0, REAL32, "max altitude above home, m"),
    "FENCE_RADIUS": ParamSpec(300.0, REAL32, "circle around home, m (FENCE_TYPE bit 2)"),
    "MNT1_PITCH_MIN": ParamSpec(-90, INT16, "gimbal pitch minimum, deg"),
    "MNT1_PITCH_MAX": ParamSpec(20, INT16, "gimbal pitch maximum, deg"),
    "MIS_TAKEOFF_ALT": ParamSpec(2.5, REAL32, "PX4 takeoff altitude when NAV_TAKEOFF has no altitude, m"),
    "SIM_WIND_SPD": ParamSpec(0.0, REAL32, "simulated steady wind speed, m/s"),
    "SIM_WIND_DIR": ParamSpec(180.0, REAL32, "direction the wind blows FROM, deg"),
    "SIM_WIND_TURB": ParamSpec(0.0, REAL32, "gust strength (1-sigma), m/s"),
    "SIM_GPS_DISABLE": ParamSpec(0, INT8, "1 = GPS lost"),
}


class ParamError(ValueError):
    """A parameter file or value that cannot be used (names the file/line or parameter)."""


class ParamStore:
    """Current parameter values; writes go through to the per-instance file when one is set."""

    def __init__(self, path: Path | None = None, overrides: dict[str, float] | None = None) -> None:
        self.path = Path(path) if path else None
        self.names: list[str] = list(DEFAULTS)
        self.values: dict[str, float] = {n: float(s.default) for n, s in DEFAULTS.items()}
        #: Values that belong in the file: loaded from it or set by a client (start-up overrides are not).
        self.persisted: dict[str, float] = {}
        if self.path and self.path.exists():
            self._load(self.path)
        for name, value in (overrides or {}).items():
            self.set(name, value, persist=False)

    def _load(self, path: Path) -> None:
        """Read a .parm file ('NAME VALUE' or 'NAME,VALUE' lines, # comments); unknown names are skipped."""
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.replace(",", " ").split()
            if len(parts) != 2:
                raise ParamError(f"{path}:{lineno}: expected 'NAME VALUE', got {line!r}")
            try:
                value = float(parts[1])
            except ValueError as exc:
                raise ParamError(f"{path}:{lineno}: {parts[0]} value {parts[1]!r} is not a number") from exc
            if parts[0] in self.values:
                self.values[parts[0]] = value
                self.persisted[parts[0]] = value

    def save(self) -> None:
        """Write every value a client set (or the file held) as 'NAME VALUE' lines (ArduPilot .parm format)."""
        if not self.path:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{n} {self.persisted[n]:g}" for n in self.names if n in self.persisted]
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        tmp.write_text("\n".join(lines) + ("\n" if lines else ""))
        tmp.replace(self.path)

    def __getitem__(self, name: str) -> float:
        return self.values[name]

    def get(self, name: str, default: float | None = None) -> float | None:
        """Value of a parameter, or `default` when the vehicle has none of that name."""
        return self.values.get(name, default)

    def set(self, name: str, value: float, persist: bool = True) -> float:
        """Set a known parameter (integers are rounded as the autopilot would store them)."""
        if name not in self.values:
            raise ParamError(f"unknown parameter {name!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ParamError(f"parameter {name}: value {value!r} is not finite")
        if DEFAULTS[name].type != REAL32:
            value = float(round(value))
        self.values[name] = value
        if persist:
            self.persisted[name] = value
            self.save()
        return value

    def index(self, name: str) -> int:
        """Position of a parameter in PARAM_VALUE's param_index numbering."""
        return self.names.index(name)

    def type_of(self, name: str) -> int:
        """MAV_PARAM_TYPE of a parameter."""
        return DEFAULTS[name].type

    def wire_value(self, name: str, bytewise: bool) -> float:
        """The float PARAM_VALUE carries: C cast (ArduPilot) or the integer's bytes (PX4's bytewise)."""
        value, ptype = self.values[name], DEFAULTS[name].type
        if not bytewise or ptype == REAL32:
            return value
        return struct.unpack("<f", struct.pack("<i", int(value)))[0]

    @staticmethod
    def from_wire(value: float, ptype: int, bytewise: bool) -> float:
        """Decode a PARAM_SET value sent by a client in the flavour's encoding."""
        if not bytewise or ptype == REAL32:
            return value
        return float(struct.unpack("<i", struct.pack("<f", value))[0])
