"""Noisy TrackUpdates from ground-truth positions (the simulator's ``positions.jsonl`` rows).

Lets the rules be scored on realistic tracks before (and independently of) the vision pipeline:
per-axis GPS noise, speed noise with an honest reported sigma, random occlusion gaps, a new track
id after each gap (as a tracker gives after losing a target), and optionally drone revisits (seen
only part of the time, new ids on every pass).
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from datalink.messages import TrackUpdate

#: Simulator classes the COCO detector reports under another name.
DEFAULT_CLASS_MAP: dict[str, str] = {"van": "car"}


@dataclass(frozen=True)
class NoiseModel:
    """How far synthetic tracks are from the truth (1-sigma values) and how often they drop out."""

    sigma_m: float = 1.5
    speed_sigma_kmh: float = 2.0
    dropout_per_s: float = 0.01
    dropout_s: tuple[float, float] = (1.0, 6.0)
    seed: int = 0
    class_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_CLASS_MAP))
    #: drone revisits: everything is seen for ``visible_s`` out of every ``revisit_period_s`` (0 = always)
    revisit_period_s: float = 0.0
    visible_s: float = 0.0


def read_positions(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a ``positions.jsonl`` (``t, ids, class, lat, lon, heading_deg, speed_mps`` columns)."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc})") from None


def noisy_updates(rows: Iterable[dict[str, Any]], noise: NoiseModel = NoiseModel(), *, t0: float = 0.0,
                  vehicle_id: str = "uav1", patrol_id: str = "") -> Iterator[TrackUpdate]:
    """TrackUpdates (time ``t0 + t``) for every agent in every row, with noise, gaps and id switches.

    ``track_id`` is ``agent_id * 1000 + k`` where ``k`` counts the agent's gaps, so a scorer can map
    tracks back to agents with ``track_id // 1000``.
    """
    rng = np.random.default_rng(noise.seed)
    hidden_until: dict[int, float] = {}
    gaps: dict[int, int] = {}
    first_seen: dict[int, float] = {}
    last_t = None
    visit = -1
    for row in rows:
        t = float(row["t"])
        dt = 1.0 if last_t is None else max(t - last_t, 1e-3)
        last_t = t
        if noise.revisit_period_s > 0:
            if t % noise.revisit_period_s >= noise.visible_s:
                continue  # the drone is elsewhere
            if int(t // noise.revisit_period_s) != visit:  # a new pass: the tracker starts afresh
                visit = int(t // noise.revisit_period_s)
                for agent in row["ids"]:
                    gaps[int(agent)] = gaps.get(int(agent), 0) + 1
        for i, agent in enumerate(row["ids"]):
            agent = int(agent)
            if t < hidden_until.get(agent, -math.inf):
                continue
            if rng.random() < noise.dropout_per_s * dt:
                hidden_until[agent] = t + rng.uniform(*noise.dropout_s)
                gaps[agent] = gaps.get(agent, 0) + 1
                continue
            track_id = agent * 1000 + gaps.get(agent, 0)
            first_seen.setdefault(track_id, t0 + t)
            speed = float(row["speed_mps"][i])
            heading = math.radians(float(row["heading_deg"][i]))
            ve = speed * math.sin(heading) + rng.normal(0, noise.speed_sigma_kmh / 3.6)
            vn = speed * math.cos(heading) + rng.normal(0, noise.speed_sigma_kmh / 3.6)
            lat = float(row["lat"][i]) + rng.normal(0, noise.sigma_m / math.sqrt(2)) / 111_320.0
            lon = float(row["lon"][i]) + rng.normal(0, noise.sigma_m / math.sqrt(2)) / (
                111_320.0 * math.cos(math.radians(float(row["lat"][i]))))
            cls = str(row["class"][i])
            yield TrackUpdate(
                vehicle_id=vehicle_id, track_id=track_id, cls=noise.class_map.get(cls, cls), confidence=0.9,
                time_s=t0 + t, lat=lat, lon=lon, alt_m=0.0, sigma_m=noise.sigma_m, vel_e_mps=ve, vel_n_mps=vn,
                speed_kmh=math.hypot(ve, vn) * 3.6, speed_sigma_kmh=noise.speed_sigma_kmh,
                heading_deg=math.degrees(math.atan2(ve, vn)) % 360.0, first_seen_s=first_seen[track_id],
                last_seen_s=t0 + t, frame_id=-1, bbox_xyxy=(0.0, 0.0, 0.0, 0.0), patrol_id=patrol_id)
