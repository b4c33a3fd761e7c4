"""Return to launch as Copter flies it: climb to RTL_ALT, fly to the closest rally point or home, loiter, land."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .guidance import Descend, GoTo, Hold, NavTarget
from .physics import BodyState

if TYPE_CHECKING:
    from .autopilot import Home
    from .params import ParamStore


@dataclass
class RtlState:
    """Progress of an RTL (inside RTL mode, or a NAV_RETURN_TO_LAUNCH item in AUTO)."""

    phase: str = "climb"
    target_e: float = 0.0
    target_n: float = 0.0
    return_u: float = 0.0
    loiter_since: float | None = None


def plan_rtl(s: BodyState, home: "Home | None", rally_en: list[tuple[float, float]], params: "ParamStore") -> RtlState:
    """Where to return (closest of home and the rally points, ENU m) and at which height."""
    candidates = list(rally_en)
    if home is not None and (params["RALLY_INCL_HOME"] or not rally_en):
        candidates.append((home.e, home.n))
    te, tn = min(candidates, key=lambda c: math.hypot(c[0] - s.e, c[1] - s.n)) if candidates else (s.e, s.n)
    home_u = home.u if home else 0.0
    alt_rel = s.u - home_u
    rtl_alt = params["RTL_ALT"] / 100.0
    return_rel = max(rtl_alt, alt_rel) if rtl_alt > 0 else alt_rel
    if params["FENCE_ENABLE"] and int(params["FENCE_TYPE"]) & 1:
        return_rel = min(return_rel, max(params["FENCE_ALT_MAX"] - 2.0, 1.0))
    return RtlState("climb", te, tn, home_u + return_rel)


def rtl_target(r: RtlState, s: BodyState, now: float, params: "ParamStore", home_u: float) -> NavTarget:
    """The target for this step; advances the phase (climb -> return -> loiter -> land)."""
    if r.phase == "climb":
        if s.u >= r.return_u - 0.5 or math.hypot(r.target_e - s.e, r.target_n - s.n) < 3.0:
            r.phase = "return"
        else:
            return GoTo(s.e, s.n, r.return_u)
    if r.phase == "return":
        if math.hypot(r.target_e - s.e, r.target_n - s.n) < 2.0:
            r.phase, r.loiter_since = "loiter", now
        else:
            return GoTo(r.target_e, r.target_n, r.return_u)
    if r.phase == "loiter":
        if now - r.loiter_since >= params["RTL_LOIT_TIME"] / 1000.0:
            r.phase = "land"
        else:
            return Hold(r.target_e, r.target_n, r.return_u)
    final = params["RTL_ALT_FINAL"] / 100.0
    if final > 0:
        return Hold(r.target_e, r.target_n, home_u + final)
    return Descend(r.target_e, r.target_n, 0.0)
