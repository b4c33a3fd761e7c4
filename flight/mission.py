"""Mission values shared by planners, files, the protocol client and the controller.

`MissionItem` mirrors MAVLink's MISSION_ITEM_INT field for field (x/y are degrees * 1e7 integers);
`MissionPlan` bundles the three mission types a vehicle holds: mission, fence and rally.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class MissionType(enum.IntEnum):
    """MAV_MISSION_TYPE: which of the vehicle's three lists an item belongs to."""

    MISSION = 0
    FENCE = 1
    RALLY = 2
    ALL = 255


class Frame(enum.IntEnum):
    """MAV_FRAME values used by mission items (altitude reference of z)."""

    GLOBAL = 0  # z metres AMSL
    MISSION = 2  # not a position (DO_* commands)
    GLOBAL_RELATIVE_ALT = 3  # z metres above home
    GLOBAL_INT = 5
    GLOBAL_RELATIVE_ALT_INT = 6
    GLOBAL_TERRAIN_ALT = 10
    GLOBAL_TERRAIN_ALT_INT = 11


class Cmd(enum.IntEnum):
    """MAV_CMD values a patrol mission, fence or rally list uses (standard MAVLink numbers)."""

    NAV_WAYPOINT = 16
    NAV_LOITER_UNLIM = 17
    NAV_LOITER_TURNS = 18
    NAV_LOITER_TIME = 19
    NAV_RETURN_TO_LAUNCH = 20
    NAV_LAND = 21
    NAV_TAKEOFF = 22
    NAV_LOITER_TO_ALT = 31
    DO_JUMP = 177
    DO_CHANGE_SPEED = 178
    DO_SET_ROI_LOCATION = 195
    DO_SET_ROI_NONE = 197
    DO_SET_ROI = 201
    DO_MOUNT_CONTROL = 205
    DO_SET_CAM_TRIGG_DIST = 206
    DO_GIMBAL_MANAGER_PITCHYAW = 1000
    NAV_FENCE_RETURN_POINT = 5000
    NAV_FENCE_POLYGON_VERTEX_INCLUSION = 5001
    NAV_FENCE_POLYGON_VERTEX_EXCLUSION = 5002
    NAV_FENCE_CIRCLE_INCLUSION = 5003
    NAV_FENCE_CIRCLE_EXCLUSION = 5004
    NAV_RALLY_POINT = 5100


#: Commands whose x/y/z are a position (the rest are DO_* / conditions with frame MISSION).
NAV_POSITION_COMMANDS = frozenset({
    Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_TIME,
    Cmd.NAV_LAND, Cmd.NAV_TAKEOFF, Cmd.NAV_LOITER_TO_ALT, Cmd.DO_SET_ROI_LOCATION,
    Cmd.NAV_FENCE_RETURN_POINT, Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION,
    Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION, Cmd.NAV_FENCE_CIRCLE_INCLUSION,
    Cmd.NAV_FENCE_CIRCLE_EXCLUSION, Cmd.NAV_RALLY_POINT,
})


def deg_to_e7(deg: float) -> int:
    """Degrees to the MAVLink integer encoding (degrees * 1e7, rounded)."""
    return int(round(deg * 1e7))


@dataclass(frozen=True)
class MissionItem:
    """One MISSION_ITEM_INT: seq, frame, command, current, autocontinue, param1..4, x/y (deg*1e7), z, type."""

    seq: int
    frame: int
    command: int
    current: int = 0
    autocontinue: int = 1
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: int = 0
    y: int = 0
    z: float = 0.0
    mission_type: int = MissionType.MISSION

    @property
    def lat_deg(self) -> float:
        """Latitude in degrees (x / 1e7)."""
        return self.x / 1e7

    @property
    def lon_deg(self) -> float:
        """Longitude in degrees (y / 1e7)."""
        return self.y / 1e7

    @property
    def is_nav_position(self) -> bool:
        """True when x/y/z are a location the vehicle flies to or that bounds it."""
        return self.command in NAV_POSITION_COMMANDS

    def with_seq(self, seq: int) -> "MissionItem":
        """A copy renumbered to `seq` (used when prepending ArduPilot's home item)."""
        return replace(self, seq=seq)

    @classmethod
    def at(cls, seq: int, command: int, lat_deg: float, lon_deg: float, alt_m: float,
           frame: int = Frame.GLOBAL_RELATIVE_ALT_INT, params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0),
           mission_type: int = MissionType.MISSION) -> "MissionItem":
        """A positional item from degrees (convenience for planners and tests)."""
        return cls(seq=seq, frame=int(frame), command=int(command), param1=params[0], param2=params[1],
                   param3=params[2], param4=params[3], x=deg_to_e7(lat_deg), y=deg_to_e7(lon_deg),
                   z=float(alt_m), mission_type=int(mission_type))

    @classmethod
    def do(cls, seq: int, command: int, params: tuple[float, ...] = (), mission_type: int = MissionType.MISSION) -> "MissionItem":
        """A non-positional DO_* item (frame MISSION), params padded to param1..param4 (+x,y,z unused)."""
        p = tuple(params) + (0.0,) * (4 - len(params))
        return cls(seq=seq, frame=int(Frame.MISSION), command=int(command), param1=p[0], param2=p[1],
                   param3=p[2], param4=p[3], mission_type=int(mission_type))


def renumber(items: list[MissionItem], mission_type: int | None = None) -> list[MissionItem]:
    """Items renumbered 0..n-1 in order (and re-typed when `mission_type` is given)."""
    out = []
    for i, item in enumerate(items):
        kw = {"seq": i}
        if mission_type is not None:
            kw["mission_type"] = int(mission_type)
        out.append(replace(item, **kw))
    return out


@dataclass(frozen=True)
class MissionPlan:
    """What a vehicle holds: the mission items, the fence items and the rally items (each seq from 0).

    Mission items never include ArduPilot's home item 0, and DO_JUMP param1 is an index into `items`;
    the protocol client shifts both for ArduPilot on the wire.
    """

    items: list[MissionItem] = field(default_factory=list)
    fence_items: list[MissionItem] = field(default_factory=list)
    rally_items: list[MissionItem] = field(default_factory=list)

    def of_type(self, mission_type: int) -> list[MissionItem]:
        """The list for one MAV_MISSION_TYPE."""
        return {MissionType.MISSION: self.items, MissionType.FENCE: self.fence_items,
                MissionType.RALLY: self.rally_items}[MissionType(mission_type)]
