"""Ground height models for ray casting: flat ground and a gridded DEM (heights in metres AMSL)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


class DEM(Protocol):
    """Anything that returns the ground height (m AMSL) at WGS84 points, vectorised."""

    def height(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Ground height at each point, metres AMSL (NaN where unknown)."""
        ...


@dataclass(frozen=True)
class FlatDEM:
    """Flat ground at one altitude AMSL."""

    alt_m: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.alt_m):
            raise ValueError(f"FlatDEM: alt_m must be finite, got {self.alt_m!r}")

    def height(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """The constant altitude, shaped like the input."""
        return np.full(np.broadcast(np.asarray(lat), np.asarray(lon)).shape, float(self.alt_m))


@dataclass(frozen=True)
class GridDEM:
    """Heights on a regular lat/lon grid (1-D ascending axes), bilinear in between, NaN outside."""

    lats: np.ndarray
    lons: np.ndarray
    heights: np.ndarray

    def __post_init__(self) -> None:
        lats, lons, h = np.asarray(self.lats, float), np.asarray(self.lons, float), np.asarray(self.heights, float)
        if lats.ndim != 1 or lons.ndim != 1 or lats.size < 2 or lons.size < 2:
            raise ValueError("GridDEM: lats and lons must be 1-D with at least 2 values")
        if h.shape != (lats.size, lons.size):
            raise ValueError(f"GridDEM: heights shape {h.shape} != (len(lats), len(lons)) = {(lats.size, lons.size)}")
        if np.any(np.diff(lats) <= 0) or np.any(np.diff(lons) <= 0):
            raise ValueError("GridDEM: lats and lons must be strictly ascending")
        if not np.all(np.isfinite(h)):
            raise ValueError("GridDEM: heights must be finite")
        object.__setattr__(self, "lats", lats)
        object.__setattr__(self, "lons", lons)
        object.__setattr__(self, "heights", h)

    def height(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Bilinear height at each point; NaN outside the grid."""
        lat, lon = np.broadcast_arrays(np.asarray(lat, float), np.asarray(lon, float))
        i = np.clip(np.searchsorted(self.lats, lat) - 1, 0, self.lats.size - 2)
        j = np.clip(np.searchsorted(self.lons, lon) - 1, 0, self.lons.size - 2)
        ty = (lat - self.lats[i]) / (self.lats[i + 1] - self.lats[i])
        tx = (lon - self.lons[j]) / (self.lons[j + 1] - self.lons[j])
        h = self.heights
        out = (h[i, j] * (1 - ty) * (1 - tx) + h[i + 1, j] * ty * (1 - tx)
               + h[i, j + 1] * (1 - ty) * tx + h[i + 1, j + 1] * ty * tx)
        inside = (lat >= self.lats[0]) & (lat <= self.lats[-1]) & (lon >= self.lons[0]) & (lon <= self.lons[-1])
        return np.where(inside, out, np.nan)
