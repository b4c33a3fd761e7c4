"""One georeferenced track observation as the rules see it, built from a datalink ``TrackUpdate``."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Observation:
    """A track's state at one capture time: WGS84 position, ground velocity and their 1-sigma."""

    vehicle_id: str
    track_id: int
    cls: str
    time_s: float
    lat: float
    lon: float
    sigma_m: float
    vel_e_mps: float
    vel_n_mps: float
    speed_kmh: float
    speed_sigma_kmh: float
    confidence: float = 1.0
    alt_m: float = 0.0
    frame_id: int = -1
    bbox_xyxy: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    patrol_id: str = ""

    @property
    def key(self) -> tuple[str, int]:
        """Identity of the track across observations: (drone, tracker id)."""
        return (self.vehicle_id, self.track_id)

    @property
    def course_deg(self) -> float:
        """Direction of motion from the velocity (0 = north, 90 = east), in [0, 360)."""
        return math.degrees(math.atan2(self.vel_e_mps, self.vel_n_mps)) % 360.0

    @classmethod
    def from_message(cls, msg: Any) -> "Observation":
        """Build from a ``datalink.messages.TrackUpdate`` (or anything with the same attribute names)."""
        if isinstance(msg, Observation):
            return msg
        bbox = getattr(msg, "bbox_xyxy", (0.0, 0.0, 0.0, 0.0))
        return cls(
            vehicle_id=str(msg.vehicle_id), track_id=int(msg.track_id), cls=str(msg.cls),
            time_s=float(msg.time_s), lat=float(msg.lat), lon=float(msg.lon),
            sigma_m=float(msg.sigma_m), vel_e_mps=float(msg.vel_e_mps), vel_n_mps=float(msg.vel_n_mps),
            speed_kmh=float(msg.speed_kmh), speed_sigma_kmh=float(msg.speed_sigma_kmh),
            confidence=float(getattr(msg, "confidence", 1.0)), alt_m=float(getattr(msg, "alt_m", 0.0)),
            frame_id=int(getattr(msg, "frame_id", -1)), bbox_xyxy=tuple(float(v) for v in bbox),  # type: ignore[arg-type]
            patrol_id=str(getattr(msg, "patrol_id", "") or ""),
        )

    def is_finite(self) -> bool:
        """True when every number the rules use is finite (garbage is skipped, never raised)."""
        values = (self.time_s, self.lat, self.lon, self.sigma_m, self.vel_e_mps, self.vel_n_mps,
                  self.speed_kmh, self.speed_sigma_kmh)
        return all(math.isfinite(v) for v in values)
