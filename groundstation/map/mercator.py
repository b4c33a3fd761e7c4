"""Web Mercator (EPSG:3857) maths for the map: lat/lon <-> scene coordinates and XYZ tile indices.

Scene coordinates are Web Mercator metres with y pointing south (scene_y = -northing), so that
Qt's y-down scene shows north up. Vectorised with numpy for many points (tracks, trails).
"""
from __future__ import annotations

import math

import numpy as np

#: Earth radius of the spherical Web Mercator projection (metres).
R_EARTH_M = 6378137.0
#: Half the world width in Web Mercator metres.
HALF_WORLD_M = math.pi * R_EARTH_M
#: Largest latitude Web Mercator shows.
MAX_LAT_DEG = 85.05112878
TILE_PX = 256


def to_scene(lat: float | np.ndarray, lon: float | np.ndarray) -> tuple:
    """Latitude/longitude (degrees) to scene coordinates (x east metres, y south metres)."""
    lat_c = np.clip(lat, -MAX_LAT_DEG, MAX_LAT_DEG)
    x = np.radians(lon) * R_EARTH_M
    y = -np.log(np.tan(np.pi / 4.0 + np.radians(lat_c) / 2.0)) * R_EARTH_M
    if np.ndim(x) == 0:
        return float(x), float(y)
    return x, y


def from_scene(x: float | np.ndarray, y: float | np.ndarray) -> tuple:
    """Scene coordinates back to latitude/longitude (degrees)."""
    lon = np.degrees(np.asarray(x) / R_EARTH_M)
    lat = np.degrees(2.0 * np.arctan(np.exp(-np.asarray(y) / R_EARTH_M)) - np.pi / 2.0)
    if np.ndim(lon) == 0:
        return float(lat), float(lon)
    return lat, lon


def scale_factor(lat: float) -> float:
    """Mercator scale at a latitude: scene metres per ground metre."""
    return 1.0 / math.cos(math.radians(max(-MAX_LAT_DEG, min(MAX_LAT_DEG, lat))))


def tile_size_m(z: int) -> float:
    """Width of one XYZ tile at zoom z in scene metres."""
    return 2.0 * HALF_WORLD_M / (1 << z)


def zoom_for_resolution(m_per_px: float, max_zoom: int = 22) -> int:
    """XYZ zoom whose native resolution (scene metres per pixel) is closest to, not coarser than, m_per_px."""
    if m_per_px <= 0:
        return max_zoom
    z = math.ceil(math.log2(2.0 * HALF_WORLD_M / (TILE_PX * m_per_px)) - 0.25)
    return int(max(0, min(max_zoom, z)))


def tile_bounds(z: int, tx: int, ty: int) -> tuple[float, float, float, float]:
    """Scene rectangle (x0, y0, x1, y1) of XYZ tile (z, tx, ty); XYZ y counts from the north."""
    size = tile_size_m(z)
    x0 = -HALF_WORLD_M + tx * size
    y0 = -HALF_WORLD_M + ty * size
    return x0, y0, x0 + size, y0 + size


def tiles_covering(z: int, x0: float, y0: float, x1: float, y1: float) -> list[tuple[int, int]]:
    """XYZ (tx, ty) tiles at zoom z that intersect the scene rectangle, clipped to the world."""
    size = tile_size_m(z)
    n = 1 << z
    tx0 = max(0, int(math.floor((x0 + HALF_WORLD_M) / size)))
    tx1 = min(n - 1, int(math.floor((x1 + HALF_WORLD_M) / size)))
    ty0 = max(0, int(math.floor((y0 + HALF_WORLD_M) / size)))
    ty1 = min(n - 1, int(math.floor((y1 + HALF_WORLD_M) / size)))
    return [(tx, ty) for ty in range(ty0, ty1 + 1) for tx in range(tx0, tx1 + 1)]


def lonlat_to_tile(lat: float, lon: float, z: int) -> tuple[int, int]:
    """XYZ tile (tx, ty) containing a point at zoom z."""
    x, y = to_scene(lat, lon)
    size = tile_size_m(z)
    n = 1 << z
    return (min(n - 1, int((x + HALF_WORLD_M) // size)), min(n - 1, int((y + HALF_WORLD_M) // size)))
