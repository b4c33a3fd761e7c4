"""QGC WPL 110 (.waypoints) import/export: home line, DO_JUMP seq shift, NaN params, errors by line."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from flight.files import FileFormatError, load_plan, load_waypoints, plan_from_waypoints_text, save_plan, save_waypoints, waypoints_text
from flight.mission import Cmd
from flight.planning import ENDLESS, Home, plan_loop, plan_survey

DATA = Path(__file__).parent / "data"
HOME = Home(-35.363262, 149.165237, 584.09)


def ll(*xy):
    arr = np.asarray(xy, dtype=float)
    lat, lon, _ = HOME.frame().to_wgs84(arr[:, 0], arr[:, 1], 0.0)
    return list(zip(lat.tolist(), lon.tolist()))


def test_import_mission_planner_file():
    plan = load_waypoints(DATA / "mission_planner.waypoints")
    assert plan.home == HOME
    cmds = [it.command for it in plan.items]
    assert cmds == [22, 16, 16, 178, 16, 177, 20]
    assert plan.items[2].param1 == 2.0 and plan.items[2].z == 40.0
    jump = plan.items[5]
    assert int(jump.param1) == 1 and jump.param2 == 3  # file seq 2 -> index 1 (home is seq 0)
    assert plan.items[1].x == -353613540 and plan.items[1].y == 1491652180


@pytest.mark.parametrize("laps", [3, ENDLESS])
def test_round_trip_loop(tmp_path, laps):
    plan = plan_loop(ll((0, 100), (150, 100), (150, 250)), HOME, alt_m=[30, 40, 50], speed_mps=[4, 9, 6], laps=laps)
    path = tmp_path / "loop.waypoints"
    save_waypoints(plan, path)
    text = path.read_text()
    assert text.startswith("QGC WPL 110\n0\t1\t0\t16\t")
    assert "\tnan\t" in text  # PX4 NaN yaw survives
    back = load_waypoints(path)
    assert back.home == plan.home
    for a, b in zip(plan.items, back.items, strict=True):
        assert (a.command, a.frame, a.x, a.y, a.z) == (b.command, b.frame, b.x, b.y, b.z)
        for f in ("param1", "param2", "param3", "param4"):
            u, v = getattr(a, f), getattr(b, f)
            assert (math.isnan(u) and math.isnan(v)) or u == v


def test_plan_to_waypoints_to_plan(tmp_path):
    survey = plan_survey(ll((20, 20), (220, 20), (220, 160), (20, 160)), HOME, alt_m=35)
    save_waypoints(survey, tmp_path / "s.waypoints")
    back = load_waypoints(tmp_path / "s.waypoints")
    save_plan(back, tmp_path / "s.plan")
    again = load_plan(tmp_path / "s.plan")
    assert [(i.command, i.x, i.y, i.z) for i in again.items] == [(i.command, i.x, i.y, i.z) for i in survey.items]


@pytest.mark.parametrize("text,where,what", [
    ("QGC WPL 100\n", "line 1", "unsupported version"),
    ("hello\n", "line 1", "header"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\n", "line 2", "12 tab-separated fields, got 11"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n2\t0\t3\t16\t0\t0\t0\t0\t1\t2\t3\t1\n", "line 3", "seq: expected 1, got 2"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n1\t0\t3\t16\t0\t0\t0\t0\tabc\t2\t3\t1\n", "line 3", "x/lat: expected a number"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n1\t0\t3\t16\t0\t0\t0\t0\t95\t2\t3\t1\n", "line 3", "out of range"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n1\t0\t2.5\t16\t0\t0\t0\t0\t1\t2\t3\t1\n", "line 3", "frame: expected an integer"),
    ("QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n1\t0\t2\t177\t9\t1\t0\t0\t0\t0\t0\t1\n", "line 3", "DO_JUMP target 9"),
    ("QGC WPL 110\n", "line 2", "home"),
])
def test_malformed_waypoints_name_line_and_field(text, where, what):
    with pytest.raises(FileFormatError) as e:
        plan_from_waypoints_text(text)
    assert e.value.field == where, str(e.value)
    assert what in e.value.reason


def test_non_position_items_keep_raw_x_y():
    from flight.planning import PatrolPlan
    from flight.planning.items import GIMBAL_FLAGS_YAW_LOCK, ItemBuilder
    b = ItemBuilder()
    b.takeoff(30)
    b.gimbal(-30.0, 45.0, flags=GIMBAL_FLAGS_YAW_LOCK)
    plan = PatrolPlan("test", HOME, b.items)
    back = plan_from_waypoints_text(waypoints_text(plan))
    g = back.items[1]
    assert (g.command, g.frame, g.x, g.param1, g.param2) == (Cmd.DO_GIMBAL_MANAGER_PITCHYAW, 2, 16, -30.0, 45.0)
