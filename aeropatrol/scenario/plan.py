"""The patrol each drone flies, planned with ``flight.planning`` over the scenario's town."""
from __future__ import annotations

from aeropatrol.scenario_config import Drone


def drone_home(town, drone: Drone) -> tuple[float, float, float]:
    """Take-off point of a drone: the town centre plus its offset (E, N metres), on the ground."""
    e, n = drone.takeoff_offset_m
    lat, lon, alt = town.frame.to_wgs84(e, n, 0.0)
    return float(lat), float(lon), float(alt)


def plan_patrol(town, drone: Drone):
    """A ``flight.planning.PatrolPlan`` for the drone's pattern: loop through waypoints, survey of an area,
    or corridor along a road; the gimbal is pitched for the patrol right after take-off."""
    from flight.planning import Home, plan_corridor, plan_survey
    from flight.planning.items import ItemBuilder
    from flight.planning.loop import build_loop_items
    from flight.planning.model import PatrolPlan

    p = drone.patrol
    lat0, lon0, alt0 = drone_home(town, drone)
    home = Home(lat0, lon0, alt0)

    def ll(points):
        out = []
        for e, n in points:
            lat, lon, _ = town.frame.to_wgs84(e, n, 0.0)
            out.append((float(lat), float(lon)))
        return out

    if p.pattern == "loop":
        wps = ll(p.waypoints)
        b = ItemBuilder()
        b.takeoff(p.altitude_m)
        b.gimbal(p.gimbal_pitch_deg)
        build_loop_items(b, wps, [p.altitude_m] * len(wps), [p.speed_mps] * len(wps), 1)  # laps: the controller
        b.rtl()
        return PatrolPlan(kind="loop", home=home, items=b.items, cruise_speed_mps=p.speed_mps,
                          notes={"laps": p.laps, "waypoints": len(wps)})
    if p.pattern == "survey":
        plan = plan_survey(ll(p.area or []), home, alt_m=p.altitude_m, speed_mps=p.speed_mps)
    else:
        road = town.road(p.road)
        pts = [tuple(c) for c in road.line.coords]
        plan = plan_corridor(ll(pts), home, alt_m=p.altitude_m, speed_mps=p.speed_mps)
        return plan
    b = ItemBuilder()
    b.gimbal(p.gimbal_pitch_deg)
    items = list(plan.items)
    items.insert(1, b.items[0])
    return PatrolPlan(kind=plan.kind, home=home, items=items, fence=plan.fence, rally=plan.rally,
                      swath_m=plan.swath_m, cruise_speed_mps=plan.cruise_speed_mps, notes=plan.notes)
