"""Plan panel: patterns and parameters, live statistics, validation against fence and battery with the
reason shown, drag-to-edit waypoints with the mouse, import (.plan, .waypoints, GeoJSON, KML) and save .plan."""
from __future__ import annotations

import json

import pytest
from PyQt5.QtCore import QPoint, Qt

from groundstation.app import AppConfig, MainWindow

HOME = (47.3977, 8.5456, 408.0)
D = 1.0 / 111_320.0


def _area(half_m: float = 100.0, north_m: float = 150.0):
    lat, lon, _ = HOME
    k = 1 / 0.6767
    return [(lat + (north_m - half_m) * D, lon - half_m * D * k), (lat + (north_m - half_m) * D, lon + half_m * D * k),
            (lat + (north_m + half_m) * D, lon + half_m * D * k), (lat + (north_m + half_m) * D, lon - half_m * D * k)]


@pytest.fixture
def window(qtbot):
    w = MainWindow(AppConfig(), confirm=lambda t, x: True)
    qtbot.addWidget(w)
    w.resize(1400, 850)
    w.show()
    w.tabs.setCurrentWidget(w.plan_panel)
    w.plan_panel.draft.home = HOME
    return w


def test_gs_plan_patterns_stats_and_gsd(window, screenshot):
    plan = window.plan_panel
    area = _area()
    plan.set_geometry(area, "polygon")
    assert plan.draft.report.feasible
    r = plan.draft.report
    assert r.coverage_pct is not None and r.coverage_pct > 95
    text = plan.stats.text()
    assert f"{r.distance_m / 1000:.2f} km" in text and f"battery {r.battery_used_pct:.0f} %" in text and "ha" in text
    alt_50 = plan.draft.plan.surveys[0].alt_m
    plan.use_gsd.setChecked(True)
    plan.gsd.setValue(1.0)  # 1 cm/px with an 80 deg, 4000 px camera: about 24 m
    assert plan.draft.plan.surveys[0].alt_m == pytest.approx(0.01 * 4000 / (2 * 0.8390996), rel=0.02)
    assert plan.draft.plan.surveys[0].alt_m < alt_50
    plan.use_gsd.setChecked(False)
    more = plan.draft.report.distance_m
    plan.side.setValue(60)  # more side overlap -> closer lines -> longer survey
    assert plan.draft.report.distance_m > more * 1.3
    window.map.fit_points(area + [HOME[:2]])
    screenshot(window, "plan_survey")
    for pattern, kind in (("perimeter", "polygon"), ("loop", "route"), ("corridor", "route")):
        plan.pattern.setCurrentText(pattern)
        if kind == "route":
            plan.set_geometry([(HOME[0] + 50 * D, HOME[1]), (HOME[0] + 250 * D, HOME[1] + 100 * D / 0.6767),
                               (HOME[0] + 300 * D, HOME[1] - 100 * D / 0.6767)], "route")
        assert plan.draft.plan is not None and plan.draft.report.feasible, (pattern, plan.draft.error)
        assert plan.draft.plan.kind == pattern
        assert len(window.map.mission.x) >= 3


def test_gs_plan_validation_reasons_fence_and_battery(window):
    plan = window.plan_panel
    plan.set_geometry(_area(), "polygon")
    assert plan.draft.report.feasible
    lat, lon, _ = HOME
    plan.draft.fence_polygon = [(lat - 50 * D, lon - 50 * D / 0.6767), (lat - 50 * D, lon + 50 * D / 0.6767),
                                (lat + 80 * D, lon + 50 * D / 0.6767), (lat + 80 * D, lon - 50 * D / 0.6767)]
    plan.regenerate()
    assert not plan.draft.report.feasible
    assert "fence" in plan.validation.text().lower()
    assert plan.upload() is None  # an infeasible plan is refused before anything is sent
    assert "refused" in plan.validation.text()
    plan.draft.fence_polygon = []
    plan.battery.setValue(10)  # a 10 Wh pack cannot fly a 3 km survey
    assert not plan.draft.report.feasible and "battery" in plan.validation.text().lower()
    plan.battery.setValue(100)
    assert plan.draft.report.feasible and "feasible" in plan.validation.text()


def test_gs_plan_drag_waypoint_with_mouse(window, qtbot):
    plan = window.plan_panel
    view = window.map
    plan.pattern.setCurrentText("loop")
    plan.set_geometry([(HOME[0] + 60 * D, HOME[1]), (HOME[0] + 160 * D, HOME[1] + 80 * D / 0.6767),
                       (HOME[0] + 160 * D, HOME[1] - 80 * D / 0.6767)], "route")
    view.fit_points(plan.draft.route + [HOME[:2]])
    lats, lons, _ = plan.draft.waypoints()
    start = view.latlon_to_view(lats[1], lons[1]).toPoint()
    end = start + QPoint(60, 30)
    qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=start)
    qtbot.mouseMove(view.viewport(), end)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=end)
    new_lats, new_lons, _ = plan.draft.waypoints()
    moved = view.latlon_to_view(new_lats[1], new_lons[1])
    assert abs(moved.x() - end.x()) <= 1.5 and abs(moved.y() - end.y()) <= 1.5
    assert (new_lats[0], new_lons[0]) == (lats[0], lons[0])  # only the dragged one moved
    assert plan.draft.edited and "edited by hand" in plan.stats.text()


def test_gs_plan_import_and_save_files(window, tmp_path):
    from flight import files

    plan = window.plan_panel
    plan.set_geometry(_area(), "polygon")
    out = plan.save_file(tmp_path / "survey.plan")
    doc = json.loads(out.read_text())
    assert doc["fileType"] == "Plan" and {"mission", "geoFence", "rallyPoints"} <= set(doc)
    n_items = len(plan.draft.plan.items)
    wp = plan.save_file(tmp_path / "survey.waypoints")
    assert wp.read_text().startswith("QGC WPL 110")
    fresh = MainWindow(AppConfig(), confirm=lambda t, x: True)
    msg = fresh.plan_panel.import_file(out)
    assert f"{n_items} items" in msg and len(fresh.plan_panel.draft.plan.items) == n_items
    assert len(fresh.map.mission.x) == len(window.map.mission.x)
    assert fresh.plan_panel.draft.report is not None
    geo = tmp_path / "area.geojson"
    ring = [[lon, lat] for lat, lon in _area(60)] + [[_area(60)[0][1], _area(60)[0][0]]]
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "park"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    fresh.plan_panel.draft.home = HOME
    assert "polygon of" in fresh.plan_panel.import_file(geo)
    assert fresh.plan_panel.draft.pattern == "survey" and fresh.plan_panel.draft.report.feasible
    kml = tmp_path / "road.kml"
    kml.write_text('<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>road</name>'
                   f'<LineString><coordinates>{HOME[1]},{HOME[0] + 40 * D} {HOME[1] + 0.002},{HOME[0] + 200 * D}'
                   '</coordinates></LineString></Placemark></kml>')
    assert "line of 2 points" in fresh.plan_panel.import_file(kml)
    assert fresh.plan_panel.draft.pattern == "corridor" and fresh.plan_panel.draft.plan is not None
    bad = tmp_path / "bad.plan"
    bad.write_text(json.dumps({"fileType": "Plan", "mission": {"items": "nope"}}))
    with pytest.raises(files.FileFormatError, match="bad.plan"):
        fresh.plan_panel.import_file(bad)
    fresh.close()
