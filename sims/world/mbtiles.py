"""Base map of the town as MBTiles 1.3 (SQLite, TMS row order, JPEG tiles) for the ground station.

Each Web-Mercator tile pixel is taken back to WGS84 and then to the orthophoto's ENU pixel
(cv2.remap), so the base map is georeferenced by the same LocalFrame as everything else.
"""
from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import cv2
import numpy as np

from sims.world.ortho import Orthophoto
from sims.world.town import Town

TILE = 256


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Continuous XYZ tile coordinates (x right, y down) of a WGS84 point at zoom ``z``."""
    n = 2.0 ** z
    x = (lon + 180.0) / 360.0 * n
    y = (1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n
    return x, y


def _tile_pixels_lonlat(x: int, y: int, z: int) -> tuple[np.ndarray, np.ndarray]:
    """(lon, lat) of every pixel centre of XYZ tile (x, y, z) as (256, 256) arrays."""
    n = 2.0 ** z
    u = (x + (np.arange(TILE) + 0.5) / TILE) / n
    v = (y + (np.arange(TILE) + 0.5) / TILE) / n
    lon = u * 360.0 - 180.0
    lat = np.degrees(np.arctan(np.sinh(np.pi * (1.0 - 2.0 * v))))
    lon_g, lat_g = np.meshgrid(lon, lat)
    return lon_g, lat_g


def write_mbtiles(town: Town, ortho: Orthophoto, path: str | Path, zooms: tuple[int, ...] = (15, 16, 17, 18, 19),
                  quality: int = 85) -> dict:
    """Write XYZ raster tiles covering the town at ``zooms``; returns the metadata written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    h = ortho.res_m * ortho.image.shape[0] / 2
    lat_c, lon_c, _ = town.frame.to_wgs84(np.array([-h, h]), np.array([-h, h]), np.zeros(2))
    west, east = float(lon_c[0]), float(lon_c[1])
    south, north = float(lat_c[0]), float(lat_c[1])
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE metadata (name TEXT, value TEXT);"
                     "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
                     "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);")
    count = 0
    for z in zooms:
        x0, y0 = lonlat_to_tile(west, north, z)
        x1, y1 = lonlat_to_tile(east, south, z)
        level = 0
        tile_m = 40075016.686 * math.cos(math.radians(town.spec.lat)) / 2 ** z / TILE
        while level + 1 < len(ortho.pyramid) and ortho.res_m * 2 ** (level + 1) <= tile_m:
            level += 1
        src = ortho.pyramid[level] if ortho.pyramid else ortho.image
        res = ortho.res_m * 2 ** level
        for tx in range(int(x0), int(x1) + 1):
            for ty in range(int(y0), int(y1) + 1):
                lon, lat = _tile_pixels_lonlat(tx, ty, z)
                e, n, _ = town.frame.to_enu(lat, lon, np.zeros_like(lat))
                mx = ((e - ortho.e0) / res - 0.5).astype(np.float32)
                my = ((ortho.n0 - n) / res - 0.5).astype(np.float32)
                tile = cv2.remap(src, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(70, 110, 90))
                ok, jpg = cv2.imencode(".jpg", tile, [cv2.IMWRITE_JPEG_QUALITY, quality])
                tms_row = (2 ** z - 1) - ty
                db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, tx, tms_row, jpg.tobytes()))
                count += 1
    meta = {"name": town.spec.name, "format": "jpg", "type": "baselayer", "version": "1.0",
            "description": f"AeroPatrol synthetic town (seed {town.spec.seed})",
            "bounds": f"{west:.7f},{south:.7f},{east:.7f},{north:.7f}",
            "center": f"{town.spec.lon:.7f},{town.spec.lat:.7f},{zooms[len(zooms) // 2]}",
            "minzoom": str(min(zooms)), "maxzoom": str(max(zooms)), "attribution": "AeroPatrol sims (synthetic)"}
    db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    db.commit()
    db.close()
    meta["tiles"] = count
    return meta
