"""Flight modes and their wire encoding for the two flavours (ArduPilot Copter numbers, PX4 main/sub)."""
from __future__ import annotations

import enum


class Flavour(str, enum.Enum):
    """Which autopilot the simulated vehicle impersonates on the wire."""

    ARDUPILOT = "ardupilot"
    PX4 = "px4"


class Mode(enum.IntEnum):
    """Internal flight modes; the values are ArduPilot Copter's custom-mode numbers."""

    STABILIZE = 0
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    LAND = 9
    BRAKE = 17


#: Modes that need a position estimate (refused without a GPS fix), as ArduPilot's `requires_GPS`.
POSITION_MODES = frozenset({Mode.AUTO, Mode.GUIDED, Mode.LOITER, Mode.RTL, Mode.BRAKE})
#: Modes in which ArduPilot Copter allows arming from a GCS (AUTO needs AUTO_OPTIONS bit 0).
ARMABLE_MODES = frozenset({Mode.STABILIZE, Mode.GUIDED, Mode.LOITER})

# PX4 main modes (px4_custom_mode.h) and AUTO sub modes.
PX4_MAIN_MANUAL, PX4_MAIN_ALTCTL, PX4_MAIN_POSCTL, PX4_MAIN_AUTO = 1, 2, 3, 4
PX4_MAIN_ACRO, PX4_MAIN_OFFBOARD, PX4_MAIN_STABILIZED = 5, 6, 7
PX4_AUTO_READY, PX4_AUTO_TAKEOFF, PX4_AUTO_LOITER, PX4_AUTO_MISSION = 1, 2, 3, 4
PX4_AUTO_RTL, PX4_AUTO_LAND = 5, 6

_PX4_OF_MODE: dict[Mode, tuple[int, int]] = {
    Mode.STABILIZE: (PX4_MAIN_STABILIZED, 0),
    Mode.AUTO: (PX4_MAIN_AUTO, PX4_AUTO_MISSION),
    Mode.GUIDED: (PX4_MAIN_OFFBOARD, 0),
    Mode.LOITER: (PX4_MAIN_AUTO, PX4_AUTO_LOITER),
    Mode.RTL: (PX4_MAIN_AUTO, PX4_AUTO_RTL),
    Mode.LAND: (PX4_MAIN_AUTO, PX4_AUTO_LAND),
    Mode.BRAKE: (PX4_MAIN_AUTO, PX4_AUTO_LOITER),
}
_MODE_OF_PX4_AUTO = {
    PX4_AUTO_READY: Mode.LOITER, PX4_AUTO_TAKEOFF: Mode.LOITER, PX4_AUTO_LOITER: Mode.LOITER,
    PX4_AUTO_MISSION: Mode.AUTO, PX4_AUTO_RTL: Mode.RTL, PX4_AUTO_LAND: Mode.LAND,
}
_MODE_OF_PX4_MAIN = {
    PX4_MAIN_MANUAL: Mode.STABILIZE, PX4_MAIN_ALTCTL: Mode.STABILIZE, PX4_MAIN_STABILIZED: Mode.STABILIZE,
    PX4_MAIN_ACRO: Mode.STABILIZE, PX4_MAIN_POSCTL: Mode.LOITER, PX4_MAIN_OFFBOARD: Mode.GUIDED,
}


def px4_custom_mode(main: int, sub: int = 0) -> int:
    """PX4's custom_mode word: main mode in byte 2, sub mode in byte 3."""
    return (main << 16) | (sub << 24)


def encode_custom_mode(flavour: Flavour, mode: Mode, taking_off: bool = False) -> int:
    """The HEARTBEAT custom_mode for a mode (PX4 reports AUTO.TAKEOFF while a takeoff climbs)."""
    if flavour is Flavour.ARDUPILOT:
        return int(mode)
    if taking_off and mode in (Mode.LOITER, Mode.GUIDED):
        return px4_custom_mode(PX4_MAIN_AUTO, PX4_AUTO_TAKEOFF)
    return px4_custom_mode(*_PX4_OF_MODE[mode])


def decode_custom_mode(flavour: Flavour, custom_mode: int, sub_mode: int | None = None) -> Mode | None:
    """The internal mode a SET_MODE / DO_SET_MODE asks for, or None when the number is unknown.

    For PX4, `custom_mode` is either the full 32-bit word or (with `sub_mode` given, as in
    DO_SET_MODE param2/param3) the bare main mode.
    """
    custom_mode = int(custom_mode)
    if flavour is Flavour.ARDUPILOT:
        try:
            return Mode(custom_mode)
        except ValueError:
            return None
    if sub_mode is None:
        main, sub = (custom_mode >> 16) & 0xFF, (custom_mode >> 24) & 0xFF
    else:
        main, sub = custom_mode, int(sub_mode)
    if main == PX4_MAIN_AUTO:
        return _MODE_OF_PX4_AUTO.get(sub)
    return _MODE_OF_PX4_MAIN.get(main)


def mode_name(flavour: Flavour, mode: Mode) -> str:
    """Human name as the flavour's ground stations print it."""
    if flavour is Flavour.ARDUPILOT:
        return mode.name
    return {Mode.STABILIZE: "STABILIZED", Mode.AUTO: "MISSION", Mode.GUIDED: "OFFBOARD", Mode.LOITER: "HOLD",
            Mode.RTL: "RTL", Mode.LAND: "LAND", Mode.BRAKE: "HOLD"}[mode]
