"""Survey planner properties: coverage by real camera footprints, side overlap, no leg leaves the polygon."""
from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Polygon

from flight.mission import Cmd
from flight.planning import CameraSpec, Home, PlanParameterError, check_plan, layout_survey, plan_survey, survey_spacing
from flight.planning.geometry import to_enu_xy

HOME = Home(47.397742, 8.545594, 488.0)
FRAME = HOME.frame()
CAM = CameraSpec(80.0, 4000, 3000)

U_SHAPE = Polygon([(0, 0), (300, 0), (300, 300), (200, 300), (200, 100), (100, 100), (100, 300), (0, 300)])
L_SHAPE = Polygon([(0, 0), (400, 0), (400, 120), (120, 120), (120, 400), (0, 400)])
HOLED = Polygon([(0, 0), (400, 0), (400, 400), (0, 400)], [[(150, 150), (250, 150), (250, 250), (150, 250)]])


def ll(xy):
    lat, lon, _ = FRAME.to_wgs84(np.asarray(xy)[:, 0], np.asarray(xy)[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def photos(seg, across, along, trigger):
    """Footprint rectangles of photos taken every `trigger` m along a segment (both ends included)."""
    a, b = np.asarray(seg[0]), np.asarray(seg[1])
    length = float(np.hypot(*(b - a)))
    d = (b - a) / length
    n = np.array([-d[1], d[0]])
    count = max(1, math.ceil(length / trigger))
    rects = []
    for t in np.linspace(0, length, count + 1):
        c = a + d * t
        corners = [c + d * sx * along / 2 + n * sy * across / 2 for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
        rects.append(Polygon(corners))
    return shapely.union_all(rects)


def coverage(poly, imaging, across, along, trigger):
    cover = shapely.union_all([photos(s, across, along, trigger) for s in imaging])
    return cover.intersection(poly).area / poly.area, cover


def legs_inside(poly, waypoints, tol=0.01):
    area = poly.buffer(tol)
    return [k for k, (a, b) in enumerate(zip(waypoints[:-1], waypoints[1:])) if not area.covers(LineString([a, b]))]


@pytest.mark.parametrize("name,poly", [("U", U_SHAPE), ("L", L_SHAPE), ("hole", HOLED)])
@pytest.mark.parametrize("angle", [0.0, 37.0, 90.0])
def test_concave_and_holed_surveys_stay_inside_and_cover(name, poly, angle):
    alt, overlap = 40.0, 20.0
    spacing, across, along = survey_spacing(CAM, alt, overlap)
    geom = layout_survey(poly, spacing, angle, footprint_m=(across, along))
    assert legs_inside(poly, geom.waypoints) == []
    frac, _ = coverage(poly, geom.imaging, across, along, along * 0.3)
    assert frac >= 0.999, f"{name} at {angle} deg covers only {frac:.4f}"
    # no imaging segment crosses a hole or a concavity
    for a, b in geom.imaging:
        assert poly.buffer(0.01).covers(LineString([a, b]))


def test_u_shape_without_gap_fill_would_miss_the_arm_and_gap_fill_fixes_it():
    spacing, across, along = survey_spacing(CameraSpec(80.0), 60.0, 20.0)  # ~80 m lines over 100 m arms
    plain = layout_survey(U_SHAPE, spacing, 0.0)
    filled = layout_survey(U_SHAPE, spacing, 0.0, footprint_m=(across, along))
    f_plain, _ = coverage(U_SHAPE, plain.imaging, across, along, along * 0.3)
    f_filled, _ = coverage(U_SHAPE, filled.imaging, across, along, along * 0.3)
    assert f_plain < 0.99
    assert f_filled >= 0.999
    assert len(filled.imaging) > len(plain.imaging)


def test_side_overlap_between_adjacent_lines_is_at_least_the_asked_one():
    rect = Polygon([(0, 0), (500, 0), (500, 300), (0, 300)])
    for overlap in (10.0, 30.0, 60.0):
        spacing, across, along = survey_spacing(CAM, 50.0, overlap)
        geom = layout_survey(rect, spacing, 0.0, footprint_m=(across, along))
        xs = sorted({round(a[0], 6) for a, _ in geom.imaging})  # angle 0: lines run north-south
        assert len(xs) >= 2
        gaps = np.diff(xs)
        assert np.allclose(gaps, spacing)
        # measured with shapely: overlap of two neighbouring swaths at mid-height
        swaths = [photos(s, across, along, along * 0.3) for s in geom.imaging]
        by_x = sorted(zip([a[0] for a, _ in geom.imaging], swaths), key=lambda t: t[0])
        cut = LineString([(-1000, 150), (1500, 150)])
        width = by_x[0][1].intersection(by_x[1][1]).intersection(cut).length
        assert width / across >= overlap / 100.0 - 1e-6


def test_plan_survey_items_alt_spacing_gsd_and_trigger():
    poly_xy = np.array(U_SHAPE.exterior.coords)[:-1] + [100.0, 50.0]
    plan = plan_survey(ll(poly_xy), HOME, gsd_cm=2.0, camera=CAM, side_overlap_pct=25, front_overlap_pct=70,
                       angle_deg=90.0, speed_mps=9.0)
    alt = plan.notes["alt_m"]
    assert CAM.gsd_cm(alt) == pytest.approx(2.0)
    assert alt == pytest.approx(0.02 * 2000 / math.tan(math.radians(40)))  # f = (W/2)/tan(hfov/2)
    across, along = CAM.footprint_m(alt)
    assert plan.notes["spacing_m"] == pytest.approx(across * 0.75)
    assert plan.notes["trigger_distance_m"] == pytest.approx(along * 0.30)
    cmds = [it.command for it in plan.items]
    assert cmds[0] == Cmd.NAV_TAKEOFF and cmds[1] == Cmd.DO_CHANGE_SPEED and cmds[-1] == Cmd.NAV_RETURN_TO_LAUNCH
    trig = [it for it in plan.items if it.command == Cmd.DO_SET_CAM_TRIGG_DIST]
    assert len(trig) == 2 * plan.notes["segments"]
    assert {round(t.param1, 6) for t in trig} == {0.0, round(plan.notes["trigger_distance_m"], 6)}
    # every survey leg (waypoint to waypoint inside the span) stays inside the polygon, in real coordinates
    span = plan.surveys[0]
    wps = [it for it in plan.items[span.first:span.last] if it.command == Cmd.NAV_WAYPOINT]
    xy = to_enu_xy(FRAME, [(w.lat_deg, w.lon_deg) for w in wps])
    target = Polygon(poly_xy)
    assert legs_inside(target, [tuple(p) for p in xy], tol=0.05) == []
    assert all(w.z == pytest.approx(alt) for w in wps)
    report = check_plan(plan)
    assert report.coverage_pct == pytest.approx(100.0, abs=0.05)
    assert report.area_target_m2 == pytest.approx(target.area, rel=1e-3)


@pytest.mark.parametrize("entry", [0, 1, 2, 3])
def test_entry_corner_selects_the_first_waypoint(entry):
    rect = Polygon([(0, 0), (400, 0), (400, 200), (0, 200)])
    geom = layout_survey(rect, 50.0, 90.0, entry=entry)  # lines east-west: u = east, v = north... first line south
    first = geom.waypoints[0]
    south = first[1] < 100
    west = first[0] < 200
    # angle 90: u axis points east; v = x*cos - y*sin = -north, so the "first" line (smallest v) is the northern one
    assert south == (entry in (2, 3))
    assert west == (entry in (0, 2))


def test_turnaround_outside_only_when_allowed():
    rect = Polygon([(0, 0), (300, 0), (300, 200), (0, 200)])
    inside = layout_survey(rect, 50.0, 0.0, turnaround_m=20.0)
    outside = layout_survey(rect, 50.0, 0.0, turnaround_m=20.0, keep_inside=False)
    assert legs_inside(rect, inside.waypoints) == []
    ys = [p[1] for p in outside.waypoints]
    assert min(ys) == pytest.approx(-20.0) and max(ys) == pytest.approx(220.0)


def test_bad_parameters_are_typed_errors():
    with pytest.raises(PlanParameterError, match="side overlap"):
        survey_spacing(CAM, 50, 100)
    with pytest.raises(PlanParameterError, match="exactly one"):
        plan_survey(ll([(0, 0), (100, 0), (100, 100)]), HOME, alt_m=50, gsd_cm=2)
    with pytest.raises(PlanParameterError, match="spacing"):
        layout_survey(U_SHAPE, 0.0)
    with pytest.raises(PlanParameterError, match="3 vertices"):
        plan_survey(ll([(0, 0), (100, 0)]), HOME, alt_m=50)


@st.composite
def star_polygons(draw):
    n = draw(st.integers(5, 11))
    angles = np.sort(np.array(draw(st.lists(st.floats(0, 2 * math.pi, allow_nan=False), min_size=n, max_size=n, unique=True))))
    radii = np.array(draw(st.lists(st.floats(60, 400), min_size=n, max_size=n)))
    pts = np.column_stack([radii * np.cos(angles), radii * np.sin(angles)])
    poly = Polygon(pts)
    if draw(st.booleans()):
        hole = Polygon([(-25, -25), (25, -25), (25, 25), (-25, 25)])
        if poly.buffer(-5).contains(hole):
            poly = Polygon(pts, [list(hole.exterior.coords)])
    return poly, draw(st.floats(0, 179)), draw(st.sampled_from([10.0, 30.0, 50.0]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(star_polygons())
def test_random_polygons_never_left_and_fully_covered(case):
    poly, angle, overlap = case
    if not poly.is_valid or poly.area < 2000:
        return
    spacing, across, along = survey_spacing(CAM, 45.0, overlap)
    geom = layout_survey(poly, spacing, angle, footprint_m=(across, along))
    assert legs_inside(poly, geom.waypoints) == []
    frac, _ = coverage(poly, geom.imaging, across, along, along * 0.3)
    assert frac >= 0.995
