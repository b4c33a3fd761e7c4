"""Patrol areas (polygons, holes included) and routes (lines) from GeoJSON or KML (xml.etree, no extra dependency)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flight.files.errors import FileFormatError


@dataclass(frozen=True)
class Shape:
    """A patrol area ("polygon": outer ring + holes) or route ("line"), coordinates as (lat, lon)."""

    kind: str
    coords: list[tuple[float, float]]
    holes: list[list[tuple[float, float]]] = field(default_factory=list)
    name: str = ""


def _lonlat_list(value: Any, path: str, min_count: int) -> list[tuple[float, float]]:
    if not isinstance(value, list):
        raise FileFormatError(path, "expected a list of [lon, lat] positions")
    out = []
    for i, c in enumerate(value):
        if not (isinstance(c, list) and len(c) >= 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                              for v in c[:2])):
            raise FileFormatError(f"{path}[{i}]", "expected a position [lon, lat]")
        lon, lat = float(c[0]), float(c[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise FileFormatError(f"{path}[{i}]", f"position out of range (lon {lon}, lat {lat})")
        out.append((lat, lon))
    if len(out) > 1 and out[0] == out[-1] and min_count >= 3:
        out = out[:-1]
    if len(out) < min_count:
        raise FileFormatError(path, f"expected at least {min_count} distinct positions, got {len(out)}")
    return out


def _geometry_shapes(geom: Any, path: str, name: str) -> list[Shape]:
    if not isinstance(geom, dict) or "type" not in geom:
        raise FileFormatError(path, "expected a GeoJSON geometry object with a type")
    t = geom["type"]
    coords = geom.get("coordinates")
    if t == "Polygon":
        if not isinstance(coords, list) or not coords:
            raise FileFormatError(f"{path}.coordinates", "expected a list of rings")
        rings = [_lonlat_list(r, f"{path}.coordinates[{i}]", 3) for i, r in enumerate(coords)]
        return [Shape("polygon", rings[0], rings[1:], name)]
    if t == "MultiPolygon":
        if not isinstance(coords, list):
            raise FileFormatError(f"{path}.coordinates", "expected a list of polygons")
        return [s for i, c in enumerate(coords)
                for s in _geometry_shapes({"type": "Polygon", "coordinates": c}, f"{path}.coordinates[{i}]", name)]
    if t == "LineString":
        return [Shape("line", _lonlat_list(coords, f"{path}.coordinates", 2), [], name)]
    if t == "MultiLineString":
        if not isinstance(coords, list):
            raise FileFormatError(f"{path}.coordinates", "expected a list of lines")
        return [Shape("line", _lonlat_list(c, f"{path}.coordinates[{i}]", 2), [], name) for i, c in enumerate(coords)]
    if t == "GeometryCollection":
        return [s for i, g in enumerate(geom.get("geometries", [])) for s in _geometry_shapes(g, f"{path}.geometries[{i}]", name)]
    return []  # points and others carry no area or route


def shapes_from_geojson(doc: Any) -> list[Shape]:
    """Every polygon and line of a GeoJSON FeatureCollection, Feature or bare geometry (names from properties.name)."""
    if not isinstance(doc, dict) or "type" not in doc:
        raise FileFormatError("$", "expected a GeoJSON object with a type")
    if doc["type"] == "FeatureCollection":
        feats = doc.get("features")
        if not isinstance(feats, list):
            raise FileFormatError("features", "expected a list")
        out = []
        for i, f in enumerate(feats):
            if not isinstance(f, dict):
                raise FileFormatError(f"features[{i}]", "expected a Feature object")
            props = f.get("properties") or {}
            name = str(props.get("name", props.get("id", ""))) if isinstance(props, dict) else ""
            if f.get("geometry") is not None:
                out += _geometry_shapes(f["geometry"], f"features[{i}].geometry", name)
        return out
    if doc["type"] == "Feature":
        props = doc.get("properties") or {}
        return _geometry_shapes(doc.get("geometry"), "geometry", str(props.get("name", "")) if isinstance(props, dict) else "")
    return _geometry_shapes(doc, "$", "")


def _kml_coords(el: ET.Element | None, path: str, min_count: int) -> list[tuple[float, float]]:
    if el is None or not (el.text or "").strip():
        raise FileFormatError(path, "missing <coordinates>")
    pts = []
    for i, tok in enumerate(el.text.split()):
        parts = tok.split(",")
        try:
            lon, lat = float(parts[0]), float(parts[1])
        except (ValueError, IndexError):
            raise FileFormatError(f"{path}[{i}]", f"expected lon,lat[,alt], got {tok!r}") from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 360):
            raise FileFormatError(f"{path}[{i}]", f"position out of range (lon {lon}, lat {lat})")
        pts.append((lat, lon))
    if len(pts) > 1 and pts[0] == pts[-1] and min_count >= 3:
        pts = pts[:-1]
    if len(pts) < min_count:
        raise FileFormatError(path, f"expected at least {min_count} distinct positions, got {len(pts)}")
    return pts


def shapes_from_kml(text: str) -> list[Shape]:
    """Every Polygon (outer + inner boundaries) and LineString in the Placemarks of a KML document."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FileFormatError(f"line {exc.position[0]}", f"not valid XML: {exc}") from None
    out = []
    for k, pm in enumerate(root.iterfind(".//{*}Placemark")):
        name = (pm.findtext("{*}name") or "").strip()
        for j, poly in enumerate(pm.iterfind(".//{*}Polygon")):
            path = f"Placemark[{k}].Polygon[{j}]"
            outer = _kml_coords(poly.find("{*}outerBoundaryIs/{*}LinearRing/{*}coordinates"),
                                f"{path}.outerBoundaryIs.coordinates", 3)
            holes = [_kml_coords(h.find("{*}LinearRing/{*}coordinates"), f"{path}.innerBoundaryIs[{i}].coordinates", 3)
                     for i, h in enumerate(poly.findall("{*}innerBoundaryIs"))]
            out.append(Shape("polygon", outer, holes, name))
        for j, line in enumerate(pm.iterfind(".//{*}LineString")):
            out.append(Shape("line", _kml_coords(line.find("{*}coordinates"), f"Placemark[{k}].LineString[{j}].coordinates", 2),
                             [], name))
    return out


def load_shapes(path: str | Path) -> list[Shape]:
    """All polygons and lines of a .geojson/.json or .kml file (by extension, else by content)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FileFormatError("$", f"cannot read: {exc}", str(p)) from None
    try:
        if p.suffix.lower() == ".kml" or text.lstrip().startswith("<"):
            return shapes_from_kml(text)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileFormatError(f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}") from None
        return shapes_from_geojson(doc)
    except FileFormatError as exc:
        raise exc.in_file(str(p)) from None


def load_area(path: str | Path, kind: str = "polygon", name: str | None = None, index: int = 0) -> Shape:
    """The patrol area ("polygon") or route ("line") of a file: the one named `name`, else the `index`-th of that kind."""
    shapes = [s for s in load_shapes(path) if s.kind == kind]
    if name is not None:
        shapes = [s for s in shapes if s.name == name]
    if not shapes:
        raise FileFormatError("$", f"no {kind}{' named ' + repr(name) if name else ''} found", str(path))
    if not 0 <= index < len(shapes):
        raise FileFormatError("$", f"{kind} index {index} out of range (file has {len(shapes)})", str(path))
    return shapes[index]
