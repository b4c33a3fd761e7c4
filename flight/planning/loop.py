"""Route loop: a closed patrol through waypoints, N laps or endless (DO_JUMP), speed and altitude per leg."""
from __future__ import annotations

import math
from collections.abc import Sequence

from flight.planning.errors import PlanParameterError
from flight.planning.fence import Geofence
from flight.planning.geometry import LatLon
from flight.planning.items import ItemBuilder
from flight.planning.model import Home, PatrolPlan, RallyPoint

#: `laps` value meaning "repeat until the pilot (or the battery failsafe) stops it".
ENDLESS = -1


def _per_leg(value: float | Sequence[float] | None, n: int, name: str) -> list[float | None]:
    if value is None:
        return [None] * n
    if isinstance(value, (int, float)):
        return [float(value)] * n
    values = [float(v) for v in value]
    if len(values) != n:
        raise PlanParameterError(f"{name}: expected {n} values (one per waypoint/leg), got {len(values)}")
    return values


def build_loop_items(b: ItemBuilder, waypoints: Sequence[LatLon], alts: list[float], speeds: list[float | None],
                     laps: int) -> tuple[int, int]:
    """Append the loop to `b`: WP0, then per leg j [DO_CHANGE_SPEED speeds[j]] WP(j+1 mod n), then DO_JUMP.

    Returns (index of the first loop item, index after the last). laps >= 1, or ENDLESS (-1) / 0 for endless.
    """
    n = len(waypoints)
    first = len(b.items)
    if speeds[0] is not None:
        b.speed(speeds[0])
    b.waypoint(*waypoints[0], alts[0])
    body = len(b.items)
    current = speeds[0]
    for j in range(n):
        if speeds[j] is not None and speeds[j] != current:
            b.speed(speeds[j])
            current = speeds[j]
        nxt = (j + 1) % n
        b.waypoint(*waypoints[nxt], alts[nxt])
    if laps <= 0 or laps > 1:
        if speeds[0] is not None and current != speeds[0]:
            # the jump lands on leg 0's speed item only when it was emitted after WP0; re-set it here
            b.speed(speeds[0])
        b.jump(body, ENDLESS if laps <= 0 else laps - 1)
    return first, len(b.items)


def plan_loop(waypoints: Sequence[LatLon], home: Home, *, alt_m: float | Sequence[float] = 50.0,
              speed_mps: float | Sequence[float] | None = None, laps: int = 1, fence: Geofence | None = None,
              rally: Sequence[RallyPoint] = (), takeoff_alt_m: float | None = None, return_home: bool = True,
              swath_m: float = 0.0) -> PatrolPlan:
    """A closed patrol WP0 -> WP1 -> ... -> WP0, `laps` times (ENDLESS = -1 or 0: forever), then RTL.

    `alt_m`: one height above home, or one per waypoint; `speed_mps`: one, or one per leg (leg j goes
    from waypoint j to j+1, the last leg closes the loop).
    """
    n = len(waypoints)
    if n < 2:
        raise PlanParameterError(f"a loop needs >= 2 waypoints, got {n}")
    alts = [a for a in _per_leg(alt_m, n, "alt_m")]
    speeds = _per_leg(speed_mps, n, "speed_mps")
    for a in alts:
        if not (a is not None and math.isfinite(a) and a > 0):
            raise PlanParameterError(f"altitudes must be > 0 m, got {a!r}")
    for s in speeds:
        if s is not None and not (math.isfinite(s) and s > 0):
            raise PlanParameterError(f"speeds must be > 0 m/s, got {s!r}")
    if not isinstance(laps, int) or laps < ENDLESS:
        raise PlanParameterError(f"laps must be >= 1, or -1/0 for endless, got {laps!r}")
    b = ItemBuilder()
    b.takeoff(takeoff_alt_m if takeoff_alt_m is not None else alts[0])
    build_loop_items(b, [tuple(w) for w in waypoints], alts, speeds, laps)
    if return_home:
        b.rtl()
    return PatrolPlan(kind="loop", home=home, items=b.items, fence=fence or Geofence(), rally=list(rally),
                      swath_m=swath_m, cruise_speed_mps=next((s for s in speeds if s), 8.0),
                      notes={"laps": laps, "waypoints": n})
