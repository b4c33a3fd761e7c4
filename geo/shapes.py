"""Move shapely geometries between lon/lat degrees and a LocalFrame's (east, north) metres."""
from __future__ import annotations

from typing import TypeVar

import numpy as np
import shapely

from geo.frames import LocalFrame

G = TypeVar("G", bound=shapely.Geometry)


def to_metres(geometry: G, frame: LocalFrame) -> G:
    """A (lon, lat) geometry as (east, north) metres in the frame, at the frame's height."""
    def fwd(xy: np.ndarray) -> np.ndarray:
        e, n, _ = frame.to_enu(xy[:, 1], xy[:, 0], frame.alt)
        return np.column_stack((e, n))
    return shapely.transform(geometry, fwd)


def to_lonlat(geometry: G, frame: LocalFrame) -> G:
    """An (east, north) metre geometry in the frame as (lon, lat) degrees."""
    def inv(xy: np.ndarray) -> np.ndarray:
        lat, lon, _ = frame.to_wgs84(xy[:, 0], xy[:, 1], np.zeros(len(xy)))
        return np.column_stack((lon, lat))
    return shapely.transform(geometry, inv)
