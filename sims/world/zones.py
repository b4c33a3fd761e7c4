"""Export the town's rules as zones GeoJSON in the format of docs/geo.md (lon, lat coordinates)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, MultiPolygon, Polygon

from sims.world.town import Town


def _lonlat(town: Town, xy: np.ndarray) -> list[list[float]]:
    """ENU metres (N, 2) at ground level -> [[lon, lat], ...] rounded to ~1 cm."""
    lat, lon, _ = town.frame.to_wgs84(xy[:, 0], xy[:, 1], np.zeros(len(xy)))
    return [[round(float(a), 8), round(float(b), 8)] for a, b in zip(np.atleast_1d(lon), np.atleast_1d(lat))]


def _polygon_geojson(town: Town, poly: Polygon | MultiPolygon) -> dict:
    """A shapely (Multi)Polygon in ENU -> GeoJSON geometry in lon/lat."""
    def rings(p: Polygon) -> list:
        return [_lonlat(town, np.asarray(p.exterior.coords))] + [_lonlat(town, np.asarray(r.coords)) for r in p.interiors]
    if isinstance(poly, MultiPolygon):
        return {"type": "MultiPolygon", "coordinates": [rings(p) for p in poly.geoms]}
    return {"type": "Polygon", "coordinates": rings(poly)}


def _line_geojson(town: Town, line: LineString) -> dict:
    """A shapely LineString in ENU -> GeoJSON LineString in lon/lat."""
    return {"type": "LineString", "coordinates": _lonlat(town, np.asarray(line.coords))}


def town_zones_geojson(town: Town) -> dict:
    """The FeatureCollection geo.zones.load_zones reads: roads, no_parking, restricted and privacy areas."""
    feats = []
    for r in town.roads:
        feats.append({"type": "Feature", "geometry": _line_geojson(town, r.line), "properties": {
            "id": r.id, "kind": "road", "name": r.name, "speed_limit_kmh": r.speed_limit_kmh, "oneway": r.oneway,
            "width_m": r.width_m, "lanes": r.lanes}})
    for a in town.areas:
        props = {"id": a.id, "kind": a.kind, "name": a.name}
        props.update({k: v for k, v in a.properties.items() if v is not None})
        feats.append({"type": "Feature", "geometry": _polygon_geojson(town, a.polygon), "properties": props})
    return {"type": "FeatureCollection", "name": town.spec.name,
            "properties": {"origin": {"lat": town.spec.lat, "lon": town.spec.lon, "alt_m": town.spec.alt_m},
                           "seed": town.spec.seed},
            "features": feats}


def write_zones(town: Town, path: str | Path) -> Path:
    """Write the zones GeoJSON to ``path``; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(town_zones_geojson(town), indent=1))
    return path
