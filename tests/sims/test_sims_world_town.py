"""The synthetic town: deterministic per seed, zones GeoJSON readable by geo.zones, MBTiles base map."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from geo.zones import load_zones
from sims.world.mbtiles import lonlat_to_tile, write_mbtiles
from sims.world.ortho import render_orthophoto
from sims.world.town import TownSpec, generate_town
from sims.world.zones import town_zones_geojson

SMALL = dict(half_extent_m=160.0)


def _fingerprint(town) -> tuple:
    return (tuple(np.round(np.asarray(r.line.coords), 3).ravel().tolist() for r in town.roads).__repr__(),
            tuple(round(b.footprint.area, 3) for b in town.buildings), np.round(town.trees, 3).tobytes(),
            tuple((a.id, round(a.polygon.area, 3)) for a in town.areas), len(town.parking_bays))


def test_same_seed_same_town_other_seed_other_town():
    a, b = generate_town(TownSpec(seed=5)), generate_town(TownSpec(seed=5))
    c = generate_town(TownSpec(seed=6))
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(a) != _fingerprint(c)


def test_town_has_every_ingredient():
    town = generate_town(TownSpec(seed=2))
    kinds = {r.kind for r in town.roads}
    assert {"arterial", "residential", "oneway", "diagonal"} <= kinds
    assert any(r.oneway for r in town.roads) and any(not r.oneway for r in town.roads)
    assert {r.speed_limit_kmh for r in town.roads} >= {30.0, 50.0}
    assert len(town.intersections) >= 9
    assert len(town.buildings) > 50 and len(town.trees) > 10 and len(town.parking_bays) > 50
    assert {a.kind for a in town.areas} == {"no_parking", "restricted", "privacy"}
    assert town.plaza.area > 1000 and town.depot.area > 1000
    # every lane runs along its road, on the carriageway
    for lane in town.lanes:
        road = town.road(lane.road_id)
        assert road.line.hausdorff_distance(lane.line) <= road.width_m / 2 + 0.01


def test_zones_geojson_loads_with_geo_zones():
    town = generate_town(TownSpec(seed=3))
    zs = load_zones(town_zones_geojson(town))
    assert len(zs.roads) == len(town.roads)
    assert {z.kind for z in zs.zones} >= {"road", "no_parking", "restricted", "privacy"}
    one = next(r for r in town.roads if r.oneway)
    loaded = next(r for r in zs.roads if r.id == one.id)
    assert loaded.oneway and loaded.speed_limit_kmh == one.speed_limit_kmh and loaded.width_m == one.width_m
    # a point on a lane snaps to its road, and the depot is a restricted zone at its centroid
    lane = next(ln for ln in town.lanes if ln.road_id == one.id)
    p = lane.line.interpolate(0.4, normalized=True)
    lat, lon, _ = town.frame.to_wgs84(p.x, p.y, 0.0)
    match = zs.nearest_road(float(lat), float(lon), 15.0)
    assert match is not None and match.road.id == one.id
    c = town.depot.centroid
    lat, lon, _ = town.frame.to_wgs84(c.x, c.y, 0.0)
    assert zs.contains("restricted", np.array([lat]), np.array([lon]))[0]


@pytest.fixture(scope="module")
def small_town_ortho():
    town = generate_town(TownSpec(seed=4, **SMALL))
    return town, render_orthophoto(town, res_m=0.2)


def test_mbtiles_base_map(tmp_path, small_town_ortho):
    town, ortho = small_town_ortho
    meta = write_mbtiles(town, ortho, tmp_path / "town.mbtiles", zooms=(16, 17))
    db = sqlite3.connect(tmp_path / "town.mbtiles")
    md = dict(db.execute("SELECT name, value FROM metadata"))
    assert md["format"] == "jpg" and md["minzoom"] == "16" and md["maxzoom"] == "17"
    west, south, east, north = map(float, md["bounds"].split(","))
    assert west < town.spec.lon < east and south < town.spec.lat < north
    rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
    assert len(rows) == meta["tiles"] > 4
    assert all(r[3][:2] == b"\xff\xd8" for r in rows)  # JPEG
    # the tile holding the town centre is there, in TMS row order
    x, y = lonlat_to_tile(town.spec.lon, town.spec.lat, 17)
    assert (17, int(x), 2 ** 17 - 1 - int(y)) in {(z, c, r) for z, c, r, _ in rows}
