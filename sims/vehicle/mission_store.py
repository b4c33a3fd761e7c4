"""Stored mission / fence / rally items (as MISSION_ITEM_INT holds them) and validation on upload."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pymavlink.dialects.v20 import ardupilotmega as mavlink

MISSION, FENCE, RALLY = (mavlink.MAV_MISSION_TYPE_MISSION, mavlink.MAV_MISSION_TYPE_FENCE,
                         mavlink.MAV_MISSION_TYPE_RALLY)
ALL_TYPES = (MISSION, FENCE, RALLY)
MAX_ITEMS = {MISSION: 724, FENCE: 256, RALLY: 32}

GLOBAL_FRAMES = frozenset({
    mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT,
    mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT, mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
})
ABSOLUTE_FRAMES = frozenset({mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT})
INT_FRAMES = frozenset({mavlink.MAV_FRAME_GLOBAL_INT, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
                        mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT})
_FLOAT_FRAME_OF_INT = {mavlink.MAV_FRAME_GLOBAL_INT: mavlink.MAV_FRAME_GLOBAL,
                       mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT,
                       mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT}

C = mavlink
#: Navigation commands the executor flies (they need a global frame, except TAKEOFF/RTL/LAND positions may be 0).
NAV_COMMANDS = frozenset({C.MAV_CMD_NAV_WAYPOINT, C.MAV_CMD_NAV_TAKEOFF, C.MAV_CMD_NAV_LOITER_TIME,
                          C.MAV_CMD_NAV_LOITER_TURNS, C.MAV_CMD_NAV_LOITER_UNLIM, C.MAV_CMD_NAV_RETURN_TO_LAUNCH,
                          C.MAV_CMD_NAV_LAND, C.MAV_CMD_NAV_SPLINE_WAYPOINT, C.MAV_CMD_NAV_DELAY})
#: Commands executed immediately in sequence.
DO_COMMANDS = frozenset({C.MAV_CMD_DO_JUMP, C.MAV_CMD_DO_CHANGE_SPEED, C.MAV_CMD_DO_SET_ROI_LOCATION,
                         C.MAV_CMD_DO_SET_ROI_NONE, C.MAV_CMD_DO_SET_ROI, C.MAV_CMD_DO_GIMBAL_MANAGER_PITCHYAW,
                         C.MAV_CMD_DO_MOUNT_CONTROL, C.MAV_CMD_CONDITION_YAW, C.MAV_CMD_CONDITION_DELAY})
#: Accepted on upload and stored, but without effect in the simulator (camera, servo, relay, ...).
IGNORED_COMMANDS = frozenset({C.MAV_CMD_DO_SET_CAM_TRIGG_DIST, C.MAV_CMD_IMAGE_START_CAPTURE,
                              C.MAV_CMD_IMAGE_STOP_CAPTURE, C.MAV_CMD_DO_DIGICAM_CONTROL,
                              C.MAV_CMD_DO_DIGICAM_CONFIGURE, C.MAV_CMD_SET_CAMERA_MODE,
                              C.MAV_CMD_VIDEO_START_CAPTURE, C.MAV_CMD_VIDEO_STOP_CAPTURE, C.MAV_CMD_DO_SET_SERVO,
                              C.MAV_CMD_DO_SET_RELAY, C.MAV_CMD_DO_SET_CAM_TRIGG_INTERVAL, C.MAV_CMD_DO_SET_HOME,
                              C.MAV_CMD_DO_MOUNT_CONFIGURE, C.MAV_CMD_DO_GIMBAL_MANAGER_CONFIGURE,
                              C.MAV_CMD_DO_AUX_FUNCTION, C.MAV_CMD_DO_FENCE_ENABLE})
FENCE_COMMANDS = frozenset({C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION,
                            C.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, C.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION,
                            C.MAV_CMD_NAV_FENCE_RETURN_POINT})
RALLY_COMMANDS = frozenset({C.MAV_CMD_NAV_RALLY_POINT})


@dataclass(frozen=True)
class MissionItem:
    """One item in MISSION_ITEM_INT form: x/y are lat/lon in degE7 for global frames."""

    seq: int
    frame: int
    command: int
    current: int
    autocontinue: int
    param1: float
    param2: float
    param3: float
    param4: float
    x: int
    y: int
    z: float
    mission_type: int = MISSION

    @property
    def lat(self) -> float:
        """Latitude in degrees (global frames)."""
        return self.x / 1e7

    @property
    def lon(self) -> float:
        """Longitude in degrees (global frames)."""
        return self.y / 1e7

    @property
    def has_position(self) -> bool:
        """True when the item names a location (lat/lon both non-zero)."""
        return self.x != 0 or self.y != 0

    @classmethod
    def from_msg(cls, msg) -> "MissionItem":
        """From a MISSION_ITEM_INT or a MISSION_ITEM (float degrees are scaled to degE7)."""
        is_int = msg.get_type() == "MISSION_ITEM_INT"
        if is_int:
            x, y = int(msg.x), int(msg.y)
        elif msg.frame in GLOBAL_FRAMES:
            x, y = int(round(msg.x * 1e7)), int(round(msg.y * 1e7))
        else:
            x, y = int(round(msg.x * 1e4)), int(round(msg.y * 1e4))  # local frames: metres, kept as 1e-4 m
        return cls(msg.seq, msg.frame, msg.command, msg.current, msg.autocontinue, msg.param1, msg.param2,
                   msg.param3, msg.param4, x, y, float(msg.z), getattr(msg, "mission_type", MISSION))

    def with_seq(self, seq: int) -> "MissionItem":
        """Copy with another sequence number."""
        return replace(self, seq=seq)

    def to_int_msg(self, target_system: int, target_component: int):
        """As a MISSION_ITEM_INT message."""
        return mavlink.MAVLink_mission_item_int_message(
            target_system, target_component, self.seq, self.frame, self.command, self.current, self.autocontinue,
            self.param1, self.param2, self.param3, self.param4, self.x, self.y, self.z, self.mission_type)

    def to_float_msg(self, target_system: int, target_component: int):
        """As a (deprecated) MISSION_ITEM message, float degrees and the non-INT frame."""
        if self.frame in GLOBAL_FRAMES:
            x, y, frame = self.x / 1e7, self.y / 1e7, _FLOAT_FRAME_OF_INT.get(self.frame, self.frame)
        else:
            x, y, frame = self.x / 1e4, self.y / 1e4, self.frame
        return mavlink.MAVLink_mission_item_message(
            target_system, target_component, self.seq, frame, self.command, self.current, self.autocontinue,
            self.param1, self.param2, self.param3, self.param4, x, y, self.z, self.mission_type)


def validate_item(item: MissionItem) -> int:
    """MAV_MISSION_RESULT for one uploaded item: ACCEPTED or the precise error."""
    t = item.mission_type
    if t == MISSION:
        allowed = NAV_COMMANDS | DO_COMMANDS | IGNORED_COMMANDS
    elif t == FENCE:
        allowed = FENCE_COMMANDS
    elif t == RALLY:
        allowed = RALLY_COMMANDS
    else:
        return mavlink.MAV_MISSION_UNSUPPORTED
    if item.command not in allowed:
        return mavlink.MAV_MISSION_UNSUPPORTED
    positional = item.command in NAV_COMMANDS or item.command in FENCE_COMMANDS or item.command in RALLY_COMMANDS \
        or item.command in (C.MAV_CMD_DO_SET_ROI_LOCATION, C.MAV_CMD_DO_SET_ROI)
    if positional and item.command != C.MAV_CMD_NAV_DELAY:
        if item.frame not in GLOBAL_FRAMES and item.frame != mavlink.MAV_FRAME_MISSION:
            return mavlink.MAV_MISSION_UNSUPPORTED_FRAME
        if not -90e7 <= item.x <= 90e7:
            return mavlink.MAV_MISSION_INVALID_PARAM5_X
        if not -180e7 <= item.y <= 180e7:
            return mavlink.MAV_MISSION_INVALID_PARAM6_Y
        if not math.isfinite(item.z) or abs(item.z) > 20000.0:
            return mavlink.MAV_MISSION_INVALID_PARAM7
    for i, p in enumerate((item.param1, item.param2, item.param3, item.param4), 1):
        if math.isinf(p):
            return getattr(mavlink, f"MAV_MISSION_INVALID_PARAM{i}")
    if item.command in (C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
        if not item.param1 >= 3:
            return mavlink.MAV_MISSION_INVALID_PARAM1
    if item.command in (C.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION, C.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION):
        if not item.param1 > 0:
            return mavlink.MAV_MISSION_INVALID_PARAM1
    if item.command == C.MAV_CMD_DO_JUMP and not item.param1 >= 0:
        return mavlink.MAV_MISSION_INVALID_PARAM1
    return mavlink.MAV_MISSION_ACCEPTED


def validate_list(items: list[MissionItem]) -> int:
    """Whole-list checks after the last item arrived (fence polygons complete, jump targets exist)."""
    n = len(items)
    i = 0
    while i < n:
        it = items[i]
        if it.command in (C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, C.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION):
            count = int(it.param1)
            group = items[i:i + count]
            if len(group) != count or any(g.command != it.command or int(g.param1) != count for g in group):
                return mavlink.MAV_MISSION_INVALID_PARAM1
            i += count
            continue
        if it.command == C.MAV_CMD_DO_JUMP and int(it.param1) >= n:
            return mavlink.MAV_MISSION_INVALID_PARAM1
        i += 1
    return mavlink.MAV_MISSION_ACCEPTED


class MissionStore:
    """The three item lists a vehicle keeps, plus a change counter per type (for MISSION_CURRENT/reloads)."""

    def __init__(self) -> None:
        self.items: dict[int, list[MissionItem]] = {t: [] for t in ALL_TYPES}
        self.version: dict[int, int] = {t: 0 for t in ALL_TYPES}

    def replace(self, mission_type: int, items: list[MissionItem]) -> None:
        """Install a complete uploaded list."""
        self.items[mission_type] = [it.with_seq(i) for i, it in enumerate(items)]
        self.version[mission_type] += 1

    def clear(self, mission_type: int) -> None:
        """Remove every item of a type (MAV_MISSION_TYPE_ALL clears all three)."""
        for t in (ALL_TYPES if mission_type == mavlink.MAV_MISSION_TYPE_ALL else (mission_type,)):
            self.items[t] = []
            self.version[t] += 1
