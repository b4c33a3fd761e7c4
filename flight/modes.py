"""Flight-mode names per autopilot flavour, and the mode each controller intent maps to.

ArduPilot Copter puts a mode number in HEARTBEAT.custom_mode; PX4 packs main mode (bits 16-23)
and sub mode (bits 24-31). Both are named here the way their ground stations name them.
"""
from __future__ import annotations

import enum

MAV_AUTOPILOT_ARDUPILOTMEGA = 3
MAV_AUTOPILOT_PX4 = 12
MAV_MODE_FLAG_CUSTOM_MODE_ENABLED = 1
MAV_MODE_FLAG_SAFETY_ARMED = 128


class Flavour(str, enum.Enum):
    """Which autopilot firmware family the vehicle runs."""

    ARDUPILOT = "ardupilot"
    PX4 = "px4"
    GENERIC = "generic"

    @classmethod
    def from_autopilot(cls, autopilot: int | None) -> "Flavour":
        """From HEARTBEAT.autopilot (MAV_AUTOPILOT)."""
        if autopilot == MAV_AUTOPILOT_ARDUPILOTMEGA:
            return cls.ARDUPILOT
        if autopilot == MAV_AUTOPILOT_PX4:
            return cls.PX4
        return cls.GENERIC


class Intent(str, enum.Enum):
    """What the controller wants the vehicle to do, independent of the firmware's mode names."""

    MISSION = "mission"
    GUIDED = "guided"
    HOLD = "hold"
    RTL = "rtl"
    LAND = "land"
    TAKEOFF = "takeoff"


ARDUCOPTER_MODES: dict[int, str] = {
    0: "STABILIZE", 1: "ACRO", 2: "ALT_HOLD", 3: "AUTO", 4: "GUIDED", 5: "LOITER", 6: "RTL", 7: "CIRCLE",
    9: "LAND", 11: "DRIFT", 13: "SPORT", 14: "FLIP", 15: "AUTOTUNE", 16: "POSHOLD", 17: "BRAKE",
    18: "THROW", 19: "AVOID_ADSB", 20: "GUIDED_NOGPS", 21: "SMART_RTL", 22: "FLOWHOLD", 23: "FOLLOW",
    24: "ZIGZAG", 25: "SYSTEMID", 26: "AUTOROTATE", 27: "AUTO_RTL", 28: "TURTLE",
}
ARDUCOPTER_NUMBERS = {name: num for num, name in ARDUCOPTER_MODES.items()}

PX4_MAIN = {1: "MANUAL", 2: "ALTCTL", 3: "POSCTL", 4: "AUTO", 5: "ACRO", 6: "OFFBOARD", 7: "STABILIZED",
            8: "RATTITUDE", 9: "SIMPLE", 10: "TERMINATION"}
PX4_AUTO_SUB = {1: "READY", 2: "TAKEOFF", 3: "LOITER", 4: "MISSION", 5: "RTL", 6: "LAND", 8: "FOLLOW_TARGET",
                9: "PRECLAND", 10: "VTOL_TAKEOFF"}
PX4_ALIASES = {"HOLD": "AUTO.LOITER", "MISSION": "AUTO.MISSION", "RTL": "AUTO.RTL", "LAND": "AUTO.LAND",
               "TAKEOFF": "AUTO.TAKEOFF", "LOITER": "AUTO.LOITER", "POSITION": "POSCTL", "ALTITUDE": "ALTCTL"}

INTENT_MODES: dict[Flavour, dict[Intent, str]] = {
    Flavour.ARDUPILOT: {Intent.MISSION: "AUTO", Intent.GUIDED: "GUIDED", Intent.HOLD: "LOITER",
                        Intent.RTL: "RTL", Intent.LAND: "LAND", Intent.TAKEOFF: "GUIDED"},
    Flavour.PX4: {Intent.MISSION: "AUTO.MISSION", Intent.GUIDED: "AUTO.LOITER", Intent.HOLD: "AUTO.LOITER",
                  Intent.RTL: "AUTO.RTL", Intent.LAND: "AUTO.LAND", Intent.TAKEOFF: "AUTO.TAKEOFF"},
}
#: Modes that mean "the autopilot is bringing the vehicle down/home by itself" (failsafe or commanded).
RETURN_MODES = {"RTL", "SMART_RTL", "AUTO_RTL", "AUTO.RTL"}
LANDING_MODES = {"LAND", "AUTO.LAND", "AUTO.PRECLAND"}


class UnknownMode(ValueError):
    """A mode name the flavour does not have."""


def mode_name(flavour: Flavour, base_mode: int, custom_mode: int) -> str:
    """Human mode name from HEARTBEAT fields (e.g. 'AUTO', 'GUIDED', 'AUTO.MISSION', 'POSCTL')."""
    if not base_mode & MAV_MODE_FLAG_CUSTOM_MODE_ENABLED and flavour is not Flavour.ARDUPILOT:
        return f"BASE({base_mode})"
    if flavour is Flavour.ARDUPILOT:
        return ARDUCOPTER_MODES.get(custom_mode, f"MODE({custom_mode})")
    if flavour is Flavour.PX4:
        main = (custom_mode >> 16) & 0xFF
        sub = (custom_mode >> 24) & 0xFF
        main_name = PX4_MAIN.get(main, f"MAIN({main})")
        if main == 4:
            return f"AUTO.{PX4_AUTO_SUB.get(sub, f'SUB({sub})')}"
        return main_name
    return f"CUSTOM({custom_mode})"


def canonical(flavour: Flavour, name: str) -> str:
    """The canonical spelling of a mode name for a flavour (PX4 aliases like HOLD resolved)."""
    upper = name.strip().upper()
    if flavour is Flavour.PX4:
        return PX4_ALIASES.get(upper, upper)
    return upper


def px4_custom_mode(main: int, sub: int = 0) -> int:
    """PX4's packed custom_mode value."""
    return (main << 16) | (sub << 24)


def set_mode_params(flavour: Flavour, name: str) -> tuple[float, float, float]:
    """MAV_CMD_DO_SET_MODE param1..3 for a mode name: (base mode flags, custom/main mode, sub mode)."""
    mode = canonical(flavour, name)
    if flavour is Flavour.ARDUPILOT:
        if mode not in ARDUCOPTER_NUMBERS:
            raise UnknownMode(f"ArduPilot Copter has no mode {name!r}; known: {', '.join(sorted(ARDUCOPTER_NUMBERS))}")
        return float(MAV_MODE_FLAG_CUSTOM_MODE_ENABLED), float(ARDUCOPTER_NUMBERS[mode]), 0.0
    if flavour is Flavour.PX4:
        main_numbers = {v: k for k, v in PX4_MAIN.items()}
        if mode.startswith("AUTO."):
            sub_numbers = {v: k for k, v in PX4_AUTO_SUB.items()}
            sub = mode.split(".", 1)[1]
            if sub not in sub_numbers:
                raise UnknownMode(f"PX4 has no auto sub mode {sub!r}")
            return float(MAV_MODE_FLAG_CUSTOM_MODE_ENABLED), 4.0, float(sub_numbers[sub])
        if mode not in main_numbers:
            raise UnknownMode(f"PX4 has no mode {name!r}")
        return float(MAV_MODE_FLAG_CUSTOM_MODE_ENABLED), float(main_numbers[mode]), 0.0
    raise UnknownMode(f"cannot set mode {name!r} on a generic autopilot (not ArduPilot or PX4)")


def intent_mode(flavour: Flavour, intent: Intent) -> str:
    """The mode name that carries out an intent on a flavour."""
    table = INTENT_MODES.get(flavour)
    if table is None:
        raise UnknownMode(f"no mode table for {flavour.value} autopilots")
    return table[intent]
