"""GeoJSON and KML import of patrol areas (with holes) and routes, and errors naming the bad part."""
from __future__ import annotations

from pathlib import Path

import pytest

from flight.files import FileFormatError, load_area, load_shapes, shapes_from_geojson, shapes_from_kml

DATA = Path(__file__).parent / "data"


def test_kml_polygon_with_hole_and_line():
    area = load_area(DATA / "patrol_area.kml")
    assert area.name == "market square"
    assert area.coords[0] == (47.398, 8.546) and len(area.coords) == 4  # closing vertex dropped
    assert len(area.holes) == 1 and area.holes[0][1] == (47.399, 8.5485)
    road = load_area(DATA / "patrol_area.kml", "line")
    assert road.name == "main road" and road.coords == [(47.397, 8.544), (47.3975, 8.547), (47.399, 8.551)]


def test_geojson_polygon_line_by_name_and_points_ignored():
    shapes = load_shapes(DATA / "patrol_area.geojson")
    assert [s.kind for s in shapes] == ["polygon", "line"]
    u = load_area(DATA / "patrol_area.geojson", name="u block")
    assert len(u.coords) == 8 and u.coords[0] == (47.398, 8.546)
    assert load_area(DATA / "patrol_area.geojson", "line").name == "ring road"
    with pytest.raises(FileFormatError, match="no polygon named 'nope'"):
        load_area(DATA / "patrol_area.geojson", name="nope")


def test_bare_geometry_and_multipolygon():
    mp = {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]], [[[5, 5], [6, 5], [6, 6]]]]}
    assert [s.coords[1] for s in shapes_from_geojson(mp)] == [(0.0, 1.0), (5.0, 6.0)]


@pytest.mark.parametrize("doc,field", [
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}}]},
     "features[0].geometry.coordinates[0]"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], ["a", 1]]}}]},
     "features[0].geometry.coordinates[1]"),
    ({"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 95]]}}]},
     "features[0].geometry.coordinates[1]"),
    ({"type": "FeatureCollection", "features": 3}, "features"),
    ([1, 2], "$"),
])
def test_geojson_errors_name_the_path(doc, field):
    with pytest.raises(FileFormatError) as e:
        shapes_from_geojson(doc)
    assert e.value.field == field


def test_kml_errors(tmp_path):
    with pytest.raises(FileFormatError, match="not valid XML"):
        shapes_from_kml("<kml><Placemark></kml>")
    bad = "<kml><Placemark><LineString><coordinates>8.5,47.3 x,y</coordinates></LineString></Placemark></kml>"
    with pytest.raises(FileFormatError) as e:
        shapes_from_kml(bad)
    assert e.value.field == "Placemark[0].LineString[0].coordinates[1]"
    p = tmp_path / "broken.geojson"
    p.write_text("{not json")
    with pytest.raises(FileFormatError, match="broken.geojson: line 1"):
        load_shapes(p)
