"""`aeropatrol plan ...` end to end in-process: files written, figures printed, refusals and bad input exit codes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from aeropatrol.cli import main
from flight.files import load_plan, load_waypoints
from flight.mission import Cmd

DATA = Path(__file__).parent / "data"
HOME = "47.3978,8.5458,488"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_survey_writes_plan_and_reports(tmp_path, capsys):
    out = tmp_path / "survey.plan"
    code, text, _ = run(capsys, "plan", "survey", "--area", str(DATA / "patrol_area.geojson"), "--alt", "60", "--hfov", "80",
                        "--side-overlap", "20", "-o", str(out), "--home", HOME)
    assert code == 0, text
    assert "FEASIBLE" in text and "km" in text and "Wh" in text and "ha" in text
    plan = load_plan(out)
    assert plan.items[0].command == Cmd.NAV_TAKEOFF and plan.items[-1].command == Cmd.NAV_RETURN_TO_LAUNCH
    assert all(it.z == 60 for it in plan.items if it.command == Cmd.NAV_WAYPOINT)


def test_survey_json_with_gsd_and_holes_from_kml(tmp_path, capsys):
    out = tmp_path / "s.waypoints"
    code, text, _ = run(capsys, "plan", "survey", "--area", str(DATA / "patrol_area.kml"), "--gsd-cm", "1.5",
                        "--angle", "30", "--speed", "6", "-o", str(out), "--home", HOME, "--json")
    assert code == 0
    report = json.loads(text)
    assert report["feasible"] and report["output"] == str(out)
    assert report["coverage_pct"] >= 99.9
    assert report["notes"]["gsd_cm"] == pytest.approx(1.5)
    assert len(load_waypoints(out).items) == report["n_items"]


def test_infeasible_plan_is_refused_and_not_written(tmp_path, capsys):
    out = tmp_path / "big.plan"
    code, text, err = run(capsys, "plan", "survey", "--area", str(DATA / "patrol_area.geojson"), "--alt", "20",
                          "--battery-wh", "10", "-o", str(out), "--home", HOME)
    assert code == 3
    assert "INFEASIBLE" in text and "battery" in text
    assert not out.exists() and "not written" in err


def test_bad_input_exit_2_names_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[8.5, 47.3], [8.6, 47.3]]]}}))
    code, _, err = run(capsys, "plan", "survey", "--area", str(bad), "--alt", "50")
    assert code == 2 and "geometry.coordinates[0]" in err
    code, _, err = run(capsys, "plan", "check", str(DATA / "mission_planner.waypoints"), "--max-alt", "35")
    assert code == 3


def test_loop_corridor_perimeter_orbit_check_convert(tmp_path, capsys):
    loop = tmp_path / "loop.plan"
    code, text, _ = run(capsys, "plan", "loop", "--points", "47.3990,8.5460;47.3995,8.5470;47.4000,8.5460",
                        "--alt", "40,50,60", "--speed", "5,8,6", "--laps", "0", "-o", str(loop), "--home", HOME)
    assert code == 0 and "endless" in text and "laps possible" in text
    assert next(it for it in load_plan(loop).items if it.command == Cmd.DO_JUMP).param2 == -1
    code, text, _ = run(capsys, "plan", "corridor", "--road", str(DATA / "patrol_area.kml"), "--passes-per-side", "1",
                        "--alt", "40", "-o", str(tmp_path / "c.plan"), "--home", HOME)
    assert code == 0, text
    code, text, _ = run(capsys, "plan", "perimeter", "--area", str(DATA / "patrol_area.geojson"), "--inset", "15",
                        "--laps", "2", "-o", str(tmp_path / "p.plan"), "--home", HOME)
    assert code == 0, text
    code, text, _ = run(capsys, "plan", "orbit", "--center", "47.3990,8.5470", "--radius", "40", "--turns", "2",
                        "-o", str(tmp_path / "o.plan"), "--home", HOME)
    assert code == 0, text
    code, text, _ = run(capsys, "plan", "check", str(loop), "--json")
    assert code == 0 and json.loads(text)["endless"] is True
    wp = tmp_path / "loop.waypoints"
    code, text, _ = run(capsys, "plan", "convert", str(loop), str(wp))
    assert code == 0 and wp.read_text().startswith("QGC WPL 110")
    code, text, _ = run(capsys, "plan", "convert", str(wp), str(tmp_path / "again.plan"))
    assert code == 0
    assert [i.command for i in load_plan(tmp_path / "again.plan").items] == [i.command for i in load_plan(loop).items]


def test_check_with_fence_file(tmp_path, capsys):
    fence = tmp_path / "fence.geojson"
    fence.write_text(json.dumps({"type": "Polygon", "coordinates": [[[8.5455, 47.3975], [8.5470, 47.3975],
                                                                    [8.5470, 47.3985], [8.5455, 47.3985], [8.5455, 47.3975]]]}))
    code, text, _ = run(capsys, "plan", "check", str(DATA / "qgc_survey_sample.plan"), "--fence", str(fence))
    assert code == 3 and "fence" in text


def test_plan_group_help(capsys):
    code, text, _ = run(capsys, "plan")
    assert code == 2 and "survey" in text and "convert" in text
