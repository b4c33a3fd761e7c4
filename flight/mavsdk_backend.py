"""A PX4 backend through MAVSDK (mavsdk==4.1.0, the native ctypes binding) behind `VehicleBackend`.

mavsdk 4.x ships `mavsdk.asyncio.Mavsdk` whose coroutines only run the blocking calls of
`mavsdk.Mavsdk` and its plugins in an executor; the controller is thread-based, so this backend calls
the blocking API directly and turns telemetry callbacks into the same `VehicleState` snapshots.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import replace

from flight.commands import CommandError, CommandFailed, CommandTimeout, CommandUnsupported
from flight.connection import parse_connection
from flight.link import LinkQuality
from flight.mission import MissionItem, MissionType
from flight.mission_protocol import MissionError, TransferResult
from flight.modes import Flavour, Intent
from flight.state import Battery, Gps, Home, MissionProgress, Position, StatusText, VehicleState

log = logging.getLogger("flight.mavsdk")

#: MAVSDK flight modes named like PX4's own modes (as the pymavlink backend names them).
_PX4_NAMES = {"READY": "AUTO.READY", "TAKEOFF": "AUTO.TAKEOFF", "HOLD": "AUTO.LOITER", "MISSION": "AUTO.MISSION",
              "RETURN_TO_LAUNCH": "AUTO.RTL", "LAND": "AUTO.LAND", "OFFBOARD": "OFFBOARD", "FOLLOW_ME": "AUTO.FOLLOW_TARGET",
              "MANUAL": "MANUAL", "ALTCTL": "ALTCTL", "POSCTL": "POSCTL", "ACRO": "ACRO", "STABILIZED": "STABILIZED",
              "RATTITUDE": "RATTITUDE", "UNKNOWN": "UNKNOWN"}
_LANDED = {"ON_GROUND": "ON_GROUND", "IN_AIR": "IN_AIR", "TAKING_OFF": "TAKEOFF", "LANDING": "LANDING"}
_FIX = {"NO_GPS": 0, "NO_FIX": 1, "FIX_2D": 2, "FIX_3D": 3, "FIX_DGPS": 4, "RTK_FLOAT": 5, "RTK_FIXED": 6}


def _to_python_logging(level, message: str, file, line) -> bool:
    """MAVSDK's C++ log lines go to the `flight.mavsdk` logger instead of stdout."""
    log.log({0: logging.DEBUG, 1: logging.INFO, 2: logging.WARNING, 3: logging.ERROR}.get(int(level), logging.INFO),
            "%s", message)
    return True


def mavsdk_url(connection: str) -> str:
    """A MAVSDK connection URL from a MAVLink-tools connection string (tcp:h:p -> tcpout://h:p, ...)."""
    spec = parse_connection(connection)
    if spec.kind == "serial":
        return f"serial://{spec.device}:{spec.baud}"
    scheme = {"tcp": "tcpout", "tcpin": "tcpin", "udpin": "udpin", "udpout": "udpout"}[spec.kind]
    return f"{scheme}://{spec.host}:{spec.port}"


def _action_error(exc: Exception, command: int) -> CommandError:
    """An ActionError/MissionRawError as the typed CommandError the controller understands."""
    name = getattr(getattr(exc, "_result", None), "name", None) or str(getattr(exc, "result", exc))
    text = f"MAVSDK {name}"
    if "UNSUPPORTED" in text:
        return CommandUnsupported(command, 3, text)
    if "TIMEOUT" in text or "CONNECTION" in text or "NO_SYSTEM" in text:
        return CommandTimeout(command, None, text)
    return CommandFailed(command, 4, text)


class MavsdkBackend:
    """PX4 through MAVSDK: Action for modes/arming/goto, MissionRaw for items, Telemetry callbacks for state."""

    name = "mavsdk"

    def __init__(self, connection: str) -> None:
        self.connection = connection
        self.url = mavsdk_url(connection)
        self._lock = threading.Condition()
        self._state = VehicleState(flavour=Flavour.PX4)
        self._mavsdk = None
        self._system = None
        self._plugins: dict = {}

    # -- lifecycle ------------------------------------------------------------------------------
    def connect(self, timeout_s: float = 30.0) -> None:
        import mavsdk
        from mavsdk.plugins.action import Action
        from mavsdk.plugins.gimbal import Gimbal
        from mavsdk.plugins.mission_raw import MissionRaw
        from mavsdk.plugins.telemetry import Telemetry

        mavsdk.log_subscribe(_to_python_logging)
        config = mavsdk.Configuration.create_with_component_type(mavsdk.ComponentType.GROUND_STATION)
        self._mavsdk = mavsdk.Mavsdk(config)
        result = self._mavsdk.add_any_connection(self.url)
        if getattr(result, "name", "SUCCESS") != "SUCCESS":
            raise OSError(f"MAVSDK could not open {self.url}: {result}")
        self._system = self._mavsdk.first_autopilot(timeout_s)
        if self._system is None:
            raise TimeoutError(f"MAVSDK found no autopilot on {self.url} within {timeout_s:.0f} s")
        self._plugins = {"action": Action(self._system), "mission": MissionRaw(self._system),
                         "telemetry": Telemetry(self._system), "gimbal": Gimbal(self._system)}
        with self._lock:
            self._state = replace(self._state, system_id=self._system.get_system_id())
        self._subscribe()
        if self.wait_state(lambda s: s.position.valid, timeout_s) is None:
            raise TimeoutError(f"MAVSDK: no position from the vehicle on {self.url}")

    def close(self) -> None:
        for plugin in self._plugins.values():
            try:
                plugin.destroy()
            except Exception:  # noqa: BLE001
                pass
        self._plugins = {}
        if self._mavsdk is not None:
            self._mavsdk.destroy()
            self._mavsdk = None

    # -- telemetry -> VehicleState --------------------------------------------------------------
    def _update(self, **changes) -> None:
        with self._lock:
            now = time.monotonic()
            if "mode" in changes and changes["mode"] != self._state.mode:
                changes["mode_changed_at"] = now
            self._state = replace(self._state, updated_at=now, **changes)
            self._lock.notify_all()

    def _subscribe(self) -> None:
        t = self._plugins["telemetry"]
        m = self._plugins["mission"]

        def position(p, _ud=None):
            old = self._state.position
            self._update(position=Position(p.latitude_deg, p.longitude_deg, p.absolute_altitude_m,
                                            p.relative_altitude_m, old.vn_mps, old.ve_mps, old.vd_mps,
                                            old.heading_deg, 0, time.monotonic()))

        def velocity(v, _ud=None):
            self._update(position=replace(self._state.position, vn_mps=v.north_m_s, ve_mps=v.east_m_s, vd_mps=v.down_m_s))

        def home(h, _ud=None):
            self._update(home=Home(h.latitude_deg, h.longitude_deg, h.absolute_altitude_m))

        def armed(a, _ud=None):
            self._update(armed=bool(a), heartbeat_at=time.monotonic())

        def mode(fm, _ud=None):
            self._update(mode=_PX4_NAMES.get(fm.name, fm.name))

        def gps(g, _ud=None):
            self._update(gps=Gps(_FIX.get(g.fix_type.name, 0), g.num_satellites))

        def battery(b, _ud=None):
            pct = b.remaining_percent
            self._update(battery=Battery(b.voltage_v, b.current_battery_a,
                                         int(round(pct)) if pct is not None and not math.isnan(pct) else -1))

        def health(h, _ud=None):
            ok = bool(h.is_global_position_ok and h.is_local_position_ok and h.is_home_position_ok)
            # expressed in the EKF flag form VehicleState.health.ekf_ok reads
            self._update(health=replace(self._state.health, ekf_flags=(1 | 2 | 16) if ok else 0))

        def landed(ls, _ud=None):
            self._update(landed_state=_LANDED.get(ls.name, "UNDEFINED"))

        def text(st, _ud=None):
            line = StatusText(0, st.text, time.monotonic())
            self._update(statustext=(self._state.statustext + (line,))[-200:])

        def progress(p, _ud=None):
            old = self._state.mission
            reached = max(-1, p.current - 1)
            self._update(mission=MissionProgress(p.current, p.total, reached,
                                                 old.reached_count + (1 if reached > old.reached_seq else 0)))

        t.subscribe_position(position)
        t.subscribe_velocity_ned(velocity)
        t.subscribe_home(home)
        t.subscribe_armed(armed)
        t.subscribe_flight_mode(mode)
        t.subscribe_gps_info(gps)
        t.subscribe_battery(battery)
        t.subscribe_health(health)
        t.subscribe_landed_state(landed)
        t.subscribe_status_text(text)
        m.subscribe_mission_progress(progress)

    def state(self) -> VehicleState:
        with self._lock:
            return self._state

    def wait_state(self, predicate, timeout_s):
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while not predicate(self._state):
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(min(left, 0.5))
            return self._state

    def link_up(self) -> bool:
        return bool(self._system is not None and self._system.is_connected())

    def link_quality(self) -> LinkQuality | None:
        return None

    def on_link_restored(self) -> None:
        """MAVSDK re-requests its own streams."""

    # -- missions -------------------------------------------------------------------------------
    def upload_items(self, items: list[MissionItem], mission_type: int) -> TransferResult:
        from mavsdk.plugins.mission_raw import MissionItem as RawItem, MissionRawError

        mr = self._plugins["mission"]
        raw = [RawItem(i, it.frame, it.command, 1 if i == 0 else 0, it.autocontinue, it.param1, it.param2,
                       it.param3, it.param4, int(it.x), int(it.y), float(it.z), int(mission_type))
               for i, it in enumerate(items)]
        started = time.monotonic()
        try:
            if mission_type == MissionType.FENCE:
                mr.upload_geofence(raw) if raw else None
            elif mission_type == MissionType.RALLY:
                mr.upload_rally_points(raw) if raw else None
            else:
                mr.upload_mission(raw)
        except MissionRawError as exc:
            raise MissionError(f"MAVSDK upload of {MissionType(mission_type).name.lower()} failed: {exc}") from exc
        return TransferResult(int(mission_type), len(items), time.monotonic() - started, 0)

    def mission_offset(self) -> int:
        return 0

    def set_current(self, vehicle_seq: int) -> None:
        self._call(lambda: self._plugins["mission"].set_current_mission_item(vehicle_seq), 224)

    # -- actions --------------------------------------------------------------------------------
    def _call(self, fn, command: int):
        from mavsdk.plugins.action import ActionError
        from mavsdk.plugins.gimbal import GimbalError
        from mavsdk.plugins.mission_raw import MissionRawError
        try:
            return fn()
        except (ActionError, MissionRawError, GimbalError) as exc:
            raise _action_error(exc, command) from exc

    def set_intent(self, intent: Intent) -> str:
        a = self._plugins["action"]
        if intent is Intent.MISSION:
            self._call(self._plugins["mission"].start_mission, 300)
            return "AUTO.MISSION"
        if intent in (Intent.HOLD, Intent.GUIDED):
            self._call(a.hold, 176)
            return "AUTO.LOITER"
        if intent is Intent.RTL:
            self._call(a.return_to_launch, 20)
            return "AUTO.RTL"
        if intent is Intent.LAND:
            self._call(a.land, 21)
            return "AUTO.LAND"
        if intent is Intent.TAKEOFF:
            self._call(a.takeoff, 22)
            return "AUTO.TAKEOFF"
        raise CommandUnsupported(176, 3, f"intent {intent.value}")

    def arm(self) -> None:
        self._call(self._plugins["action"].arm, 400)

    def disarm(self) -> None:
        self._call(self._plugins["action"].disarm, 400)

    def takeoff(self, alt_rel_m: float) -> None:
        a = self._plugins["action"]
        self._call(lambda: a.set_takeoff_altitude(alt_rel_m), 22)
        self._call(a.takeoff, 22)

    def goto(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        self._call(lambda: self._plugins["action"].goto_location(lat_deg, lon_deg, alt_amsl_m, math.nan), 192)

    def set_roi(self, lat_deg: float, lon_deg: float, alt_amsl_m: float) -> None:
        self._call(lambda: self._plugins["gimbal"].set_roi_location(0, lat_deg, lon_deg, alt_amsl_m), 195)

    def clear_roi(self) -> None:
        from mavsdk.plugins.gimbal import GimbalError
        try:
            self._plugins["gimbal"].release_control(0)
        except GimbalError:
            pass
