"""The plan being edited: geometry + pattern + parameters -> a ``flight.planning.PatrolPlan`` and its report.

Plain object (no Qt): the Plan panel edits it and the map renders what it exposes. Planning and
validation are ``flight.planning``'s; this module only gathers the inputs and keeps manual edits.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

PATTERNS = ("loop", "survey", "corridor", "perimeter")
#: Geometry each pattern needs: a closed area or an open route.
NEEDS = {"loop": "route", "survey": "polygon", "corridor": "route", "perimeter": "polygon"}


@dataclass
class PlanParams:
    """Pattern parameters shown in the panel (heights above home in metres)."""

    alt_m: float = 50.0
    gsd_cm: float | None = None  # when set, the survey altitude comes from the GSD
    speed_mps: float = 8.0
    side_overlap_pct: float = 30.0
    front_overlap_pct: float = 70.0
    hfov_deg: float = 80.0
    image_width_px: int = 4000
    image_height_px: int = 3000
    angle_deg: float = 0.0
    laps: int = 1
    inset_m: float = 10.0
    passes_per_side: int = 0
    battery_wh: float = 100.0


@dataclass
class PlanDraft:
    """Geometry, pattern and parameters, plus the last generated plan and report (or the error)."""

    pattern: str = "survey"
    polygon: list[tuple[float, float]] = field(default_factory=list)
    route: list[tuple[float, float]] = field(default_factory=list)
    fence_polygon: list[tuple[float, float]] = field(default_factory=list)
    home: tuple[float, float, float] | None = None
    params: PlanParams = field(default_factory=PlanParams)
    plan: object = None  # flight.planning.PatrolPlan
    report: object = None  # flight.planning.PlanReport
    error: str = ""
    edited: bool = False
    imported_fence: object = None  # flight.planning.Geofence from an imported/downloaded plan

    def geometry(self) -> list[tuple[float, float]]:
        return self.polygon if NEEDS[self.pattern] == "polygon" else self.route

    def effective_home(self):
        """The vehicle's home when known, else the first vertex of the geometry (ground level 0 m)."""
        from flight.planning import Home

        if self.home is not None:
            return Home(*self.home)
        pts = self.geometry()
        if not pts:
            raise ValueError("no home: connect to a vehicle or draw the area first")
        return Home(pts[0][0], pts[0][1], 0.0)

    def _fence(self):
        from flight.planning import FencePolygon, Geofence

        if len(self.fence_polygon) >= 3:
            return Geofence([FencePolygon(list(self.fence_polygon), True)])
        return self.imported_fence

    def vehicle_profile(self):
        from flight.planning import VehicleProfile

        return VehicleProfile(cruise_speed_mps=self.params.speed_mps, battery_wh=self.params.battery_wh,
                              max_speed_mps=max(15.0, self.params.speed_mps))

    def generate(self) -> bool:
        """(Re)build the plan from geometry and parameters; False with ``error`` set when it cannot."""
        from flight.planning import CameraSpec, PlanError, plan_corridor, plan_loop, plan_perimeter, plan_survey

        p = self.params
        pts = self.geometry()
        need = 3 if NEEDS[self.pattern] == "polygon" else 2
        if len(pts) < need:
            self.plan, self.report = None, None
            self.error = f"{self.pattern} needs a {NEEDS[self.pattern]} of at least {need} points (draw or import one)"
            return False
        camera = CameraSpec(p.hfov_deg, p.image_width_px, p.image_height_px)
        try:
            home = self.effective_home()
            fence = self._fence()
            if self.pattern == "survey":
                alt = dict(gsd_cm=p.gsd_cm) if p.gsd_cm else dict(alt_m=p.alt_m)
                plan = plan_survey(pts, home, camera=camera, side_overlap_pct=p.side_overlap_pct,
                                   front_overlap_pct=p.front_overlap_pct, angle_deg=p.angle_deg,
                                   speed_mps=p.speed_mps, fence=fence, **alt)
            elif self.pattern == "loop":
                plan = plan_loop(pts, home, alt_m=p.alt_m, speed_mps=p.speed_mps, laps=p.laps, fence=fence)
            elif self.pattern == "corridor":
                plan = plan_corridor(pts, home, alt_m=p.alt_m, passes_per_side=p.passes_per_side, camera=camera,
                                     side_overlap_pct=p.side_overlap_pct, speed_mps=p.speed_mps, fence=fence)
            else:
                plan = plan_perimeter(pts, home, inset_m=p.inset_m, alt_m=p.alt_m, speed_mps=p.speed_mps,
                                      laps=p.laps, camera=camera, fence=fence)
        except (PlanError, ValueError) as exc:
            self.plan, self.report = None, None
            self.error = f"cannot plan {self.pattern}: {exc}"
            return False
        self.plan = plan
        self.edited = False
        return self.check()

    def check(self) -> bool:
        """Validate the current plan (fence, altitude, range, battery); True when feasible."""
        from flight.planning import check_plan

        if self.plan is None:
            return False
        self.report = check_plan(self.plan, self.vehicle_profile())
        self.error = "" if self.report.feasible else "INFEASIBLE: " + "; ".join(str(v) for v in self.report.violations)
        return self.report.feasible

    def nav_indices(self) -> list[int]:
        """Indices of plan items that have a drawable position (waypoints etc., not takeoff at 0,0)."""
        if self.plan is None:
            return []
        return [i for i, it in enumerate(self.plan.items)
                if it.is_nav_position and not (it.x == 0 and it.y == 0)]

    def waypoints(self) -> tuple[list[float], list[float], list[int]]:
        """(lats, lons, numbers) of the drawable items; numbers are mission seq as the vehicle sees it (home = 0)."""
        idx = self.nav_indices()
        items = self.plan.items if self.plan is not None else []
        return ([items[i].lat_deg for i in idx], [items[i].lon_deg for i in idx], [i + 1 for i in idx])

    def move_waypoint(self, nav_index: int, lat: float, lon: float) -> bool:
        """Drag edit: move the ``nav_index``-th drawable item, then re-validate; returns feasibility."""
        from flight.mission import deg_to_e7

        idx = self.nav_indices()[nav_index]
        items = list(self.plan.items)
        items[idx] = replace(items[idx], x=deg_to_e7(lat), y=deg_to_e7(lon))
        self.plan.items = items
        self.edited = True
        return self.check()

    def mission_plan(self):
        """The ``flight.mission.MissionPlan`` to upload."""
        if self.plan is None:
            raise ValueError(self.error or "no plan yet")
        return self.plan.to_mission_plan()

    def stats_text(self) -> str:
        """Distance, time, area, battery — or the reason there is no plan."""
        if self.report is None:
            return self.error or "no plan"
        r = self.report
        area = f"{r.area_covered_m2 / 1e4:.2f} ha" + (f" ({r.coverage_pct:.0f} % of target)" if r.coverage_pct is not None else "")
        text = (f"{r.n_items} items · {r.distance_m / 1000:.2f} km · {r.duration_s / 60:.1f} min"
                f"{' per lap' if r.endless else ''}\narea {area}\nbattery {r.battery_used_pct:.0f} %"
                f" ({r.energy_wh:.0f} of {r.usable_wh:.0f} Wh usable)")
        if self.plan is not None and self.pattern == "survey" and self.plan.surveys:
            s = self.plan.surveys[0]
            text += f"\nsurvey alt {s.alt_m:.0f} m, line spacing {s.spacing_m:.0f} m"
        return text + ("\nedited by hand" if self.edited else "")

    def load_patrol_plan(self, plan) -> None:
        """Show an imported ``PatrolPlan`` (from a .plan / .waypoints file) as the current, hand-edited plan."""
        self.plan = plan
        self.imported_fence = plan.fence if plan.fence is not None and not plan.fence.empty else None
        self.home = (plan.home.lat, plan.home.lon, plan.home.alt_amsl_m)
        if plan.area_polygon:
            self.polygon = list(plan.area_polygon)
        self.edited = True
        self.check()

    def load_mission_plan(self, mission_plan, home: tuple[float, float, float] | None = None) -> None:
        """Show a downloaded/imported ``MissionPlan`` as the current plan (manual, no regeneration)."""
        from flight.planning import Geofence, Home, PatrolPlan

        h = home or self.home or (0.0, 0.0, 0.0)
        from flight.planning import RallyPoint

        fence = Geofence.from_items(list(mission_plan.fence_items)) if mission_plan.fence_items else None
        self.imported_fence = fence
        rally = [RallyPoint(it.lat_deg, it.lon_deg, it.z) for it in mission_plan.rally_items]
        self.plan = PatrolPlan(kind="imported", home=Home(*h), items=list(mission_plan.items), fence=fence,
                               rally=rally, cruise_speed_mps=self.params.speed_mps)
        self.edited = True
        positions = [(it.lat_deg, it.lon_deg) for it in self.plan.items if it.is_nav_position and (it.x or it.y)]
        if self.home is None and positions:
            self.home = (positions[0][0], positions[0][1], 0.0)
            self.plan.home = Home(*self.home)
        self.check()


def fence_geometry(plan) -> tuple[list, list, list]:
    """(polygons [(ring, inclusion)], circles [(lat, lon, r, inclusion)], rally [(lat, lon)]) of a PatrolPlan."""
    if plan is None or getattr(plan, "fence", None) is None:
        return [], [], []
    f = plan.fence
    return ([(list(p.vertices), p.inclusion) for p in f.polygons],
            [(c.lat, c.lon, c.radius_m, c.inclusion) for c in f.circles],
            [(r.lat, r.lon) for r in getattr(plan, "rally", []) or []])
