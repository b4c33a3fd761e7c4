"""Synthetic zones and tracks for the infractions tests (straight roads, polygons, noisy GPS)."""
from __future__ import annotations

import math

import numpy as np

from datalink.messages import TrackUpdate
from geo.frames import LocalFrame

ORIGIN = LocalFrame(48.8566, 2.3522, 0.0, name="test")
#: 2026-11-23 12:00 UTC, inside any daytime active hours
NOON_S = 1795435200.0


def ll(e: float, n: float) -> list[float]:
    """Local metres -> [lon, lat] for GeoJSON."""
    lat, lon, _ = ORIGIN.to_wgs84(e, n, 0.0)
    return [float(lon), float(lat)]


def square(e0: float, n0: float, e1: float, n1: float) -> list[list[list[float]]]:
    """A rectangle polygon ring in [lon, lat]."""
    return [[ll(e0, n0), ll(e1, n0), ll(e1, n1), ll(e0, n1), ll(e0, n0)]]


def zones_dict(restricted_hours: list[str] | None = None) -> dict:
    """Main street (E-W, 50 km/h), a one-way street (northbound, x=200), a no-parking box, a restricted box."""
    feats = [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [ll(-500, 0), ll(500, 0)]},
         "properties": {"id": "main", "kind": "road", "speed_limit_kmh": 50}},
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [ll(200, -400), ll(200, 400)]},
         "properties": {"id": "oneway_n", "kind": "road", "speed_limit_kmh": 30, "oneway": True}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square(-100, 10, -60, 20)},
         "properties": {"id": "np1", "kind": "no_parking"}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square(-300, 50, -250, 100)},
         "properties": {"id": "r1", "kind": "restricted", "applies_to": ["person"],
                        **({"active_hours": restricted_hours} if restricted_hours else {})}},
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square(300, 50, 350, 100)},
         "properties": {"id": "priv1", "kind": "privacy"}},
    ]
    return {"type": "FeatureCollection", "features": feats}


def track(points_en: np.ndarray, times: np.ndarray, *, cls: str = "car", track_id: int = 1,
          sigma_m: float = 1.0, speed_sigma_kmh: float = 2.0, rng: np.random.Generator | None = None,
          vehicle_id: str = "uav1", speed_noise_kmh: float = 0.0) -> list[TrackUpdate]:
    """TrackUpdates along a local-metre polyline sampled at ``times``; optional GPS noise (sigma_m per axis/√2)."""
    pts = np.asarray(points_en, dtype=float)
    vel = np.gradient(pts, times, axis=0) if len(times) > 1 else np.zeros_like(pts)
    out = []
    for i, t in enumerate(times):
        e, n = pts[i]
        ve, vn = vel[i]
        speed = math.hypot(ve, vn) * 3.6
        if rng is not None:
            e += rng.normal(0, sigma_m / math.sqrt(2))
            n += rng.normal(0, sigma_m / math.sqrt(2))
            if speed_noise_kmh:
                speed = max(0.0, speed + rng.normal(0, speed_noise_kmh))
        lat, lon, _ = ORIGIN.to_wgs84(e, n, 0.0)
        out.append(TrackUpdate(
            vehicle_id=vehicle_id, track_id=track_id, cls=cls, confidence=0.9, time_s=float(t), lat=float(lat),
            lon=float(lon), alt_m=0.0, sigma_m=sigma_m, vel_e_mps=float(ve), vel_n_mps=float(vn),
            speed_kmh=float(speed), speed_sigma_kmh=speed_sigma_kmh,
            heading_deg=float(math.degrees(math.atan2(ve, vn)) % 360), first_seen_s=float(times[0]),
            last_seen_s=float(t), frame_id=i, bbox_xyxy=(10.0, 10.0, 50.0, 40.0)))
    return out


def straight(e0: float, n0: float, heading_deg: float, speed_kmh: float, duration_s: float, hz: float = 5.0,
             t0: float = NOON_S) -> tuple[np.ndarray, np.ndarray]:
    """Positions and times of a constant-velocity run."""
    times = t0 + np.arange(0.0, duration_s + 1e-9, 1.0 / hz)
    v = speed_kmh / 3.6
    h = math.radians(heading_deg)
    pts = np.stack([e0 + v * math.sin(h) * (times - t0), n0 + v * math.cos(h) * (times - t0)], axis=1)
    return pts, times
