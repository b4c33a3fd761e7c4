"""QGroundControl .plan files: import of QGC-written plans, round trips, malformed files named by JSON path."""
from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from flight.files import FileFormatError, load_plan, plan_from_dict, plan_to_dict, save_plan
from flight.mission import Cmd
from flight.planning import (ENDLESS, FenceCircle, FencePolygon, Geofence, Home, RallyPoint, check_plan, plan_corridor,
                             plan_loop, plan_survey)

DATA = Path(__file__).parent / "data"
HOME = Home(47.3977, 8.5456, 488.5)


def ll(*xy):
    arr = np.asarray(xy, dtype=float)
    lat, lon, _ = HOME.frame().to_wgs84(arr[:, 0], arr[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def same_items(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for f in ("seq", "frame", "command", "autocontinue", "x", "y", "mission_type"):
            assert getattr(x, f) == getattr(y, f), (x, y, f)
        for f in ("param1", "param2", "param3", "param4", "z"):
            u, v = getattr(x, f), getattr(y, f)
            assert (math.isnan(u) and math.isnan(v)) or u == pytest.approx(v), (x, y, f)


def test_import_qgc_written_survey_plan():
    plan = load_plan(DATA / "qgc_survey_sample.plan")
    assert plan.home == Home(47.3977, 8.5456, 488.5)
    cmds = [it.command for it in plan.items]
    assert cmds[:3] == [Cmd.NAV_TAKEOFF, Cmd.DO_CHANGE_SPEED, Cmd.NAV_WAYPOINT]
    assert cmds.count(Cmd.NAV_WAYPOINT) == 4 and cmds.count(Cmd.DO_SET_CAM_TRIGG_DIST) == 4
    assert cmds[-2:] == [Cmd.DO_JUMP, Cmd.NAV_RETURN_TO_LAUNCH]
    jump = plan.items[-2]
    assert int(jump.param1) == 2 and plan.items[2].command == Cmd.NAV_WAYPOINT  # doJumpId 3 -> index 2
    assert math.isnan(plan.items[0].param4)
    assert plan.items[2].x == 473982000 and plan.items[2].y == 85460000
    assert [p.inclusion for p in plan.fence.polygons] == [True, False]
    assert plan.fence.circles == [FenceCircle(47.397, 8.544, 15.5, False)]
    assert plan.rally == [RallyPoint(47.3975, 8.545, 30.0), RallyPoint(47.3985, 8.5445, 35.0)]
    assert plan.cruise_speed_mps == 12
    span = plan.surveys[0]
    assert (span.first, span.last, span.angle_deg, span.alt_m) == (2, 10, 90.0, 40.0)
    report = check_plan(plan)
    assert report.feasible and report.distance_m > 0


def test_corridor_flattened_and_structure_scan_regenerated():
    plan = load_plan(DATA / "qgc_corridor_structure.plan")
    cmds = [it.command for it in plan.items]
    assert cmds[0] == Cmd.NAV_TAKEOFF and cmds[-1] == Cmd.NAV_RETURN_TO_LAUNCH
    corridor = plan.items[1:5]
    assert [it.lat_deg for it in corridor] == pytest.approx([-35.3619, -35.3619, -35.3621, -35.3621])
    structure = plan.items[5:-1]
    # entrance, gimbal, 2 layers x (4 vertices + closing), exit
    assert len(structure) == 1 + 1 + 2 * 5 + 1
    layer_alts = sorted({it.z for it in structure if it.command == Cmd.NAV_WAYPOINT})
    assert layer_alts == [15.0, 25.0, 40.0]  # layers at 10 + 5 and 10 + 15, entrance/exit 40


def test_survey_round_trip_keeps_items_fence_rally_and_writes_complex_item(tmp_path):
    area = ll((50, 50), (350, 50), (350, 250), (200, 250), (200, 150), (120, 150), (120, 250), (50, 250))
    fence = Geofence([FencePolygon(ll((0, 0), (400, 0), (400, 300), (0, 300)))],
                     [FenceCircle(*ll((390, 290))[0], 5.0, inclusion=False)])
    plan = plan_survey(area, HOME, alt_m=40, side_overlap_pct=30, angle_deg=20, speed_mps=7, fence=fence,
                       rally=[RallyPoint(*ll((10, 10))[0], 25.0)])
    path = tmp_path / "survey.plan"
    save_plan(plan, path)
    doc = json.loads(path.read_text())
    assert doc["fileType"] == "Plan" and doc["version"] == 1 and doc["groundStation"] == "AeroPatrol"
    assert doc["mission"]["version"] == 2 and doc["geoFence"]["version"] == 2 and doc["rallyPoints"]["version"] == 2
    complex_items = [i for i in doc["mission"]["items"] if i["type"] == "ComplexItem"]
    assert len(complex_items) == 1 and complex_items[0]["version"] == 5
    tsc = complex_items[0]["TransectStyleComplexItem"]
    span = plan.surveys[0]
    assert len(tsc["Items"]) == span.last - span.first
    assert tsc["CameraCalc"]["DistanceToSurface"] == 40
    assert [i["doJumpId"] for i in tsc["Items"]] == list(range(span.first + 1, span.last + 1))
    back = load_plan(path)
    same_items(plan.items, back.items)
    assert back.fence == plan.fence and back.rally == plan.rally and back.home == plan.home
    assert back.surveys[0].spacing_m == pytest.approx(span.spacing_m)
    # written twice, byte-identical
    save_plan(back, tmp_path / "again.plan")
    assert json.loads((tmp_path / "again.plan").read_text())["mission"] == doc["mission"]


def test_loop_and_corridor_round_trip_with_jumps_and_gimbal():
    loop = plan_loop(ll((0, 100), (200, 100), (200, 300)), HOME, alt_m=[40, 50, 60], speed_mps=[5, 10, 8], laps=ENDLESS)
    doc = plan_to_dict(loop, firmware="px4")
    assert doc["mission"]["firmwareType"] == 12
    jump = next(i for i in doc["mission"]["items"] if i["command"] == 177)
    target = int(next(it for it in loop.items if it.command == Cmd.DO_JUMP).param1)
    assert jump["params"][0] == target + 1 and jump["params"][1] == -1  # QGC doJumpId: home is 0
    same_items(loop.items, plan_from_dict(doc).items)
    corridor = plan_corridor(ll((-200, 0), (200, 50)), HOME, alt_m=40, passes_per_side=1, pass_spacing_m=20)
    same_items(corridor.items, plan_from_dict(json.loads(json.dumps(plan_to_dict(corridor)))).items)
    assert doc["geoFence"] == {"version": 2, "polygons": [], "circles": []}
    assert doc["rallyPoints"] == {"version": 2, "points": []}


def _sample():
    return json.loads((DATA / "qgc_survey_sample.plan").read_text())


@pytest.mark.parametrize("mutate,field,message", [
    (lambda d: d["mission"]["items"][3].__setitem__("params", [1, 2, 3]), "mission.items[3].params", "expected 7 numbers"),
    (lambda d: d["mission"]["items"][0]["params"].__setitem__(2, "x"), "mission.items[0].params", "expected 7 numbers"),
    (lambda d: d["mission"]["items"][1].pop("command"), "mission.items[1].command", "missing"),
    (lambda d: d["mission"]["items"][1].__setitem__("frame", 2.5), "mission.items[1].frame", "integer"),
    (lambda d: d["mission"]["items"][2]["TransectStyleComplexItem"].pop("Items"),
     "mission.items[2].TransectStyleComplexItem.Items", "missing"),
    (lambda d: d["mission"]["items"][2]["TransectStyleComplexItem"]["Items"][4].__setitem__("params", None),
     "mission.items[2].TransectStyleComplexItem.Items[4].params", "expected 7 numbers"),
    (lambda d: d["mission"]["items"][2].__setitem__("complexItemType", "spiral"), "mission.items[2].complexItemType",
     "unsupported"),
    (lambda d: d["mission"]["items"][4].__setitem__("type", "Fancy"), "mission.items[4].type", "unknown item type"),
    (lambda d: d.__setitem__("fileType", "Mission"), "fileType", "expected \"Plan\""),
    (lambda d: d["mission"].__setitem__("version", 1), "mission.version", "unsupported mission version"),
    (lambda d: d["mission"].pop("plannedHomePosition"), "mission.plannedHomePosition", "missing"),
    (lambda d: d["geoFence"]["polygons"][1].__setitem__("polygon", [[47.39, 8.54], [47.39, 8.55]]),
     "geoFence.polygons[1].polygon", "at least 3"),
    (lambda d: d["geoFence"]["polygons"][0]["polygon"][2].__setitem__(0, 123.0), "geoFence.polygons[0].polygon[2]",
     "out of range"),
    (lambda d: d["geoFence"]["circles"][0]["circle"].__setitem__("radius", -3), "geoFence.circles[0].circle.radius",
     "radius > 0"),
    (lambda d: d["geoFence"]["circles"][0].__setitem__("inclusion", "yes"), "geoFence.circles[0].inclusion", "true or false"),
    (lambda d: d["rallyPoints"]["points"][1].pop(), "rallyPoints.points[1]", "expected 3 numbers"),
    (lambda d: d["mission"]["items"][3].__setitem__("params", [0, 0, 0, 0, 0, 0, 0]) or
     d["mission"]["items"][3].__setitem__("params", [99, 1, 0, 0, 0, 0, 0]), "mission.items", "DO_JUMP target 99"),
])
def test_malformed_files_name_the_field(tmp_path, mutate, field, message):
    doc = copy.deepcopy(_sample())
    mutate(doc)
    path = tmp_path / "bad.plan"
    path.write_text(json.dumps(doc))
    with pytest.raises(FileFormatError) as e:
        load_plan(path)
    assert e.value.field.startswith(field), str(e.value)
    assert message in e.value.reason
    assert str(e.value).startswith(str(path))


def test_not_json_and_unknown_keys(tmp_path):
    bad = tmp_path / "broken.plan"
    bad.write_text('{"fileType": "Plan",\n "version": 1,,}')
    with pytest.raises(FileFormatError, match="line 2.*not valid JSON"):
        load_plan(bad)
    doc = _sample()
    doc["mission"]["items"][0]["futureField"] = [1, 2]
    doc["mission"]["newThing"] = "x"
    assert len(plan_from_dict(doc).items) == len(plan_from_dict(_sample()).items)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from flight.files import plan_from_waypoints_text, waypoints_text  # noqa: E402

_points = st.lists(st.tuples(st.floats(-900, 900), st.floats(-900, 900)), min_size=2, max_size=8, unique=True)


@settings(max_examples=40, deadline=None)
@given(_points, st.floats(5, 120), st.one_of(st.none(), st.floats(1, 15)), st.integers(-1, 5))
def test_random_loops_round_trip_through_both_formats(points, alt, speed, laps):
    plan = plan_loop(ll(*points), HOME, alt_m=alt, speed_mps=speed, laps=laps)
    same_items(plan.items, plan_from_dict(json.loads(json.dumps(plan_to_dict(plan)))).items)
    back = plan_from_waypoints_text(waypoints_text(plan))
    assert [(i.command, i.x, i.y) for i in back.items] == [(i.command, i.x, i.y) for i in plan.items]
    assert [i.z for i in back.items] == pytest.approx([i.z for i in plan.items], abs=1e-8)
    assert [i.param1 for i in back.items if i.command == Cmd.DO_JUMP] == \
        [i.param1 for i in plan.items if i.command == Cmd.DO_JUMP]
