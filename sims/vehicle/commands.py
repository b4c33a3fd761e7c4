"""COMMAND_LONG / COMMAND_INT handling: each supported MAV_CMD mapped to an autopilot action, answered with MAV_RESULT."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from .modes import Flavour, Mode, decode_custom_mode
from .telemetry import BUILDERS

if TYPE_CHECKING:
    from .links import Link
    from .vehicle import SimVehicle

M = mavlink
ACCEPTED, FAILED, DENIED = M.MAV_RESULT_ACCEPTED, M.MAV_RESULT_FAILED, M.MAV_RESULT_DENIED
UNSUPPORTED, TEMP_REJECTED = M.MAV_RESULT_UNSUPPORTED, M.MAV_RESULT_TEMPORARILY_REJECTED
FORCE_MAGIC = 21196


def as_int(value: float, default: int = 0) -> int:
    """int() of a command parameter; NaN (\"unused\" in MAVLink) and infinities give `default`."""
    return int(value) if math.isfinite(value) else default


@dataclass
class Cmd:
    """A command normalised from COMMAND_LONG or COMMAND_INT (lat/lon in degrees, alt as sent)."""

    command: int
    p: tuple[float, float, float, float]
    lat: float
    lon: float
    alt: float
    frame: int
    is_int: bool

    @classmethod
    def from_msg(cls, msg) -> "Cmd":
        """Normalise COMMAND_LONG (param5-7) or COMMAND_INT (x, y in degE7 for global frames, z)."""
        if msg.get_type() == "COMMAND_INT":
            scale = 1e7 if msg.frame in (M.MAV_FRAME_GLOBAL_INT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                                         M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
                                         M.MAV_FRAME_GLOBAL_TERRAIN_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT) else 1.0
            return cls(msg.command, (msg.param1, msg.param2, msg.param3, msg.param4), msg.x / scale, msg.y / scale,
                       msg.z, msg.frame, True)
        return cls(msg.command, (msg.param1, msg.param2, msg.param3, msg.param4), msg.param5, msg.param6, msg.param7,
                   M.MAV_FRAME_GLOBAL_RELATIVE_ALT, False)


class CommandHandler:
    """Executes commands on a SimVehicle and tells the caller the MAV_RESULT; refusals also go out as STATUSTEXT."""

    def __init__(self, vehicle: "SimVehicle") -> None:
        self.v = vehicle
        self.table = {
            M.MAV_CMD_COMPONENT_ARM_DISARM: self.arm_disarm,
            M.MAV_CMD_NAV_TAKEOFF: self.takeoff,
            M.MAV_CMD_DO_SET_MODE: self.do_set_mode,
            M.MAV_CMD_NAV_RETURN_TO_LAUNCH: lambda c, link: self._mode(Mode.RTL),
            M.MAV_CMD_NAV_LAND: lambda c, link: self._mode(Mode.LAND),
            M.MAV_CMD_NAV_LOITER_UNLIM: lambda c, link: self._mode(Mode.LOITER),
            M.MAV_CMD_MISSION_START: self.mission_start,
            M.MAV_CMD_DO_REPOSITION: self.reposition,
            M.MAV_CMD_DO_CHANGE_SPEED: self.change_speed,
            M.MAV_CMD_DO_SET_ROI_LOCATION: self.roi_location,
            M.MAV_CMD_DO_SET_ROI_NONE: self.roi_none,
            M.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW: self.gimbal_pitchyaw,
            M.MAV_CMD_DO_MOUNT_CONTROL: self.mount_control,
            M.MAV_CMD_SET_MESSAGE_INTERVAL: self.set_message_interval,
            M.MAV_CMD_GET_MESSAGE_INTERVAL: self.get_message_interval,
            M.MAV_CMD_REQUEST_MESSAGE: self.request_message,
            M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: lambda c, link: self._send_one(link, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION),
            M.MAV_CMD_GET_HOME_POSITION: lambda c, link: self._send_one(link, M.MAVLINK_MSG_ID_HOME_POSITION),
            M.MAV_CMD_DO_SET_MISSION_CURRENT: self.set_mission_current,
            M.MAV_CMD_DO_SET_HOME: self.set_home,
            M.MAV_CMD_DO_FENCE_ENABLE: self.fence_enable,
            M.MAV_CMD_CONDITION_YAW: self.condition_yaw,
            M.MAV_CMD_DO_PAUSE_CONTINUE: self.pause_continue,
        }

    def handle(self, link: "Link", msg) -> None:
        """Run a COMMAND_LONG/COMMAND_INT and send COMMAND_ACK to the sender."""
        cmd = Cmd.from_msg(msg)
        fn = self.table.get(cmd.command)
        result = UNSUPPORTED if fn is None else fn(cmd, link)
        link.send(M.MAVLink_command_ack_message(cmd.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()))

    def _refuse(self, text: str, result: int = FAILED) -> int:
        """Announce a refusal as a CRITICAL STATUSTEXT and return its MAV_RESULT."""
        self.v.statustext(text, M.MAV_SEVERITY_CRITICAL)
        return result

    def _mode(self, mode: Mode) -> int:
        """Change mode; refusals become FAILED + STATUSTEXT."""
        refused = self.v.autopilot.set_mode(mode, "GCS")
        return self._refuse(refused) if refused else ACCEPTED

    # ---- individual commands
    def arm_disarm(self, c: Cmd, link) -> int:
        """COMPONENT_ARM_DISARM: param1 1 arm / 0 disarm, param2 21196 forces."""
        ap, force = self.v.autopilot, as_int(c.p[1]) == FORCE_MAGIC
        refused = ap.arm(force) if (math.isfinite(c.p[0]) and c.p[0] >= 0.5) else ap.disarm(force)
        return self._refuse(refused) if refused else ACCEPTED

    def takeoff(self, c: Cmd, link) -> int:
        """NAV_TAKEOFF: param7 altitude (ArduPilot above home; PX4 AMSL, NaN = MIS_TAKEOFF_ALT)."""
        ap = self.v.autopilot
        alt = c.alt
        if self.v.flavour is Flavour.PX4:  # PX4: param7 is AMSL, NaN means MIS_TAKEOFF_ALT
            alt = (alt - ap.home.alt) if (math.isfinite(alt) and ap.home) else ap.params["MIS_TAKEOFF_ALT"]
            if ap.mode not in (Mode.LOITER, Mode.GUIDED) and ap.armed and ap.landed:
                ap.set_mode(Mode.LOITER, "takeoff")
        refused = ap.takeoff(alt)
        return self._refuse(refused) if refused else ACCEPTED

    def do_set_mode(self, c: Cmd, link) -> int:
        """DO_SET_MODE: param1 base mode with the custom flag, param2 custom (PX4: main) mode, param3 PX4 sub mode."""
        if not as_int(c.p[0]) & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            return self._refuse("Mode change failed: custom mode flag not set", DENIED)
        sub = as_int(c.p[2]) if self.v.flavour is Flavour.PX4 else None
        mode = decode_custom_mode(self.v.flavour, as_int(c.p[1]), sub)
        if mode is None:
            return self._refuse(f"Mode change failed: unknown mode {as_int(c.p[1])}", UNSUPPORTED)
        return self._mode(mode)

    def set_mode_message(self, link, msg) -> None:
        """SET_MODE (deprecated message): acknowledged as DO_SET_MODE, as ArduPilot does."""
        mode = decode_custom_mode(self.v.flavour, msg.custom_mode)
        if mode is None:
            result = self._refuse(f"Mode change failed: unknown mode {msg.custom_mode}", UNSUPPORTED)
        else:
            result = self._mode(mode)
        link.send(M.MAVLink_command_ack_message(M.MAV_CMD_DO_SET_MODE, result, 0, 0, msg.get_srcSystem(),
                                                msg.get_srcComponent()))

    def mission_start(self, c: Cmd, link) -> int:
        """MISSION_START: AUTO from param1 (0 = resume/current)."""
        first = as_int(c.p[0]) if as_int(c.p[0]) > 0 else None
        refused = self.v.autopilot.start_mission(first)
        return self._refuse(refused) if refused else ACCEPTED

    def _alt_to_u(self, alt: float, frame: int) -> float:
        """A command altitude in its frame -> local height (NaN keeps the current height)."""
        ap = self.v.autopilot
        if not math.isfinite(alt):
            return ap.body.state.u
        if frame in (M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_INT):
            return alt - ap.frame.alt
        return ap.home_u() + alt

    def reposition(self, c: Cmd, link) -> int:
        """DO_REPOSITION: go to lat/lon/alt at param1 speed, param4 yaw (GUIDED, or PX4 Hold)."""
        ap = self.v.autopilot
        if ap.landed or not ap.armed:
            return self._refuse("Reposition: vehicle not flying", TEMP_REJECTED)
        change_mode = as_int(c.p[1]) & 1 or self.v.flavour is Flavour.PX4
        want = Mode.LOITER if self.v.flavour is Flavour.PX4 else Mode.GUIDED
        if ap.mode is not want:
            if not change_mode:
                return self._refuse("Reposition: requires GUIDED mode", DENIED)
            refused = ap.set_mode(want, "reposition")
            if refused:
                return self._refuse(refused)
        s = ap.body.state
        if math.isfinite(c.lat) and math.isfinite(c.lon) and (c.lat or c.lon):
            e, n, _ = ap.global_to_enu(c.lat, c.lon, ap.frame.alt)
        else:
            e, n = s.e, s.n
        ap.goto(e, n, self._alt_to_u(c.alt, c.frame), c.p[0] if math.isfinite(c.p[0]) and c.p[0] > 0 else None)
        if math.isfinite(c.p[3]):
            ap.guided_yaw = math.radians(c.p[3])
        return ACCEPTED

    def change_speed(self, c: Cmd, link) -> int:
        """DO_CHANGE_SPEED: param1 type, param2 m/s (-1 unchanged, -2 default)."""
        if c.p[1] == -1 or not math.isfinite(c.p[1]):
            return ACCEPTED
        if not (c.p[1] > 0 or c.p[1] == -2):
            return self._refuse("Change speed: invalid speed", DENIED)
        self.v.autopilot.set_speed(as_int(c.p[0]), c.p[1])
        return ACCEPTED

    def roi_location(self, c: Cmd, link) -> int:
        """DO_SET_ROI_LOCATION: point gimbal and nose at lat/lon/alt."""
        ap = self.v.autopilot
        if not (math.isfinite(c.lat) and math.isfinite(c.lon)):
            return DENIED
        alt_amsl = ap.frame.alt + self._alt_to_u(c.alt if math.isfinite(c.alt) else 0.0, c.frame)
        ap.set_roi((c.lat, c.lon, alt_amsl))
        return ACCEPTED

    def roi_none(self, c: Cmd, link) -> int:
        """DO_SET_ROI_NONE: stop pointing at a region of interest."""
        self.v.autopilot.set_roi(None)
        return ACCEPTED

    def gimbal_pitchyaw(self, c: Cmd, link) -> int:
        """DO_GIMBAL_MANAGER_PITCHYAW: param1 pitch deg (yaw ignored: 2-axis gimbal)."""
        pitch = c.p[0]
        if math.isfinite(pitch):
            self.v.autopilot.gimbal_pitch(pitch)
        return ACCEPTED

    def mount_control(self, c: Cmd, link) -> int:
        """DO_MOUNT_CONTROL (legacy): param1 pitch deg."""
        if math.isfinite(c.p[0]):
            self.v.autopilot.gimbal_pitch(c.p[0])
        return ACCEPTED

    def set_message_interval(self, c: Cmd, link) -> int:
        """SET_MESSAGE_INTERVAL on the asking link: param1 message id, param2 us (-1 off, 0 default)."""
        ok = link.streams.set_interval_us(as_int(c.p[0]), c.p[1] if math.isfinite(c.p[1]) else 0.0, self.v.clock.now)
        if not ok and as_int(c.p[0]) == M.MAVLINK_MSG_ID_HEARTBEAT:
            return ACCEPTED
        return ACCEPTED if ok else FAILED

    def get_message_interval(self, c: Cmd, link) -> int:
        """GET_MESSAGE_INTERVAL: answer MESSAGE_INTERVAL for param1."""
        link.send(M.MAVLink_message_interval_message(as_int(c.p[0]), link.streams.interval_us(as_int(c.p[0]))))
        return ACCEPTED

    def _send_one(self, link, msg_id: int) -> int:
        """Send one message now (REQUEST_MESSAGE and friends)."""
        builder = BUILDERS.get(msg_id)
        if builder is None:
            return UNSUPPORTED
        msg = builder(self.v)
        if msg is None:
            return FAILED
        link.send(msg)
        return ACCEPTED

    def request_message(self, c: Cmd, link) -> int:
        """REQUEST_MESSAGE: param1 message id."""
        msg_id = as_int(c.p[0])
        if msg_id == M.MAVLINK_MSG_ID_MISSION_ITEM_REACHED or msg_id in link.streams.exclude:
            return UNSUPPORTED
        return self._send_one(link, msg_id)

    def set_mission_current(self, c: Cmd, link) -> int:
        """DO_SET_MISSION_CURRENT: param1 sequence number."""
        return ACCEPTED if self.v.set_mission_current(as_int(c.p[0])) else FAILED

    def set_home(self, c: Cmd, link) -> int:
        """DO_SET_HOME: param1 1 = here, else the given location."""
        ap = self.v.autopilot
        if (math.isfinite(c.p[0]) and c.p[0] >= 0.5):
            if not ap.position_ok:
                return self._refuse("Set home: no position", FAILED)
            ap.set_home_here()
        else:
            if not (math.isfinite(c.lat) and math.isfinite(c.lon) and (c.lat or c.lon)):
                return DENIED
            ap.set_home(c.lat, c.lon, c.alt)
        return ACCEPTED

    def fence_enable(self, c: Cmd, link) -> int:
        """DO_FENCE_ENABLE: param1 1 on, 0 off (sets FENCE_ENABLE)."""
        self.v.autopilot.params.set("FENCE_ENABLE", 1.0 if (math.isfinite(c.p[0]) and c.p[0] >= 0.5) else 0.0)
        return ACCEPTED

    def condition_yaw(self, c: Cmd, link) -> int:
        """CONDITION_YAW: param1 angle deg, param3 direction, param4 1 = relative."""
        ap = self.v.autopilot
        yaw = math.radians(c.p[0])
        if as_int(c.p[3]):
            yaw = ap.body.state.yaw + (yaw if c.p[2] >= 0 else -yaw)
        ap.set_yaw_hold(yaw)
        return ACCEPTED

    def pause_continue(self, c: Cmd, link) -> int:
        """DO_PAUSE_CONTINUE in AUTO: 0 hovers, 1 resumes."""
        ap = self.v.autopilot
        if ap.mode is not Mode.AUTO:
            return FAILED
        if not (math.isfinite(c.p[0]) and c.p[0] >= 0.5):
            ap.executor.stop()  # hovers in AUTO until continued
            return ACCEPTED
        return ACCEPTED if ap.executor.start(ap) else FAILED
