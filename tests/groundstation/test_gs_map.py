"""The map: Web Mercator maths, MBTiles / XYZ+cache tiles, grid fallback, zoom around cursor, distance tool, layers."""
from __future__ import annotations

import math

import numpy as np
import pytest
from pyproj import Geod
from PyQt5.QtCore import QPoint, QPointF, Qt
from PyQt5.QtGui import QWheelEvent

from groundstation.map import mercator
from groundstation.map.tiles import MBTilesError, MBTilesSource, XyzTileSource, write_mbtiles
from groundstation.map.view import MapView, Tool

from gs_helpers import image_stats, png_bytes

LAT, LON = 47.3977, 8.5456


def test_gs_mercator_round_trip_and_known_values():
    lat = np.array([0.0, 47.3977, -33.9, 85.0])
    lon = np.array([0.0, 8.5456, 151.2, -179.9])
    x, y = mercator.to_scene(lat, lon)
    back_lat, back_lon = mercator.from_scene(x, y)
    np.testing.assert_allclose(back_lat, lat, atol=1e-9)
    np.testing.assert_allclose(back_lon, lon, atol=1e-9)
    assert mercator.to_scene(0.0, 180.0)[0] == pytest.approx(20037508.342789244)
    # the OSM tile of Zurich at z=15 (known from the OSM tile scheme formula)
    n = 2 ** 15
    tx = int((LON + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(LAT))) / math.pi) / 2 * n)
    assert mercator.lonlat_to_tile(LAT, LON, 15) == (tx, ty)


def test_gs_map_fallback_grid_renders(qtbot, screenshot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(640, 480)
    view.show()
    view.center_on(LAT, LON, 17)
    assert view.source is None
    img = view.render_image()
    s = image_stats(img)
    assert s["top_share"] < 0.95 and s["colours"] > 5  # grid lines, scale bar, north arrow
    lat, lon = view.center()
    assert lat == pytest.approx(LAT, abs=3e-5) and lon == pytest.approx(LON, abs=3e-5)  # within a pixel
    assert view.zoom() == pytest.approx(17.0, abs=1e-6)


def test_gs_mbtiles_tiles_are_drawn(qtbot, tmp_path):
    z = 16
    tx, ty = mercator.lonlat_to_tile(LAT, LON, z)
    tiles = {(z, tx + dx, ty + dy): png_bytes("#d81b60") for dx in (-2, -1, 0, 1, 2) for dy in (-2, -1, 0, 1, 2)}
    path = write_mbtiles(tmp_path / "town.mbtiles", tiles, name="test town", bounds=(8.5, 47.3, 8.6, 47.5))
    src = MBTilesSource(path)
    assert (src.min_zoom, src.max_zoom, src.name) == (16, 16, "test town")
    assert src.bounds() == pytest.approx((8.5, 47.3, 8.6, 47.5))
    assert src.cached(z, tx, ty) == tiles[(z, tx, ty)]  # XYZ row in, TMS row stored
    view = MapView(tile_source=src)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.center_on(LAT, LON, 16)
    qtbot.waitUntil(lambda: view.tiles_shown() >= 4, timeout=5000)
    img = view.render_image()
    r, g, b = img.pixelColor(100, 150).red(), img.pixelColor(100, 150).green(), img.pixelColor(100, 150).blue()
    assert (r, g, b) == (0xD8, 0x1B, 0x60)  # the tile's colour, not the grid's
    # zooming in past the package's max zoom keeps showing its z16 tiles, scaled
    view.set_zoom(18)
    qtbot.waitUntil(lambda: view.tiles_shown() >= 1, timeout=5000)
    assert view.tile_zoom() == 16
    assert view.render_image().pixelColor(200, 150).red() == 0xD8


def test_gs_mbtiles_bad_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(MBTilesError, match="bad.mbtiles"):
        MBTilesSource(bad)
    with pytest.raises(MBTilesError, match="no such"):
        MBTilesSource(tmp_path / "missing.mbtiles")


def test_gs_xyz_tiles_fetched_on_worker_and_cached(qtbot, tmp_path):
    z = 15
    tx, ty = mercator.lonlat_to_tile(LAT, LON, z)
    server = tmp_path / "server"
    for dx in (-2, -1, 0, 1, 2):
        for dy in (-2, -1, 0, 1, 2):
            p = server / str(z) / str(tx + dx) / f"{ty + dy}.png"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(png_bytes("#00897b"))
    cache = tmp_path / "cache"
    src = XyzTileSource(f"file://{server}/{{z}}/{{x}}/{{y}}.png", cache, max_zoom=15)
    assert src.cached(z, tx, ty) is None
    view = MapView(tile_source=src)
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    view.center_on(LAT, LON, 15)
    qtbot.waitUntil(lambda: view.tiles_shown() >= 4, timeout=10000)
    assert src.cached(z, tx, ty) is not None  # now on disk
    assert (cache / str(z) / str(tx) / f"{ty}.tile").is_file()
    assert view.render_image().pixelColor(200, 150).green() == 0x89
    with pytest.raises(ValueError, match=r"\{y\}"):
        XyzTileSource("https://example/{z}/{x}.png", cache)


def test_gs_wheel_zoom_keeps_the_point_under_the_cursor(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.center_on(LAT, LON, 16)
    cursor = QPoint(450, 120)
    before = view.scene_to_latlon(view.mapToScene(cursor))
    z0 = view.zoom()
    ev = QWheelEvent(QPointF(cursor), QPointF(view.viewport().mapToGlobal(cursor)), QPoint(0, 0), QPoint(0, 240),
                     Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    view.wheelEvent(ev)
    assert view.zoom() == pytest.approx(z0 + 1.0, abs=1e-6)  # two notches = one zoom level
    where = view.latlon_to_view(*before)  # the same ground point is still under the cursor (to a pixel)
    assert abs(where.x() - cursor.x()) <= 1.5 and abs(where.y() - cursor.y()) <= 1.5


def test_gs_distance_tool_and_cursor_readout(qtbot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.center_on(LAT, LON, 16)
    view.set_tool(Tool.MEASURE)
    a, b = view.latlon_to_view(LAT, LON), view.latlon_to_view(LAT + 0.003, LON + 0.002)
    got = []
    view.measureChanged.connect(got.append)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=a.toPoint())
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=b.toPoint())
    (lat0, lon0), (lat1, lon1) = view._measure
    expected = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2]
    assert got[-1] == pytest.approx(expected, rel=1e-9)
    assert expected == pytest.approx(Geod(ellps="WGS84").inv(LON, LAT, LON + 0.002, LAT + 0.003)[2], abs=3.0)
    readout = []
    view.cursorMoved.connect(lambda la, lo: readout.append((la, lo)))
    qtbot.mouseMove(view.viewport(), a.toPoint())
    assert readout and readout[-1][0] == pytest.approx(LAT, abs=3e-5) and readout[-1][1] == pytest.approx(LON, abs=3e-5)


def test_gs_layers_switch_and_500_tracks_batch(qtbot, screenshot):
    view = MapView()
    qtbot.addWidget(view)
    view.resize(900, 650)
    view.show()
    view.center_on(LAT, LON, 16.5)
    rng = np.random.default_rng(3)
    n = 500
    lat = LAT + rng.normal(0, 0.0015, n)
    lon = LON + rng.normal(0, 0.002, n)
    classes = rng.choice(["car", "truck", "bus", "person", "bicycle", "motorcycle"], n).tolist()
    view.tracks.set_tracks(np.arange(n), classes, lat, lon, rng.uniform(0, 360, n), rng.uniform(0, 80, n))
    layer_item = view.tracks
    view.tracks.set_tracks(np.arange(n), classes, lat + 1e-5, lon, np.zeros(n), np.zeros(n))
    assert view.tracks is layer_item and len(view.scene().items()) < 20  # one item for all 500 tracks
    view.mission.set_waypoints([LAT - 0.001, LAT + 0.001, LAT + 0.001, LAT - 0.001],
                               [LON - 0.0015, LON - 0.0015, LON + 0.0015, LON + 0.0015], loop=True)
    view.vehicles.set_vehicle("uav1", LAT, LON, 30.0)
    view.layer("home").set_home(LAT - 0.0005, LON - 0.0005)
    view.layer("fence").set_fence([([(LAT - 0.002, LON - 0.003), (LAT + 0.002, LON - 0.003), (LAT + 0.002, LON + 0.003),
                                     (LAT - 0.002, LON + 0.003)], True)], rally=[(LAT + 0.0015, LON + 0.0025)])
    with_tracks = view.render_image()
    screenshot(with_tracks, "map_tracks_500")
    view.set_layer_visible("tracks", False)
    without = view.render_image()
    diff = np.abs(image_stats(with_tracks)["array"].astype(int) - image_stats(without)["array"].astype(int)).sum(axis=2)
    assert (diff > 30).mean() > 0.02  # the tracks layer covered a visible share of the map
    view.set_layer_visible("tracks", True)
    assert view.layer("tracks").isVisible()
