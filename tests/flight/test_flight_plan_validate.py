"""Plan validation: fence (polygons, circles, all/any rule), altitude band, range, battery; typed refusals."""
from __future__ import annotations

import numpy as np
import pytest

from flight.mission import Cmd, Frame, MissionItem
from flight.planning import (AltitudeViolation, BatteryInsufficient, FenceCircle, FencePolygon, FenceViolation, Geofence,
                             Home, InfeasiblePlan, PatrolPlan, RangeViolation, SafetyLimits, VehicleProfile, check_plan,
                             plan_loop, plan_survey, validate_plan)
from flight.planning.items import ItemBuilder

HOME = Home(47.397742, 8.545594, 488.0)
FRAME = HOME.frame()


def ll(*xy):
    arr = np.asarray(xy, dtype=float)
    lat, lon, _ = FRAME.to_wgs84(arr[:, 0], arr[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def out_and_back(east=400.0, alt=50.0):
    b = ItemBuilder()
    b.takeoff(alt)
    b.waypoint(*ll((east, 0))[0], alt)
    b.rtl()
    return PatrolPlan("test", HOME, b.items)


def test_energy_time_distance_follow_the_documented_model():
    v = VehicleProfile()
    r = check_plan(out_and_back(), v)
    climb_s, cruise_s, descend_s = 50 / 2.5, 400 / 8, 50 / 1.5
    assert r.duration_s == pytest.approx(climb_s + 2 * cruise_s + descend_s, rel=1e-5)  # 1e-7 deg rounding
    climb_w = 280 + 2.0 * 9.80665 * 2.5 / 0.7
    cruise_w = 280 + 0.06 * 8 ** 3
    wh = (climb_w * climb_s + 2 * cruise_w * cruise_s + 280 * descend_s) / 3600
    assert r.energy_wh == pytest.approx(wh, rel=1e-5)
    assert r.distance_m == pytest.approx(50 + 800 + 50, abs=0.05)
    assert r.battery_used_pct == pytest.approx(100 * wh / 100, rel=1e-5)
    assert r.max_distance_from_home_m == pytest.approx(400, abs=0.01)
    assert r.feasible and not r.return_added


def test_return_home_is_added_when_the_mission_does_not_end_there():
    plan = out_and_back()
    plan.items = plan.items[:-1]
    r = check_plan(plan)
    assert r.return_added
    assert r.distance_m == pytest.approx(900, abs=0.05)


def test_battery_refusal_is_typed_and_explains():
    with pytest.raises(BatteryInsufficient, match=r"needs .* Wh, usable 8.0 Wh"):
        validate_plan(out_and_back(), VehicleProfile(battery_wh=10))


def test_altitude_band_and_range():
    with pytest.raises(AltitudeViolation) as e:
        validate_plan(out_and_back(alt=150), limits=SafetyLimits(max_alt_m=120))
    assert e.value.violations[0].item_index == 0
    with pytest.raises(RangeViolation, match="400 m from home > limit 300"):
        validate_plan(out_and_back(), limits=SafetyLimits(max_distance_m=300))
    with pytest.raises(InfeasiblePlan) as e:
        validate_plan(out_and_back(east=3000, alt=150), VehicleProfile(battery_wh=20))
    assert e.value.kinds == {"altitude", "distance", "battery"}
    assert type(e.value) is InfeasiblePlan


def test_amsl_frame_altitudes_are_compared_above_home():
    plan = out_and_back()
    wp = plan.items[1]
    from dataclasses import replace
    plan.items[1] = replace(wp, frame=int(Frame.GLOBAL), z=HOME.alt_amsl_m + 60)
    assert check_plan(plan).max_alt_m == pytest.approx(60)


def test_fence_inclusion_polygon_exclusion_polygon_and_circles():
    plan = out_and_back()
    big = FencePolygon(ll((-50, -50), (500, -50), (500, 50), (-50, 50)))
    small = FencePolygon(ll((-50, -50), (300, -50), (300, 50), (-50, 50)))
    plan.fence = Geofence([big])
    assert check_plan(plan).feasible
    plan.fence = Geofence([small])
    with pytest.raises(FenceViolation, match="leaves inclusion zone 0"):
        validate_plan(plan)
    plan.fence = Geofence([big, FencePolygon(ll((190, -10), (210, -10), (210, 10), (190, 10)), inclusion=False)])
    with pytest.raises(FenceViolation, match="exclusion polygon 0"):
        validate_plan(plan)
    # an exclusion circle 5 m beside the leg is fine, one on it is not
    (clat, clon), = ll((200, 25))
    plan.fence = Geofence([big], [FenceCircle(clat, clon, 20, inclusion=False)])
    assert check_plan(plan).feasible
    plan.fence = Geofence([big], [FenceCircle(clat, clon, 30, inclusion=False)])
    with pytest.raises(FenceViolation, match="exclusion circle 0"):
        validate_plan(plan)
    (hlat, hlon), = ll((0, 0))
    plan.fence = Geofence(circles=[FenceCircle(hlat, hlon, 390)])
    with pytest.raises(FenceViolation):
        validate_plan(plan)
    plan.fence = Geofence(circles=[FenceCircle(hlat, hlon, 410)])
    assert check_plan(plan).feasible


def test_inclusion_rule_all_versus_any():
    plan = out_and_back()
    west = FencePolygon(ll((-50, -50), (450, -50), (450, 50), (-50, 50)))
    elsewhere = FencePolygon(ll((1000, 1000), (1100, 1000), (1100, 1100)))
    plan.fence = Geofence([west, elsewhere])
    assert check_plan(plan, inclusion_rule="any").feasible  # PX4: inside at least one
    assert not check_plan(plan, inclusion_rule="all").feasible  # ArduPilot: inside every one


def test_survey_refused_when_fence_cuts_the_area():
    area = ll((50, 50), (350, 50), (350, 250), (50, 250))
    fence = Geofence([FencePolygon(ll((0, 0), (250, 0), (250, 300), (0, 300)))])
    plan = plan_survey(area, HOME, alt_m=50, fence=fence)
    with pytest.raises(FenceViolation):
        validate_plan(plan)
    ok = plan_survey(area, HOME, alt_m=50, fence=Geofence([FencePolygon(ll((-10, -10), (400, -10), (400, 300), (-10, 300)))]))
    report = validate_plan(ok)
    assert report.coverage_pct >= 99.9


def test_fence_items_round_trip():
    fence = Geofence([FencePolygon(ll((0, 0), (100, 0), (100, 100))), FencePolygon(ll((10, 10), (20, 10), (20, 20), (10, 20)), False)],
                     [FenceCircle(47.4, 8.5, 50.0), FenceCircle(47.41, 8.51, 20.0, False)], return_point=(47.39, 8.54))
    items = fence.to_items()
    assert [it.seq for it in items] == list(range(len(items)))
    assert {it.mission_type for it in items} == {1}
    assert items[1].command == Cmd.NAV_FENCE_POLYGON_VERTEX_INCLUSION and items[1].param1 == 3
    back = Geofence.from_items(items)
    assert back.return_point == pytest.approx((47.39, 8.54))
    assert [len(p.vertices) for p in back.polygons] == [3, 4]
    assert [p.inclusion for p in back.polygons] == [True, False]
    assert [(c.radius_m, c.inclusion) for c in back.circles] == [(50.0, True), (20.0, False)]


def test_mission_plan_has_three_lists():
    plan = plan_loop(ll((0, 100), (100, 100), (100, 200)), HOME, laps=2)
    from flight.planning import RallyPoint
    plan.rally = [RallyPoint(*ll((10, 10))[0], 30)]
    mp = plan.to_mission_plan()
    assert [it.seq for it in mp.items] == list(range(len(plan.items)))
    assert mp.rally_items[0].command == Cmd.NAV_RALLY_POINT and mp.rally_items[0].mission_type == 2
    assert mp.fence_items == []
    assert isinstance(mp.items[0], MissionItem)
