"""The flight controller: arming, modes (STABILIZE..BRAKE), takeoff, RTL and LAND logic, mission in AUTO, physics stepping."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from geo.frames import LocalFrame

from .battery import Battery
from .gimbal import Gimbal
from .gps import GpsModel
from .guidance import Descend, GoTo, Hold, NavTarget, VelocityCmd, velocity_for
from .mission_executor import RUN_RTL, MissionExecutor
from .mission_store import ABSOLUTE_FRAMES, RALLY, MissionItem, MissionStore
from .modes import ARMABLE_MODES, POSITION_MODES, Flavour, Mode, mode_name
from .params import ParamStore
from .physics import Limits, Multicopter, wrap_pi
from .rtl import RtlState, plan_rtl, rtl_target
from .wind import WindModel

SEV = mavlink


@dataclass
class Home:
    """Home location: WGS84 + AMSL and the same point in the local ENU frame."""

    lat: float
    lon: float
    alt: float
    e: float
    n: float
    u: float


@dataclass
class Events:
    """Callbacks to the MAVLink side for things the autopilot announces."""

    statustext: Callable[[str, int], None]
    mission_current: Callable[[int], None]
    item_reached: Callable[[int], None]
    home_changed: Callable[[], None]


@dataclass
class Autopilot:
    """Owns the airframe, sensors and modes of one vehicle; stepped at the physics rate."""

    flavour: Flavour
    params: ParamStore
    frame: LocalFrame
    events: Events
    store: MissionStore
    rng: random.Random
    gps_lock_s: float = 5.0
    battery_percent: float = 100.0
    initial_heading_deg: float = 0.0
    now: float = 0.0
    mode: Mode = Mode.STABILIZE
    armed: bool = False
    home: Home | None = None
    body: Multicopter = field(default_factory=Multicopter)
    executor: MissionExecutor = field(default_factory=MissionExecutor)
    target: NavTarget | None = None
    rtl: RtlState | None = None
    taking_off: bool = False
    landing: bool = False
    speed_override: dict[int, float] = field(default_factory=dict)
    roi: tuple[float, float, float] | None = None
    yaw_hold: float | None = None
    guided_yaw: float | None = None
    ground_since: float = 0.0
    est_drift: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    #: Pre-arm fence check (set by the failsafe monitor): the breach type at the current position, 0 = inside.
    fence_breach_now: Callable[[], int] | None = None

    def __post_init__(self) -> None:
        self.gps = GpsModel(lock_time_s=self.gps_lock_s, rng=random.Random(self.rng.random()))
        self.wind = WindModel(rng=random.Random(self.rng.random()))
        self.battery = Battery.at_percent(self.params["BATT_CAPACITY"], self.battery_percent)
        self.gimbal = Gimbal()
        self.body.state.yaw = wrap_pi(math.radians(self.initial_heading_deg))
        self.executor.first_index = 1 if self.flavour is Flavour.ARDUPILOT else 0
        if self.flavour is Flavour.PX4:
            self.mode = Mode.LOITER
        self.apply_params()

    # ---- parameters and conversions
    def apply_params(self) -> None:
        """Push parameter values into the airframe, wind, gimbal and battery models."""
        p = self.params
        self.body.limits = Limits(
            accel_mps2=p["WPNAV_ACCEL"] / 100.0, accel_z_mps2=max(p["WPNAV_ACCEL_Z"] / 100.0, 0.5) * 2.0,
            climb_mps=p["WPNAV_SPEED_UP"] / 100.0, descent_mps=max(p["WPNAV_SPEED_DN"], p["LAND_SPEED"]) / 100.0,
            max_tilt_rad=math.radians(p["ANGLE_MAX"] / 100.0), yaw_rate_rps=math.radians(p["ATC_RATE_Y_MAX"]))
        self.wind.speed_mps, self.wind.from_deg, self.wind.gust_sigma_mps = (
            p["SIM_WIND_SPD"], p["SIM_WIND_DIR"], p["SIM_WIND_TURB"])
        self.gimbal.pitch_min_deg, self.gimbal.pitch_max_deg = p["MNT1_PITCH_MIN"], p["MNT1_PITCH_MAX"]
        self.gps.disabled = bool(p["SIM_GPS_DISABLE"])
        self.battery.capacity_mah = max(p["BATT_CAPACITY"], 1.0)

    def param(self, name: str) -> float:
        """A parameter value (ExecutorHost)."""
        return self.params[name]

    @property
    def state(self):
        """The true body state (ExecutorHost)."""
        return self.body.state

    def home_u(self) -> float:
        """Local height of home (ground level when home is not set yet)."""
        return self.home.u if self.home else 0.0

    def alt_rel(self) -> float:
        """True height above home, m."""
        return self.body.state.u - self.home_u()

    def item_enu(self, item: MissionItem) -> tuple[float, float, float]:
        """Where a global-frame item points, in ENU (lat/lon 0 = here; relative/terrain alt over home)."""
        s = self.body.state
        if item.has_position:
            e, n, _ = self.frame.to_enu(item.lat, item.lon, self.frame.alt)
            e, n = float(e), float(n)
        else:
            e, n = s.e, s.n
        if item.frame in ABSOLUTE_FRAMES:
            u = item.z - self.frame.alt
        elif item.z == 0 and item.command != mavlink.MAV_CMD_NAV_LAND:
            u = s.u
        else:
            u = self.home_u() + item.z
        return e, n, u

    def global_to_enu(self, lat: float, lon: float, alt_amsl: float) -> tuple[float, float, float]:
        """WGS84 + AMSL -> local ENU."""
        e, n, u = self.frame.to_enu(lat, lon, alt_amsl)
        return float(e), float(n), float(u)

    def enu_to_global(self, e: float, n: float, u: float) -> tuple[float, float, float]:
        """Local ENU -> (lat, lon, alt AMSL)."""
        lat, lon, alt = self.frame.to_wgs84(e, n, u)
        return float(lat), float(lon), float(alt)

    # ---- status
    @property
    def landed(self) -> bool:
        """On the ground (motors may be spinning)."""
        return self.body.state.on_ground

    @property
    def position_ok(self) -> bool:
        """The estimator has a usable position (3D GPS fix)."""
        return self.gps.has_3d_fix

    def cruise_speed(self) -> float:
        """Horizontal speed for the current mode, m/s."""
        if self.mode is Mode.RTL and self.params["RTL_SPEED"] > 0:
            return self.params["RTL_SPEED"] / 100.0
        return self.speed_override.get(1, self.params["WPNAV_SPEED"] / 100.0)

    def statustext(self, text: str, severity: int = SEV.MAV_SEVERITY_INFO) -> None:
        """Announce a STATUSTEXT (ExecutorHost)."""
        self.events.statustext(text, severity)

    # ---- actions (each returns None on success or the refusal text)
    def arm(self, force: bool = False) -> str | None:
        """Arm the motors after the pre-arm checks ArduPilot would run."""
        if self.armed:
            return None
        if not force:
            if not self.position_ok:
                return "PreArm: Need 3D Fix"
            if self.mode not in ARMABLE_MODES and not (self.mode is Mode.AUTO and int(self.params["AUTO_OPTIONS"]) & 1) \
                    and not (self.flavour is Flavour.PX4 and self.mode in (Mode.AUTO, Mode.LOITER, Mode.GUIDED)):
                return "Arm: Mode not armable"
            if self.battery.voltage < self.params["BATT_CRT_VOLT"]:
                return "PreArm: Battery below critical voltage"
            if self.fence_breach_now is not None and self.fence_breach_now():
                return "PreArm: vehicle outside fence"
        self.armed = True
        self.ground_since = self.now
        self.landing = False
        self.set_home_here()
        self.statustext("Arming motors", SEV.MAV_SEVERITY_INFO)
        if self.mode is Mode.AUTO and self.flavour is Flavour.PX4:
            self.executor.start(self)
        return None

    def disarm(self, force: bool = False, reason: str = "") -> str | None:
        """Disarm; refused in flight unless forced (as Copter does for GCS disarms)."""
        if not self.armed:
            return None
        if not self.landed and not force:
            return "Disarm: vehicle is flying"
        self.armed = False
        self.taking_off = self.landing = False
        self.executor.stop()
        self.statustext("Disarming motors" + (f" ({reason})" if reason else ""), SEV.MAV_SEVERITY_INFO)
        if self.flavour is Flavour.PX4 and self.mode in (Mode.RTL, Mode.LAND):
            self.mode = Mode.LOITER
        return None

    def set_home_here(self) -> None:
        """Home = the current estimated position (at arming, as ArduPilot does)."""
        s = self.body.state
        lat, lon, alt = self.enu_to_global(s.e, s.n, s.u)
        self.home = Home(lat, lon, alt, s.e, s.n, s.u)
        self.events.home_changed()

    def set_home(self, lat: float, lon: float, alt: float) -> None:
        """DO_SET_HOME with an explicit location."""
        e, n, u = self.global_to_enu(lat, lon, alt)
        self.home = Home(lat, lon, alt, e, n, u)
        self.events.home_changed()

    def set_mode(self, mode: Mode, reason: str = "") -> str | None:
        """Change mode with the checks Copter makes; None on success or the refusal text."""
        if mode in POSITION_MODES and not self.position_ok:
            return f"Mode change to {mode.name} failed: requires position"
        if mode is Mode.RTL and self.home is None:
            return "Mode change to RTL failed: home not set"
        if mode is Mode.AUTO and not self.executor.has_mission:
            return "Mode change to AUTO failed: no mission"
        previous = self.mode
        self.mode = mode
        self.rtl = None
        self.yaw_hold = None
        if previous is Mode.AUTO and mode is not Mode.AUTO:
            self.executor.stop()
        s = self.body.state
        if mode in (Mode.LOITER, Mode.BRAKE, Mode.GUIDED, Mode.STABILIZE):
            self.target = Hold(s.e, s.n, s.u) if not self.landed else None
            if not self.taking_off:
                self.landing = False
        elif mode is Mode.LAND:
            self.target = Descend(s.e, s.n, 0.0)
            self.taking_off, self.landing = False, True
        elif mode is Mode.RTL:
            self.taking_off = False
            self.start_rtl()
        elif mode is Mode.AUTO:
            self.taking_off = False
            self.target = None
            if self.armed and (not self.landed or self.flavour is Flavour.PX4):
                self.executor.start(self)
        if previous is not mode:
            self.statustext(f"Mode {mode_name(self.flavour, mode)}" + (f" ({reason})" if reason else ""),
                            SEV.MAV_SEVERITY_INFO)
        return None

    def takeoff(self, alt_rel_m: float) -> str | None:
        """User takeoff (GUIDED / PX4 hold): climb to alt_rel_m above home."""
        if not self.armed:
            return "Takeoff: vehicle not armed"
        if not self.landed:
            return "Takeoff: already flying"
        if self.mode not in (Mode.GUIDED, Mode.LOITER) or (self.mode is Mode.LOITER and self.flavour is Flavour.ARDUPILOT):
            return f"Takeoff: not supported in {self.mode.name}"
        if not alt_rel_m > 0:
            return "Takeoff: altitude must be positive"
        s = self.body.state
        self.target = GoTo(s.e, s.n, self.home_u() + alt_rel_m)
        self.taking_off = True
        self.statustext(f"Takeoff to {alt_rel_m:.1f} m", SEV.MAV_SEVERITY_INFO)
        return None

    def start_mission(self, first: int | None = None) -> str | None:
        """MISSION_START: AUTO from the current (or given) item; a landed, armed vehicle takes off."""
        if not self.executor.has_mission:
            return "Mission start failed: no mission"
        if self.mode is not Mode.AUTO:
            refused = self.set_mode(Mode.AUTO)
            if refused:
                return refused
        if not self.armed:
            return "Mission start failed: not armed"
        self.executor.start(self, first if first else None)
        return None

    def goto(self, e: float, n: float, u: float, speed_mps: float | None = None) -> None:
        """Guided / reposition target."""
        self.target = GoTo(e, n, u, speed_mps)
        self.taking_off = False

    def set_velocity(self, ve: float, vn: float, vu: float) -> None:
        """Guided velocity command."""
        self.target = VelocityCmd(ve, vn, vu)

    def set_speed(self, kind: int, mps: float) -> None:
        """DO_CHANGE_SPEED: kind 0/1 horizontal, 2 climb, 3 descent; -2 restores the default."""
        kind = 1 if kind in (0, 1) else kind
        if mps == -2:
            self.speed_override.pop(kind, None)
        elif mps > 0:
            self.speed_override[kind] = float(mps)
            self.statustext(f"Speed changed to {mps:.1f} m/s", SEV.MAV_SEVERITY_INFO)

    def set_roi(self, item: MissionItem | tuple[float, float, float] | None) -> None:
        """Point the gimbal (and the nose) at a location; None returns it to the commanded pitch."""
        if item is None:
            self.roi = None
            return
        if isinstance(item, MissionItem):
            self.roi = self.item_enu(item)
        else:
            self.roi = self.global_to_enu(*item)

    def gimbal_pitch(self, pitch_deg: float) -> None:
        """Manual gimbal pitch (drops any ROI, as a GCS pitch command does)."""
        self.roi = None
        self.gimbal.command_pitch(pitch_deg)

    def set_yaw_hold(self, yaw_rad: float | None) -> None:
        """CONDITION_YAW: hold a heading."""
        self.yaw_hold = None if yaw_rad is None else wrap_pi(yaw_rad)

    def on_current(self, seq: int) -> None:
        """Mission progressed (ExecutorHost)."""
        self.events.mission_current(seq)

    def on_reached(self, seq: int) -> None:
        """Mission item reached (ExecutorHost)."""
        self.events.item_reached(seq)

    # ---- RTL
    def start_rtl(self) -> None:
        """Begin RTL toward the closest rally point (or home)."""
        rally = []
        for it in self.store.items[RALLY]:
            e, n, _ = self.frame.to_enu(it.lat, it.lon, self.frame.alt)
            rally.append((float(e), float(n)))
        self.rtl = plan_rtl(self.body.state, self.home, rally, self.params)
        self.landing = False

    def _rtl_target(self) -> NavTarget:
        """The RTL target for this step (flags landing once descending)."""
        target = rtl_target(self.rtl, self.body.state, self.now, self.params, self.home_u())
        if isinstance(target, Descend):
            self.landing = True
        return target

    # ---- per step
    def step(self, dt: float) -> None:
        """Advance sensors, guidance and the airframe by one physics step."""
        self.now += dt
        self.gps.step(self.now, dt)
        if self.home is None and self.gps.has_3d_fix:
            self.set_home_here()  # first fix sets home; arming sets it again
        self._drift(dt)
        wind = self.wind.step(dt)
        target = self._current_target()
        s = self.body.state
        if isinstance(target, Descend):
            low = self.alt_rel() < self.params["LAND_ALT_LOW"] / 100.0
            target.speed_mps = (self.params["LAND_SPEED"] if low else self.params["WPNAV_SPEED_DN"]) / 100.0
        climb = self.speed_override.get(2, self.params["WPNAV_SPEED_UP"] / 100.0)
        descent = max(self.speed_override.get(3, self.params["WPNAV_SPEED_DN"] / 100.0), self.params["LAND_SPEED"] / 100.0)
        if target is None:
            v_des, yaw_des = (0.0, 0.0, 0.0), None
        else:
            v_des, yaw_des, _ = velocity_for(s, target, self.cruise_speed(), climb, descent, self.body.limits.accel_mps2)
        yaw_des = self._yaw_policy(yaw_des)
        motors_on = self.armed
        was_flying = not s.on_ground
        self.body.step(dt, v_des, yaw_des, wind, motors_on)
        self.battery.step(dt, s.thrust_ratio)
        self.gimbal.step(dt)
        self._after_step(was_flying)

    def _current_target(self) -> NavTarget | None:
        """Target of the current mode (AUTO from the executor, RTL from its phases, else the guided target)."""
        if not self.armed:
            return None
        if self.mode is Mode.AUTO:
            t = self.executor.update(self)
            if t is RUN_RTL:
                if self.rtl is None:
                    self.start_rtl()
                return self._rtl_target()
            if isinstance(t, Descend):
                self.landing = True
            return t
        if self.mode is Mode.RTL:
            if self.rtl is None:
                self.start_rtl()
            return self._rtl_target()
        if self.taking_off and isinstance(self.target, GoTo) and self.body.state.u >= self.target.u - 0.3:
            self.taking_off = False
            self.target = Hold(self.target.e, self.target.n, self.target.u)
        return self.target

    def _yaw_policy(self, yaw_track: float | None) -> float | None:
        """Heading to hold: ROI, CONDITION_YAW, guided yaw, or along track per WP_YAW_BEHAVIOR."""
        s = self.body.state
        if self.roi is not None:
            de, dn, du = self.roi[0] - s.e, self.roi[1] - s.n, self.roi[2] - s.u
            bearing = self.gimbal.point_at(de, dn, du)
            return bearing if math.hypot(de, dn) > 1.0 else None
        if self.yaw_hold is not None:
            return self.yaw_hold
        if self.mode is Mode.GUIDED and self.guided_yaw is not None:
            return self.guided_yaw
        behaviour = int(self.params["WP_YAW_BEHAVIOR"])
        if behaviour == 0 or (behaviour == 2 and (self.mode is Mode.RTL or self.rtl is not None)):
            return None
        return yaw_track

    def _after_step(self, was_flying: bool) -> None:
        """Touchdown while landing disarms; armed on the ground too long auto-disarms."""
        s = self.body.state
        if not self.armed:
            return
        if not s.on_ground:
            self.ground_since = self.now
            return
        if was_flying and self.landing:
            self.statustext("Landed", SEV.MAV_SEVERITY_INFO)
            if self.mode is Mode.AUTO:
                self.executor.landing_done(self)
            self.rtl = None
            self.disarm(reason="landed")
            return
        delay = self.params["DISARM_DELAY"]
        if delay > 0 and not self.taking_off and not (self.mode is Mode.AUTO and self.executor.running) \
                and self.now - self.ground_since > delay:
            self.disarm(reason="auto disarm")

    # ---- estimator output (noisy, what telemetry reports)
    def _drift(self, dt: float) -> None:
        """Dead-reckoning error: a random walk while the GPS is lost, reset when the fix returns."""
        if self.gps.has_3d_fix:
            self.est_drift = [0.0, 0.0, 0.0]
            return
        k = 0.3 * math.sqrt(dt)
        for i in range(3):
            self.est_drift[i] += self.rng.gauss(0.0, k)

    def estimate_enu(self) -> tuple[float, float, float]:
        """Estimated position: truth + GPS error (+ drift while the GPS is lost)."""
        s, err, d = self.body.state, self.gps.err, self.est_drift
        return s.e + 0.5 * err[0] + d[0], s.n + 0.5 * err[1] + d[1], s.u + 0.3 * err[2] + d[2]
