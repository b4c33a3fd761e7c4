"""Planner time and coverage for a 2 km^2 survey: a rectangle (baseline) and a concave area with a hole.

Run: .venv/bin/python -m bench.flight_planner [--quick]
Coverage is measured independently with shapely from the photo footprints along the imaging legs.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import shapely
from shapely.geometry import Polygon

from flight.mission import Cmd
from flight.planning import CameraSpec, Home, check_plan, plan_survey
from flight.planning.geometry import to_enu_xy

HOME = Home(47.397742, 8.545594, 488.0)
CAM = CameraSpec(80.0, 4000, 3000)


def _areas() -> dict[str, tuple[list, list]]:
    side = math.sqrt(2e6)
    rect = [(0, 0), (side, 0), (side, side), (0, side)]
    # U-shape (2 arms) with a hole in its base, scaled to 2 km^2
    u = Polygon([(0, 0), (1800, 0), (1800, 1500), (1200, 1500), (1200, 600), (600, 600), (600, 1500), (0, 1500)])
    hole = [(800, 150), (1000, 150), (1000, 350), (800, 350)]
    k = math.sqrt(2e6 / (u.area - Polygon(hole).area))
    return {"rectangle": ([(x * k / k, y) for x, y in rect], []),
            "U + hole": ([(x * k, y * k) for x, y in u.exterior.coords[:-1]], [[(x * k, y * k) for x, y in hole]])}


def _ll(xy):
    arr = np.asarray(xy, dtype=float) + 100.0
    lat, lon, _ = HOME.frame().to_wgs84(arr[:, 0], arr[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def _photo_coverage(plan, ring, holes) -> float:
    """Fraction of the area inside the union of photo footprints (photos every trigger distance, ends included)."""
    across, along = plan.notes["footprint_m"]
    trig = plan.notes["trigger_distance_m"]
    frame = HOME.frame()
    target = Polygon(to_enu_xy(frame, ring), [to_enu_xy(frame, h) for h in holes])
    span = plan.surveys[0]
    items = plan.items[span.first:span.last]
    rects = []
    on = False
    prev = None
    for it in items:
        if it.command == Cmd.DO_SET_CAM_TRIGG_DIST:
            on = it.param1 > 0
        elif it.command == Cmd.NAV_WAYPOINT:
            p = to_enu_xy(frame, [(it.lat_deg, it.lon_deg)])[0]
            if on and prev is not None:
                d = p - prev
                length = float(np.hypot(*d))
                u = d / length
                n = np.array([-u[1], u[0]])
                for t in np.linspace(0, length, max(1, math.ceil(length / trig)) + 1):
                    c = prev + u * t
                    rects.append(Polygon([c + u * sx * along / 2 + n * sy * across / 2
                                          for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]))
            prev = p
    cover = shapely.union_all(rects)
    return cover.intersection(target).area / target.area


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = ap.parse_args()
    reps = 2 if args.quick else 5
    base = None
    print(f"survey of 2 km^2 at 60 m, hfov 80 deg, side overlap 20 %, front overlap 70 %; best of {reps}")
    for name, (ring_xy, holes_xy) in _areas().items():
        ring, holes = _ll(ring_xy), [_ll(h) for h in holes_xy]
        best = math.inf
        for _ in range(reps):
            t0 = time.perf_counter()
            plan = plan_survey(ring, HOME, alt_m=60.0, camera=CAM, side_overlap_pct=20, front_overlap_pct=70,
                               angle_deg=30.0, speed_mps=10.0, holes=holes)
            best = min(best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = check_plan(plan)
        t_check = time.perf_counter() - t0
        cov = _photo_coverage(plan, ring, holes)
        base = base or best
        print(f"{name:10s}: plan {best * 1000:7.1f} ms (x{best / base:.2f} of rectangle), check {t_check * 1000:6.1f} ms, "
              f"{len(plan.items)} items, {plan.notes['segments']} transects, {report.distance_m / 1000:.1f} km, "
              f"{report.duration_s / 60:.0f} min, {report.energy_wh:.0f} Wh, photo coverage {100 * cov:.2f} %")


if __name__ == "__main__":
    main()
