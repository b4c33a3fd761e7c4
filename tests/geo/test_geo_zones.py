"""Zones GeoJSON: loading, point-in-zone for many points, nearest road, and errors naming the field."""
import json

import numpy as np
import pytest

from geo.zones import ZoneError, load_zones


def fc(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def feat(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


SQUARE = {"type": "Polygon", "coordinates": [[[11.0, 48.0], [11.001, 48.0], [11.001, 48.001], [11.0, 48.001], [11.0, 48.0]]]}
ROAD = {"type": "LineString", "coordinates": [[11.0, 48.0005], [11.002, 48.0005]]}


def test_load_and_query(tmp_path):
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(fc(
        feat({"id": "main-st", "kind": "road", "speed_limit_kmh": 50, "oneway": True}, ROAD),
        feat({"id": "np1", "kind": "no_parking", "active_hours": ["22:00-06:00"]}, SQUARE),
    )))
    zones = load_zones(path)
    rng = np.random.default_rng(0)
    lat = rng.uniform(47.9995, 48.0015, 10000)
    lon = rng.uniform(10.9995, 11.0015, 10000)
    inside = zones.contains("no_parking", lat, lon)
    expected = (lat > 48.0) & (lat < 48.001) & (lon > 11.0) & (lon < 11.001)
    assert np.array_equal(inside, expected)
    match = zones.nearest_road(48.00052, 11.001)
    assert match.road.id == "main-st" and match.distance_m == pytest.approx(0.02 / 1e3 * 111_200 * 1.0, rel=0.02)
    assert match.bearing_deg == pytest.approx(90.0, abs=0.05)
    assert zones.nearest_road(48.01, 11.001) is None
    night = zones.get("np1")
    assert night.active_at(23 * 60) and night.active_at(5 * 60) and not night.active_at(12 * 60)
    assert [z.id for z in zones.zones_at(48.0005, 11.0005)] == ["np1"]


@pytest.mark.parametrize("data,message", [
    ({"type": "Feature"}, "FeatureCollection"),
    (fc(feat({"id": "r", "kind": "road"}, ROAD)), r"features\[0\] \(id 'r'\).properties.speed_limit_kmh: required"),
    (fc(feat({"id": "r", "kind": "road", "speed_limit_kmh": 50}, SQUARE)), "must be a LineString"),
    (fc(feat({"id": "z", "kind": "parking_lot"}, SQUARE)), r"features\[0\].properties.kind"),
    (fc(feat({"id": "z", "kind": "restricted", "active_hours": ["8-17"]}, SQUARE)), "active_hours"),
    (fc(feat({"id": "z", "kind": "privacy"}, SQUARE), feat({"id": "z", "kind": "privacy"}, SQUARE)), "duplicate id"),
    (fc(feat({"id": "z", "kind": "privacy"}, {"type": "Polygon", "coordinates": [[[200, 48], [11, 48], [11, 49], [200, 48]]]})), "coordinates"),
    (fc(feat({"id": "z", "kind": "privacy"}, {"type": "Polygon", "coordinates": "nope"})), "geometry"),
])
def test_malformed_zones_name_the_field(data, message):
    with pytest.raises(ZoneError, match=message):
        load_zones(data)


def test_bad_files(tmp_path):
    with pytest.raises(ZoneError, match="not found"):
        load_zones(tmp_path / "missing.geojson")
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    with pytest.raises(ZoneError, match="bad.geojson: not valid JSON"):
        load_zones(bad)
