"""Navigation targets and the guidance law that turns one into a desired velocity and heading."""
from __future__ import annotations

import math
from dataclasses import dataclass

from .physics import BodyState


@dataclass
class Hold:
    """Hover at a point (ENU m)."""

    e: float
    n: float
    u: float


@dataclass
class GoTo:
    """Fly to a point (ENU m) at `speed_mps` (None = the mode's speed), arriving at `pass_mps` (0 = stop there)."""

    e: float
    n: float
    u: float
    speed_mps: float | None = None
    pass_mps: float = 0.0


@dataclass
class Orbit:
    """Circle a centre at a radius; direction +1 clockwise seen from above, -1 counter-clockwise."""

    e: float
    n: float
    u: float
    radius_m: float
    direction: int = 1
    speed_mps: float | None = None


@dataclass
class Descend:
    """Land at a horizontal point with the vertical speed given."""

    e: float
    n: float
    speed_mps: float


@dataclass
class VelocityCmd:
    """Fly a velocity (ENU m/s) as SET_POSITION_TARGET velocity commands do."""

    ve: float
    vn: float
    vu: float


NavTarget = Hold | GoTo | Orbit | Descend | VelocityCmd

POS_GAIN = 0.5  # 1/s: final-approach position gain (well damped with the velocity loop)


def _approach_speed(dist: float, cruise: float, accel: float, pass_mps: float = 0.0) -> float:
    """Speed that still reaches the target at `pass_mps`: min(cruise, sqrt(v_pass^2 + 2 a d)), and k d to stop."""
    v = min(cruise, math.sqrt(pass_mps * pass_mps + 1.6 * accel * dist))
    return v if pass_mps > 0.0 else min(v, max(POS_GAIN * dist, 0.0))


def velocity_for(s: BodyState, target: NavTarget, cruise_mps: float, climb_mps: float, descent_mps: float,
                 accel_mps2: float) -> tuple[tuple[float, float, float], float | None, float]:
    """Desired ENU velocity, the heading to face along the track (None = keep), and the horizontal distance left."""
    if isinstance(target, VelocityCmd):
        return (target.ve, target.vn, target.vu), None, 0.0
    if isinstance(target, Descend):
        de, dn = target.e - s.e, target.n - s.n
        return (POS_GAIN * de, POS_GAIN * dn, -target.speed_mps), None, math.hypot(de, dn)
    if isinstance(target, Orbit):
        return _orbit(s, target, cruise_mps, climb_mps, descent_mps, accel_mps2)
    de, dn, du = target.e - s.e, target.n - s.n, target.u - s.u
    dist = math.hypot(de, dn)
    speed = target.speed_mps if isinstance(target, GoTo) and target.speed_mps else cruise_mps
    if isinstance(target, Hold):
        speed = min(speed, 3.0)
    v = _approach_speed(dist, speed, accel_mps2, target.pass_mps if isinstance(target, GoTo) else 0.0)
    ve, vn = (de / dist * v, dn / dist * v) if dist > 1e-6 else (0.0, 0.0)
    vu = max(-descent_mps, min(climb_mps, POS_GAIN * 2.0 * du))
    yaw = math.atan2(de, dn) if dist > 2.0 and not isinstance(target, Hold) else None
    return (ve, vn, vu), yaw, dist


def _orbit(s: BodyState, t: Orbit, cruise: float, climb: float, descent: float, accel: float):
    """Tangential velocity at the orbit speed plus a radial correction; the nose faces the centre."""
    re, rn = s.e - t.e, s.n - t.n
    d = math.hypot(re, rn)
    if d < 1e-3:
        re, rn, d = 0.0, 1.0, 1.0
    ue, un = re / d, rn / d
    speed = min(t.speed_mps or cruise, math.sqrt(accel * max(t.radius_m, 0.5)))
    te, tn = (un, -ue) if t.direction >= 0 else (-un, ue)  # clockwise tangent in ENU is (y, -x)
    radial = -POS_GAIN * 2.0 * (d - t.radius_m)
    ve, vn = te * speed + ue * radial, tn * speed + un * radial
    vu = max(-descent, min(climb, POS_GAIN * 2.0 * (t.u - s.u)))
    return (ve, vn, vu), math.atan2(-re, -rn), abs(d - t.radius_m)
