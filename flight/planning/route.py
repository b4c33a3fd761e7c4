"""Turn mission items into the legs a multicopter flies (DO_JUMP laps, speeds, loiters, RTL) in metres."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from flight.mission import Cmd, Frame, MissionItem
from flight.planning.model import Home, VehicleProfile

#: Frames whose z is metres AMSL (the rest are treated as height above home over flat ground).
_AMSL_FRAMES = {Frame.GLOBAL, Frame.GLOBAL_INT}
#: Commands that move the vehicle to x/y/z.
_GOTO = {Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TIME, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_UNLIM, Cmd.NAV_LOITER_TO_ALT,
         Cmd.NAV_LAND}


@dataclass(frozen=True)
class Leg:
    """One straight piece of flight in home-ENU metres (z above home), flown at `speed_mps`."""

    start: tuple[float, float, float]
    end: tuple[float, float, float]
    speed_mps: float
    item_index: int
    kind: str = "fly"  # fly | climb | descend | loiter | return

    @property
    def horizontal_m(self) -> float:
        """Horizontal length (m)."""
        return math.hypot(self.end[0] - self.start[0], self.end[1] - self.start[1])


@dataclass
class Route:
    """The flown legs of a mission, plus extra time (holds, loiters) and whether it never ends."""

    legs: list[Leg] = field(default_factory=list)
    extra_time_s: float = 0.0
    loiter_distance_m: float = 0.0
    endless: bool = False
    ends_home: bool = False
    loiters: list[tuple[float, float, float, int]] = field(default_factory=list)  # (east, north, radius, item)

    @property
    def distance_m(self) -> float:
        """Total 3D path length (m), loiter circles included."""
        return sum(math.dist(leg.start, leg.end) for leg in self.legs) + self.loiter_distance_m


def item_position(item: MissionItem, home: Home, xy_of) -> tuple[float, float, float] | None:
    """(east, north, up above home) of a positional item, or None when lat/lon are 0 (= current position)."""
    z = item.z - home.alt_amsl_m if item.frame in _AMSL_FRAMES else item.z
    if item.x == 0 and item.y == 0:
        return None
    e, n = xy_of(item.lat_deg, item.lon_deg)
    return (e, n, float(z))


def _xy_func(home: Home):
    frame = home.frame()

    def xy(lat: float, lon: float) -> tuple[float, float]:
        e, n, _ = frame.to_enu(lat, lon, home.alt_amsl_m)
        return float(e), float(n)
    return xy


def fly_route(items: list[MissionItem], home: Home, vehicle: VehicleProfile,
              endless_repeats: int = 0, max_steps: int = 200_000) -> Route:
    """Simulate item execution from home on the ground; a DO_JUMP with repeat -1 runs `endless_repeats` extra times."""
    xy = _xy_func(home)
    route = Route()
    pos = (0.0, 0.0, 0.0)
    speed = vehicle.cruise_speed_mps
    jumps_left: dict[int, int] = {}
    i, steps = 0, 0
    while 0 <= i < len(items) and steps < max_steps:
        steps += 1
        it = items[i]
        cmd = it.command
        if cmd == Cmd.DO_CHANGE_SPEED:
            if it.param2 > 0:
                speed = min(float(it.param2), vehicle.max_speed_mps)
        elif cmd == Cmd.DO_JUMP:
            if i not in jumps_left:
                rep = int(round(it.param2))
                if rep < 0:
                    route.endless = True
                    rep = endless_repeats
                jumps_left[i] = rep
            if jumps_left[i] > 0:
                jumps_left[i] -= 1
                i = int(round(it.param1))
                continue
            # an exhausted jump stays exhausted for the rest of the mission (ArduPilot's jump tracking)
        elif cmd == Cmd.NAV_TAKEOFF:
            target = item_position(it, home, xy)
            z = float(it.z - home.alt_amsl_m if it.frame in _AMSL_FRAMES else it.z)
            end = (pos[0], pos[1], z) if target is None else (target[0], target[1], z)
            route.legs.append(Leg(pos, (pos[0], pos[1], z), vehicle.climb_rate_mps, i, "climb"))
            if end[:2] != pos[:2]:
                route.legs.append(Leg((pos[0], pos[1], z), end, speed, i))
            pos = end
        elif cmd in _GOTO:
            target = item_position(it, home, xy)
            z = float(it.z - home.alt_amsl_m if it.frame in _AMSL_FRAMES else it.z)
            end = target if target is not None else (pos[0], pos[1], z)
            if cmd == Cmd.NAV_LAND:
                end = (end[0], end[1], pos[2])
            if end != pos:
                route.legs.append(Leg(pos, end, speed, i))
            pos = end
            if cmd == Cmd.NAV_WAYPOINT:
                route.extra_time_s += max(0.0, float(it.param1))
            elif cmd == Cmd.NAV_LOITER_TIME:
                route.extra_time_s += max(0.0, float(it.param1))
            elif cmd == Cmd.NAV_LOITER_TURNS:
                d = 2 * math.pi * abs(float(it.param3)) * max(0.0, float(it.param1))
                route.loiter_distance_m += d
                route.loiters.append((end[0], end[1], abs(float(it.param3)), i))
                route.extra_time_s += d / speed
            elif cmd == Cmd.NAV_LOITER_UNLIM:
                route.endless = True
                break
            elif cmd == Cmd.NAV_LAND:
                route.legs.append(Leg(pos, (pos[0], pos[1], 0.0), vehicle.descent_rate_mps, i, "descend"))
                pos = (pos[0], pos[1], 0.0)
                route.ends_home = math.hypot(pos[0], pos[1]) < 5.0
                break
        elif cmd == Cmd.NAV_RETURN_TO_LAUNCH:
            route.legs.extend(return_legs(pos, speed, vehicle, i))
            pos = (0.0, 0.0, 0.0)
            route.ends_home = True
            break
        i += 1
    return route


def return_legs(pos: tuple[float, float, float], speed: float, vehicle: VehicleProfile, index: int) -> list[Leg]:
    """Straight back to home at the current height, then descend (what RTL costs, roughly)."""
    legs = []
    if math.hypot(pos[0], pos[1]) > 0:
        legs.append(Leg(pos, (0.0, 0.0, pos[2]), speed, index, "return"))
    if pos[2] > 0:
        legs.append(Leg((0.0, 0.0, pos[2]), (0.0, 0.0, 0.0), vehicle.descent_rate_mps, index, "descend"))
    return legs


def leg_time_energy(leg: Leg, vehicle: VehicleProfile) -> tuple[float, float]:
    """(seconds, watt-hours) of one leg under the VehicleProfile energy model."""
    dz = leg.end[2] - leg.start[2]
    t_h = leg.horizontal_m / leg.speed_mps if leg.kind not in ("climb", "descend") else 0.0
    t_v = dz / vehicle.climb_rate_mps if dz > 0 else -dz / vehicle.descent_rate_mps
    t = max(t_h, t_v)
    v = leg.horizontal_m / t if t > 0 else 0.0
    joules = vehicle.level_power_w(v) * t + (vehicle.climb_extra_w() * (dz / vehicle.climb_rate_mps) if dz > 0 else 0.0)
    return t, joules / 3600.0


def legs_xy(legs: list[Leg]) -> np.ndarray:
    """The horizontal polyline through the legs' start/end points (N x 2)."""
    if not legs:
        return np.zeros((0, 2))
    pts = [legs[0].start[:2]] + [leg.end[:2] for leg in legs]
    return np.asarray(pts, dtype=float)
