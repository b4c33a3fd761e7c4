"""WGS84 <-> local ENU (around a named origin) <-> UTM, vectorised over numpy arrays with pyproj.

Heights: the code keeps one vertical datum, the one MAVLink reports (``alt`` = metres AMSL), and
passes it to PROJ as the ellipsoidal height. The geoid undulation is (nearly) constant over a patrol,
so this shifts every height by the same amount and leaves local geometry exact; convert with a geoid
grid only at the boundary where a true ellipsoidal height is needed.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from pyproj import CRS, Transformer

ArrayLike = float | np.ndarray

#: Mean Earth radius (m), for the small-angle curvature term only; geodesy itself goes through PROJ.
EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class LocalFrame:
    """A local East-North-Up tangent frame at a named WGS84 origin (degrees, metres AMSL)."""

    lat: float
    lon: float
    alt: float = 0.0
    name: str = "origin"

    def __post_init__(self) -> None:
        for label, value in (("lat", self.lat), ("lon", self.lon), ("alt", self.alt)):
            if not np.isfinite(value):
                raise ValueError(f"LocalFrame {self.name!r}: {label} must be finite, got {value!r}")
        if not -90.0 <= self.lat <= 90.0:
            raise ValueError(f"LocalFrame {self.name!r}: lat {self.lat} outside [-90, 90]")
        if not -180.0 <= self.lon <= 360.0:
            raise ValueError(f"LocalFrame {self.name!r}: lon {self.lon} outside [-180, 360]")

    @cached_property
    def _to_enu(self) -> Transformer:
        pipeline = (
            "+proj=pipeline +step +proj=axisswap +order=2,1 +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            "+step +proj=cart +ellps=WGS84 "
            f"+step +proj=topocentric +ellps=WGS84 +lat_0={self.lat!r} +lon_0={self.lon!r} +h_0={self.alt!r}"
        )
        return Transformer.from_pipeline(pipeline)

    def to_enu(self, lat: ArrayLike, lon: ArrayLike, alt: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """WGS84 degrees + metres -> (east, north, up) metres in this frame."""
        if np.ndim(lat) == np.ndim(lon) == np.ndim(alt) == 0:  # one point: PROJ's scalar path, 10x faster
            e, n, u = self._to_enu.transform(float(lat), float(lon), float(alt))
            return np.asarray(e), np.asarray(n), np.asarray(u)
        lat, lon, alt = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (lat, lon, alt)))
        e, n, u = self._to_enu.transform(lat, lon, alt)
        return np.asarray(e), np.asarray(n), np.asarray(u)

    def to_wgs84(self, east: ArrayLike, north: ArrayLike, up: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(east, north, up) metres in this frame -> WGS84 (lat, lon) degrees and alt metres."""
        if np.ndim(east) == np.ndim(north) == np.ndim(up) == 0:
            lat, lon, alt = self._to_enu.transform(float(east), float(north), float(up), direction="INVERSE")
            return np.asarray(lat), np.asarray(lon), np.asarray(alt)
        e, n, u = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (east, north, up)))
        lat, lon, alt = self._to_enu.transform(e, n, u, direction="INVERSE")
        return np.asarray(lat), np.asarray(lon), np.asarray(alt)


class WGS84FromENU:
    """Mixin for point sets held in a ``LocalFrame``'s ENU: ``lat``/``lon``/``alt``, converted by PROJ once,
    when first read (callers working in the frame never pay for it). The class gives ``frame`` and
    ``_enu_columns()``."""

    frame: LocalFrame

    def _enu_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    @cached_property
    def _wgs84(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lat, lon, alt = self.frame.to_wgs84(*self._enu_columns())
        return np.asarray(lat, float), np.asarray(lon, float), np.asarray(alt, float)

    @property
    def lat(self) -> np.ndarray:
        """Latitude (deg), NaN where invalid."""
        return self._wgs84[0]

    @property
    def lon(self) -> np.ndarray:
        """Longitude (deg), NaN where invalid."""
        return self._wgs84[1]

    @property
    def alt(self) -> np.ndarray:
        """Altitude (m AMSL, the frame's vertical datum), NaN where invalid."""
        return self._wgs84[2]


def utm_crs_for(lat: float, lon: float) -> CRS:
    """The WGS84 / UTM zone CRS that contains (lat, lon) (EPSG 326xx north, 327xx south)."""
    if not (np.isfinite(lat) and np.isfinite(lon)) or not -80.0 <= lat <= 84.0:
        raise ValueError(f"UTM is defined for latitudes in [-80, 84], got lat={lat!r}")
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@dataclass(frozen=True)
class UtmFrame:
    """A UTM projection (easting, northing metres) for one zone, axis order always (x=east, y=north)."""

    crs: CRS

    @classmethod
    def for_point(cls, lat: float, lon: float) -> "UtmFrame":
        """The UTM zone frame containing a WGS84 point."""
        return cls(utm_crs_for(lat, lon))

    @cached_property
    def _fwd(self) -> Transformer:
        return Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)

    def to_utm(self, lat: ArrayLike, lon: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """WGS84 degrees -> (easting, northing) metres."""
        x, y = self._fwd.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x), np.asarray(y)

    def to_wgs84(self, easting: ArrayLike, northing: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(easting, northing) metres -> WGS84 (lat, lon) degrees."""
        lon, lat = self._fwd.transform(
            np.asarray(easting, dtype=float), np.asarray(northing, dtype=float), direction="INVERSE"
        )
        return np.asarray(lat), np.asarray(lon)


def enu_to_utm(frame: LocalFrame, utm: UtmFrame, east: ArrayLike, north: ArrayLike, up: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local ENU -> UTM (easting, northing) and altitude, through WGS84."""
    lat, lon, alt = frame.to_wgs84(east, north, up)
    x, y = utm.to_utm(lat, lon)
    return x, y, alt


def bearing_deg(d_east: ArrayLike, d_north: ArrayLike) -> np.ndarray:
    """Compass bearing (0 = north, 90 = east) of an ENU displacement, in [0, 360)."""
    return np.mod(np.degrees(np.arctan2(d_east, d_north)), 360.0)
