"""`aeropatrol geo project|footprint`: numbers, JSON shape and error exit codes."""
import json
import math

import pytest

from aeropatrol.cli import main

BASE = ["--lat", "48.0", "--lon", "11.0", "--alt", "600", "--ground-alt", "500", "--hfov", "80", "--size", "1920x1080"]


def run(capsys, *args):
    code = main(list(args))
    return code, capsys.readouterr().out


def test_project_json(capsys):
    code, out = run(capsys, "geo", "project", *BASE, "--px", "960,0", "--json")
    data = json.loads(out)
    assert code == 0 and set(data) == {"lat", "lon", "alt", "sigma_m"}
    north_m = (data["lat"] - 48.0) * 111_230
    assert north_m == pytest.approx(540 / (960 / math.tan(math.radians(40))) * 100, rel=2e-3)
    assert data["alt"] == pytest.approx(500.0, abs=1e-3)


def test_project_above_horizon_is_an_error(capsys):
    code, out = run(capsys, "geo", "project", *BASE, "--gimbal-pitch", "5", "--px", "960,540", "--json")
    assert code == 1 and "above horizon" in json.loads(out)["error"]


def test_footprint_geojson(capsys):
    code, out = run(capsys, "geo", "footprint", *BASE, "--json")
    feature = json.loads(out)
    assert code == 0 and feature["geometry"]["type"] == "Polygon"
    w = 2 * 100 * math.tan(math.radians(40))
    assert feature["properties"]["area_m2"] == pytest.approx(w * w * 1080 / 1920, rel=1e-3)


def test_bad_size_exits_with_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["geo", "project", *BASE[:-2], "--size", "big", "--px", "1,1"])
    assert exc.value.code == 2
