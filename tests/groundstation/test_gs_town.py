"""The sims town's own MBTiles base map and zones GeoJSON on the ground-station map (made by `aeropatrol sim
town` in a subprocess), with a loop mission and tracks placed on the town's roads: the showcase screenshot."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geo.zones import load_zones
from groundstation.app import AppConfig, MainWindow
from groundstation.map.layers import InfractionMarker
from groundstation.map.tiles import MBTilesSource

from gs_helpers import image_stats

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("town")
    proc = subprocess.run([sys.executable, "-m", "aeropatrol", "sim", "town", "-o", str(out), "--half-extent", "120",
                           "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def test_gs_town_basemap_zones_mission_tracks(qtbot, town, screenshot):
    src = MBTilesSource(town / "basemap.mbtiles")
    zones = load_zones(town / "zones.geojson")
    doc = json.loads((town / "zones.geojson").read_text())
    window = MainWindow(AppConfig(tile_source=src, zones=zones, center=(47.3977, 8.5456, 17.5)),
                        confirm=lambda t, x: True)
    qtbot.addWidget(window)
    window.resize(1500, 900)
    window.show()
    view = window.map
    qtbot.waitUntil(lambda: view.tiles_shown() >= 4, timeout=10000)
    layer = view.layer("zones")
    n_roads = sum(1 for f in doc["features"] if f["properties"]["kind"] == "road")
    assert len(layer.roads) == n_roads > 0
    assert {k for k, _, _ in layer.areas} <= {"no_parking", "restricted", "privacy"} and layer.areas
    # cars on the roads, driving along them; a loop mission over the town; an infraction marker
    rng = np.random.default_rng(5)
    ids, cls, lats, lons, hdg, spd = [], [], [], [], [], []
    for r_i, road in enumerate(zones.roads):
        coords = np.asarray(road.line.coords)
        for k in range(12):
            t = rng.uniform(0, 1)
            j = min(int(t * (len(coords) - 1)), len(coords) - 2)
            a, b = coords[j], coords[j + 1]
            p = a + (b - a) * rng.uniform(0, 1)
            ids.append(100 * r_i + k)
            cls.append(rng.choice(["car", "car", "truck", "bus", "motorcycle"]))
            lons.append(p[0]), lats.append(p[1])
            hdg.append(float(np.degrees(np.arctan2((b[0] - a[0]) * 0.6767, b[1] - a[1])) % 360))
            spd.append(float(road.speed_limit_kmh + rng.normal(0, 8)))
    view.tracks.set_tracks(ids, cls, np.array(lats), np.array(lons), np.array(hdg), np.array(spd))
    c = (47.3977, 8.5456)
    d = 80 / 111_320
    window.plan_panel.draft.home = (c[0], c[1], 408.0)
    window.plan_panel.pattern.setCurrentText("loop")
    window.plan_panel.set_geometry([(c[0] - d, c[1] - d / 0.6767), (c[0] - d, c[1] + d / 0.6767),
                                    (c[0] + d, c[1] + d / 0.6767), (c[0] + d, c[1] - d / 0.6767)], "route")
    assert window.plan_panel.draft.report.feasible
    view.vehicles.set_vehicle("uav1", c[0] - d, c[1] + 0.3 * d / 0.6767, 90.0, "uav1 AUTO")
    view.layer("infractions").add_marker(InfractionMarker("inf-1", lats[3], lons[3], "speeding"))
    img = view.render_image()
    stats = image_stats(img)
    assert stats["colours"] > 2000  # a photo-like base map, not the grid
    assert img.pixelColor(img.width() // 2, img.height() // 2).name() != "#eef1ec"
    screenshot(view, "town_map_mission_tracks")
    window.tabs.setCurrentWidget(window.plan_panel)
    screenshot(window, "main_town_plan")
    window.close()
