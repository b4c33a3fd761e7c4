"""Loop, corridor, perimeter and orbit planners: items, laps, speeds, offsets, camera pointing."""
from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from flight.mission import Cmd
from flight.planning import (ENDLESS, CameraSpec, FenceCircle, Geofence, GuidedOrbit, Home, PlanParameterError,
                             check_plan, plan_corridor, plan_loop, plan_orbit, plan_perimeter)
from flight.planning.geometry import to_enu_xy
from flight.planning.route import fly_route
from flight.planning.model import VehicleProfile

HOME = Home(-35.363261, 149.165230, 584.0)
FRAME = HOME.frame()


def ll(*xy):
    arr = np.asarray(xy, dtype=float)
    lat, lon, _ = FRAME.to_wgs84(arr[:, 0], arr[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def enu(item):
    return tuple(to_enu_xy(FRAME, [(item.lat_deg, item.lon_deg)])[0])


SQUARE = ll((0, 100), (200, 100), (200, 300), (0, 300))


def test_loop_three_laps_jump_and_distance():
    plan = plan_loop(SQUARE, HOME, alt_m=50, speed_mps=8, laps=3)
    jumps = [it for it in plan.items if it.command == Cmd.DO_JUMP]
    assert len(jumps) == 1
    target = int(jumps[0].param1)
    assert jumps[0].param2 == 2  # 3 laps = 1 pass + 2 repeats
    assert plan.items[target - 1].command == Cmd.NAV_WAYPOINT  # jumps to the item after WP0
    report = check_plan(plan)
    expected = 50 + 100 + 3 * 800 + 100 + 50  # climb, home->WP0, laps, WP0->home, descend
    assert report.distance_m == pytest.approx(expected, abs=0.5)
    assert not report.endless


def test_loop_endless_reports_laps_possible():
    plan = plan_loop(SQUARE, HOME, alt_m=50, laps=ENDLESS)
    jump = next(it for it in plan.items if it.command == Cmd.DO_JUMP)
    assert jump.param2 == -1
    report = check_plan(plan, VehicleProfile(battery_wh=100, reserve_fraction=0.2))
    assert report.endless
    # one lap of 800 m at 8 m/s: 100 s at 280 + 0.06*512 W = 8.63 Wh
    lap_wh = 100 * (280 + 0.06 * 8 ** 3) / 3600
    first = report.energy_wh
    assert report.laps_possible == 1 + int((80 - first) // lap_wh)
    assert check_plan(plan_loop(SQUARE, HOME, laps=0)).endless


def test_loop_speed_and_altitude_per_leg():
    plan = plan_loop(SQUARE, HOME, alt_m=[40, 50, 60, 70], speed_mps=[4, 6, 8, 10], laps=2)
    route = fly_route(plan.items, HOME, VehicleProfile())
    fly = [leg for leg in route.legs if leg.kind == "fly"]
    # legs after reaching WP0: two laps of 4 legs with speeds 4, 6, 8, 10
    lap_legs = fly[1:9]
    assert [leg.speed_mps for leg in lap_legs] == [4, 6, 8, 10, 4, 6, 8, 10]
    assert [leg.end[2] for leg in lap_legs[:4]] == [50, 60, 70, 40]
    with pytest.raises(PlanParameterError, match="expected 4 values"):
        plan_loop(SQUARE, HOME, alt_m=[40, 50])
    with pytest.raises(PlanParameterError, match="2 waypoints"):
        plan_loop(SQUARE[:1], HOME)


def test_corridor_offsets_and_camera_points_at_the_road():
    road = ll((-300, 0), (300, 0))
    plan = plan_corridor(road, HOME, alt_m=40, passes_per_side=1, pass_spacing_m=30, camera=CameraSpec(80))
    assert plan.notes["offsets_m"] == [30.0, 0.0, -30.0]
    road_xy = LineString([(-300, 0), (300, 0)])
    pitch_yaw = []
    seen = []
    heading = None
    cur = None
    for it in plan.items:
        if it.command == Cmd.DO_GIMBAL_MANAGER_PITCHYAW:
            cur = (it.param1, it.param2)
            pitch_yaw.append(cur)
        elif it.command == Cmd.NAV_WAYPOINT:
            seen.append((enu(it), cur))
    assert pitch_yaw[0][0] == pytest.approx(-math.degrees(math.atan2(40, 30)))
    assert pitch_yaw[1] == (-90.0, 0.0)
    # per pass, the camera looks from the pass toward the road: heading + yaw points at the road
    for (a, cam_a), (b, _) in zip(seen[:-1], seen[1:]):
        if cam_a is None or cam_a[1] == 0.0 or math.dist(a, b) < 1:
            continue
        if abs(Point(a).distance(road_xy) - Point(b).distance(road_xy)) > 1:
            continue  # a move between passes
        heading = math.atan2(b[0] - a[0], b[1] - a[1])
        look = heading + math.radians(cam_a[1])
        to_road = np.array([0.0, -a[1]])
        assert np.dot([math.sin(look), math.cos(look)], to_road) > 0
        assert Point(a).distance(road_xy) == pytest.approx(30.0, abs=0.6)


def test_corridor_roi_mode_puts_roi_on_the_road():
    road = ll((-200, 0), (0, 100), (200, 100))
    plan = plan_corridor(road, HOME, alt_m=40, passes_per_side=1, pass_spacing_m=25, pointing="roi")
    line = LineString([(-200, 0), (0, 100), (200, 100)])
    rois = [it for it in plan.items if it.command == Cmd.DO_SET_ROI_LOCATION]
    assert len(rois) == sum(1 for it in plan.items if it.command == Cmd.NAV_WAYPOINT)
    assert max(Point(enu(r)).distance(line) for r in rois) < 0.05
    assert plan.items[-2].command == Cmd.DO_SET_ROI_NONE


def test_perimeter_ring_is_inset_inside_and_counter_clockwise():
    area_xy = [(0, 0), (300, 0), (300, 100), (100, 100), (100, 250), (0, 250)]
    plan = plan_perimeter(ll(*area_xy), HOME, inset_m=12, alt_m=45, laps=2, camera=CameraSpec(80))
    poly = Polygon(area_xy)
    wps = [enu(it) for it in plan.items if it.command == Cmd.NAV_WAYPOINT]
    assert all(poly.contains(Point(p)) for p in wps)
    # never closer than the inset to the boundary, and exactly the inset along the edges
    assert LineString(wps).distance(poly.exterior) == pytest.approx(12, abs=0.3)
    assert sum(Point(p).distance(poly.exterior) == pytest.approx(12, abs=0.3) for p in wps) >= len(set(wps)) - 1
    ring = Polygon(wps[:-1] if wps[0] == wps[-1] else wps)
    assert ring.exterior.is_ccw
    g = next(it for it in plan.items if it.command == Cmd.DO_GIMBAL_MANAGER_PITCHYAW)
    assert (g.param1, g.param2) == (-45.0, -90.0)
    assert next(it for it in plan.items if it.command == Cmd.DO_JUMP).param2 == 1
    with pytest.raises(PlanParameterError, match="leaves nothing"):
        plan_perimeter(ll(*area_xy), HOME, inset_m=500)


def test_orbit_items_guided_description_and_fence_check():
    (clat, clon), = ll((150, 150))
    orbit = GuidedOrbit(clat, clon, radius_m=40, alt_m=35, speed_mps=5, clockwise=False, turns=2)
    r, v, yaw, turns, x, y, alt = orbit.do_orbit_params()
    assert (r, v, yaw, turns, alt) == (-40, 5, 0.0, 2.0, 35)
    assert (x, y) == (round(clat * 1e7), round(clon * 1e7))
    assert orbit.period_s == pytest.approx(2 * math.pi * 40 / 5)
    pts = to_enu_xy(FRAME, orbit.circle_points(12))
    assert np.allclose(np.hypot(pts[:, 0] - 150, pts[:, 1] - 150), 40, atol=0.05)
    # counter-clockwise: the signed area of the point sequence is positive
    assert Polygon(pts).exterior.is_ccw
    plan = plan_orbit(orbit, HOME, standalone=True)
    cmds = [it.command for it in plan.items]
    assert cmds == [Cmd.NAV_TAKEOFF, Cmd.DO_SET_ROI_LOCATION, Cmd.DO_CHANGE_SPEED, Cmd.NAV_LOITER_TURNS,
                    Cmd.DO_SET_ROI_NONE, Cmd.NAV_RETURN_TO_LAUNCH]
    loiter = plan.items[3]
    assert (loiter.param1, loiter.param3) == (2.0, -40.0)
    assert check_plan(plan).distance_m == pytest.approx(35 + 2 * 212.13 + 2 * 2 * math.pi * 40 + 35, abs=1.0)
    # an exclusion circle touching the orbit but not the straight legs is caught
    (elat, elon), = ll((150, 195))
    plan.fence = Geofence(circles=[FenceCircle(elat, elon, 10, inclusion=False)])
    report = check_plan(plan)
    assert [v.kind for v in report.violations] == ["fence"]
    assert "loiter circle" in report.violations[0].message
    with pytest.raises(PlanParameterError):
        GuidedOrbit(clat, clon, radius_m=0, alt_m=30)
