"""Check a plan against fence, altitude band, distance from home and battery; report its figures."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString

from flight.mission import Cmd
from flight.planning.errors import Violation, infeasible
from flight.planning.fence import FenceEnu
from flight.planning.geometry import enu_polygon
from flight.planning.model import PatrolPlan, SafetyLimits, VehicleProfile
from flight.planning.route import Leg, Route, fly_route, leg_time_energy, return_legs

#: Items whose z is not a flying height to check against the altitude band.
_NO_ALT_CHECK = {Cmd.NAV_LAND, Cmd.DO_SET_ROI_LOCATION}


@dataclass
class PlanReport:
    """Figures of a plan (one lap when endless, plus the way home) and every violation found."""

    kind: str
    n_items: int
    distance_m: float
    duration_s: float
    energy_wh: float
    battery_used_pct: float
    usable_wh: float
    max_distance_from_home_m: float
    min_alt_m: float
    max_alt_m: float
    area_covered_m2: float
    area_target_m2: float | None = None
    coverage_pct: float | None = None
    endless: bool = False
    laps_possible: int | None = None
    return_added: bool = False
    violations: list[Violation] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """True when no violation was found."""
        return not self.violations

    def to_dict(self) -> dict:
        """JSON-ready figures (violations as {'kind', 'message', 'item_index'})."""
        d = asdict(self)
        d["feasible"] = self.feasible
        return d

    def summary(self) -> str:
        """Human lines for a CLI: distance, duration, area, battery, verdict."""
        lines = [f"{self.kind}: {self.n_items} items, {self.distance_m / 1000:.2f} km, "
                 f"{self.duration_s / 60:.1f} min{' per lap (endless)' if self.endless else ''}",
                 f"battery: {self.energy_wh:.1f} Wh = {self.battery_used_pct:.0f} % of pack "
                 f"(usable {self.usable_wh:.0f} Wh){' incl. return home' if self.return_added else ''}",
                 f"altitude {self.min_alt_m:.0f}..{self.max_alt_m:.0f} m, farthest {self.max_distance_from_home_m:.0f} m from home",
                 f"area covered by camera: {self.area_covered_m2 / 1e4:.2f} ha"
                 + (f" ({self.coverage_pct:.1f} % of {self.area_target_m2 / 1e4:.2f} ha)" if self.coverage_pct is not None else "")]
        if self.laps_possible is not None:
            lines.append(f"laps possible on one battery: {self.laps_possible}")
        lines.append("FEASIBLE" if self.feasible else "INFEASIBLE: " + "; ".join(map(str, self.violations)))
        return "\n".join(lines)


def _time_energy(legs: list[Leg], vehicle: VehicleProfile) -> tuple[float, float]:
    t = e = 0.0
    for leg in legs:
        dt, de = leg_time_energy(leg, vehicle)
        t += dt
        e += de
    return t, e


def _route_figures(route: Route, vehicle: VehicleProfile) -> tuple[float, float]:
    t, e = _time_energy(route.legs, vehicle)
    t += route.extra_time_s
    e += route.extra_time_s * vehicle.level_power_w(0.0) / 3600.0  # holds and loiters ~ hover power
    return t, e


def _loiter_ring(e: float, n: float, r: float) -> np.ndarray:
    a = np.linspace(0, 2 * math.pi, 37)
    return np.column_stack([e + r * np.cos(a), n + r * np.sin(a)])


def covered_area(plan: PatrolPlan, route: Route) -> tuple[float, float | None, float | None]:
    """(covered m^2, target m^2, coverage %) of the camera swath over the flown legs (and target polygon)."""
    if plan.swath_m <= 0:
        return 0.0, None, None
    half, ext = plan.swath_m / 2.0, plan.swath_along_m / 2.0
    shapes = []
    for leg in route.legs:
        if leg.kind == "fly" and leg.horizontal_m > 0.01:
            a, b = np.asarray(leg.start[:2]), np.asarray(leg.end[:2])
            d = (b - a) / np.hypot(*(b - a))
            shapes.append(LineString([a - d * ext, b + d * ext]).buffer(half, cap_style="flat"))
    shapes += [LineString(_loiter_ring(e, n, r)).buffer(half) for e, n, r, _ in route.loiters if r > 0]
    if not shapes:
        return 0.0, None, None
    cover = shapely.union_all(shapes)
    if plan.area_polygon:
        target = enu_polygon(plan.home.frame(), plan.area_polygon, plan.notes.get("area_holes", ()))
        inter = cover.intersection(target).area
        return float(inter), float(target.area), 100.0 * inter / target.area
    return float(cover.area), None, None


def check_plan(plan: PatrolPlan, vehicle: VehicleProfile | None = None, limits: SafetyLimits | None = None,
               inclusion_rule: str = "all") -> PlanReport:
    """Every figure and violation of `plan` (never raises for infeasibility; see validate_plan)."""
    vehicle = vehicle or VehicleProfile()
    limits = limits or SafetyLimits()
    route = fly_route(plan.items, plan.home, vehicle)
    violations: list[Violation] = []

    # Return home when the mission does not end there (battery must cover it).
    legs = list(route.legs)
    return_added = False
    if not route.ends_home and not (route.endless and not legs):
        last = legs[-1].end if legs else (0.0, 0.0, 0.0)
        extra = return_legs(last, plan.cruise_speed_mps, vehicle, len(plan.items) - 1)
        legs += extra
        return_added = bool(extra)
    full = Route(legs, route.extra_time_s, route.loiter_distance_m, route.endless, True, route.loiters)
    duration, energy = _route_figures(full, vehicle)

    # Fence: every leg, the loiter circles included.
    if not plan.fence.empty:
        fence = FenceEnu.from_fence(plan.fence, plan.home.frame(), inclusion_rule)
        for leg in legs:
            why = fence.leg_problem(leg.start[:2], leg.end[:2])
            if why:
                violations.append(Violation("fence", why, leg.item_index))
                break
        for e, n, r, idx in route.loiters:
            ring = _loiter_ring(e, n, r)
            bad = next((w for a, b in zip(ring[:-1], ring[1:]) if (w := fence.leg_problem(tuple(a), tuple(b)))), None)
            if bad:
                violations.append(Violation("fence", "loiter circle: " + bad, idx))

    # Altitude band (heights above home of positional items).
    alts = []
    for it in plan.items:
        if it.is_nav_position and it.command not in _NO_ALT_CHECK:
            z = it.z - plan.home.alt_amsl_m if it.frame in (0, 5) else it.z
            alts.append(z)
            if not limits.min_alt_m <= z <= limits.max_alt_m:
                violations.append(Violation("altitude", f"{z:.1f} m outside {limits.min_alt_m:g}..{limits.max_alt_m:g} m", it.seq))

    # Distance from home.
    pts = [leg.end[:2] for leg in legs] + [leg.start[:2] for leg in legs[:1]]
    far = max((math.hypot(*p) for p in pts), default=0.0)
    far = max([far] + [math.hypot(e, n) + r for e, n, r, _ in route.loiters])
    if limits.max_distance_m is not None and far > limits.max_distance_m:
        violations.append(Violation("distance", f"{far:.0f} m from home > limit {limits.max_distance_m:g} m"))

    # Battery (one lap when endless).
    laps_possible = None
    if route.endless:
        two = fly_route(plan.items, plan.home, vehicle, endless_repeats=1)
        _, e_two = _route_figures(two, vehicle)
        _, e_one = _route_figures(route, vehicle)
        lap_e = max(e_two - e_one, 1e-9)
        laps_possible = max(0, 1 + int((vehicle.usable_wh - energy) // lap_e)) if energy <= vehicle.usable_wh else 0
    if energy > vehicle.usable_wh:
        violations.append(Violation("battery", f"needs {energy:.1f} Wh, usable {vehicle.usable_wh:.1f} Wh "
                                               f"({vehicle.battery_wh:g} Wh less {vehicle.reserve_fraction:.0%} reserve)"))

    area, target, pct = covered_area(plan, route)
    return PlanReport(kind=plan.kind, n_items=len(plan.items), distance_m=full.distance_m, duration_s=duration,
                      energy_wh=energy, battery_used_pct=100.0 * energy / vehicle.battery_wh, usable_wh=vehicle.usable_wh,
                      max_distance_from_home_m=far, min_alt_m=min(alts, default=0.0), max_alt_m=max(alts, default=0.0),
                      area_covered_m2=area, area_target_m2=target, coverage_pct=pct, endless=route.endless,
                      laps_possible=laps_possible, return_added=return_added, violations=violations)


def validate_plan(plan: PatrolPlan, vehicle: VehicleProfile | None = None, limits: SafetyLimits | None = None,
                  inclusion_rule: str = "all") -> PlanReport:
    """check_plan, raising the typed InfeasiblePlan (FenceViolation, BatteryInsufficient, ...) when any limit breaks."""
    report = check_plan(plan, vehicle, limits, inclusion_rule)
    if report.violations:
        raise infeasible(report.violations)
    return report
