"""Deterministic synthetic traffic for link tests, benchmarks and `aeropatrol link demo-onboard`.

Not a simulator: just well-formed messages of realistic size (tracks around a point, infractions,
random evidence bytes) so the link can be exercised without the vision and infractions packages.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
import time
import uuid

from datalink.messages import CLASSES, InfractionEvent, ThumbBox, Thumbnail, TrackBatch, TrackUpdate, encode
from datalink.outbox import OutboxItem


def track_batch(vehicle_id: str, n_tracks: int, frame_id: int, time_s: float | None = None,
                lat0: float = 45.0, lon0: float = 7.0) -> TrackBatch:
    """``n_tracks`` tracks moving east at 10-20 m/s around (lat0, lon0), for frame ``frame_id``."""
    t = time.time() if time_s is None else time_s
    tracks = []
    for i in range(n_tracks):
        speed = 10.0 + (i % 10)
        e = speed * frame_id * 0.1
        lat = lat0 + (i * 5.0) / 111_320.0
        lon = lon0 + e / (111_320.0 * math.cos(math.radians(lat0)))
        tracks.append(TrackUpdate(
            vehicle_id, i, CLASSES[i % len(CLASSES)], 0.5 + (i % 50) / 100.0, t, lat, lon, 230.0, 1.5,
            speed, 0.0, speed * 3.6, 1.2, 90.0, t - 5.0, t, frame_id,
            (10.0 * i, 20.0, 10.0 * i + 40.0, 60.0), (0.04, 0.0, 0.04)))
    return TrackBatch(vehicle_id, t, frame_id, tracks)


def thumbnail(vehicle_id: str, frame_id: int, width: int, quality: int, seed: int = 0) -> Thumbnail:
    """A Thumbnail whose 'JPEG' is random bytes of a size typical for ``width`` x 3/4 at ``quality``."""
    h = width * 3 // 4
    size = int(width * h * (0.02 + quality / 100 * 0.2))
    rnd = random.Random(seed * 1_000_003 + frame_id)
    jpeg = b"\xff\xd8" + rnd.randbytes(max(0, size - 4)) + b"\xff\xd9"
    return Thumbnail(vehicle_id, frame_id, time.time(), width, h, jpeg,
                     [ThumbBox(1, "car", (10.0, 10.0, 50.0, 40.0))], quality)


def infraction(vehicle_id: str, patrol_id: str, index: int, evidence_id: str | None = None,
               infraction_id: str | None = None) -> InfractionEvent:
    """A speeding infraction (60 km/h measured in a 50 zone)."""
    now = time.time()
    return InfractionEvent(
        infraction_id or str(uuid.uuid4()), patrol_id, vehicle_id, "speeding.v1", "1.0",
        {"limit_kmh": 50.0, "tolerance_kmh": 5.0, "min_duration_s": 2.0, "strict": True}, "speeding", index, "car",
        45.0, 7.0, 1.5, now - 3.0, now, {"speed_kmh": 60.0 + index % 7, "duration_s": 3.0},
        {"speed_sigma_kmh": 1.2}, 0.92, "road-1", evidence_id, now, f"car #{index} at 60 km/h in a 50 zone")


def evidence_bytes(size: int, seed: int = 0) -> bytes:
    """``size`` pseudo-random bytes (incompressible, like a JPEG/MP4 package)."""
    return random.Random(seed).randbytes(size)


def infraction_items(vehicle_id: str, patrol_id: str, n: int, evidence_size: int = 0,
                     seed: int = 0) -> list[OutboxItem]:
    """Outbox items: ``n`` infractions, each followed by its evidence package if ``evidence_size`` > 0."""
    items: list[OutboxItem] = []
    for i in range(n):
        ev_id = str(uuid.UUID(int=random.Random(seed * 7919 + i).getrandbits(128))) if evidence_size else None
        inf = infraction(vehicle_id, patrol_id, i, ev_id)
        items.append(OutboxItem(inf.infraction_id, "infraction", encode(inf), created_s=inf.created_s))
        if ev_id:
            data = evidence_bytes(evidence_size, seed * 7919 + i)
            manifest = json.dumps({"infraction_id": inf.infraction_id, "sha256": hashlib.sha256(data).hexdigest(),
                                   "files": [{"name": "clip.bin", "size": evidence_size}]}).encode()
            items.append(OutboxItem(ev_id, "evidence", data, inf.infraction_id, manifest, inf.created_s))
    return items
