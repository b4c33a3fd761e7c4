"""Live tracks from the data link, kept as the latest update per (vehicle, track) and expired when stale."""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrackColumns:
    """All live tracks as columns, ready for the map's batch ``set_tracks``."""

    ids: np.ndarray
    cls: list[str]
    lat: np.ndarray
    lon: np.ndarray
    heading_deg: np.ndarray
    speed_kmh: np.ndarray


class TrackTable:
    """Latest ``TrackUpdate`` per (vehicle_id, track_id); anything not refreshed for ``ttl_s`` is dropped."""

    def __init__(self, ttl_s: float = 5.0) -> None:
        self.ttl_s = ttl_s
        self._tracks: dict[tuple[str, int], object] = {}
        self._seen: dict[tuple[str, int], float] = {}

    def update(self, tracks: Iterable, now: float | None = None) -> None:
        """Add or refresh tracks (``datalink.messages.TrackUpdate`` or anything with the same fields)."""
        now = time.monotonic() if now is None else now
        for t in tracks:
            key = (t.vehicle_id, int(t.track_id))
            self._tracks[key] = t
            self._seen[key] = now

    def expire(self, now: float | None = None) -> int:
        """Drop stale tracks; returns how many were dropped."""
        now = time.monotonic() if now is None else now
        old = [k for k, s in self._seen.items() if now - s > self.ttl_s]
        for k in old:
            self._tracks.pop(k, None)
            self._seen.pop(k, None)
        return len(old)

    def __len__(self) -> int:
        return len(self._tracks)

    def get(self, vehicle_id: str, track_id: int):
        return self._tracks.get((vehicle_id, track_id))

    def columns(self) -> TrackColumns:
        """Columns of every live track."""
        ts = list(self._tracks.values())
        return TrackColumns(
            ids=np.array([t.track_id for t in ts], dtype=np.int64),
            cls=[t.cls for t in ts],
            lat=np.array([t.lat for t in ts], float),
            lon=np.array([t.lon for t in ts], float),
            heading_deg=np.array([t.heading_deg for t in ts], float),
            speed_kmh=np.array([t.speed_kmh for t in ts], float),
        )
