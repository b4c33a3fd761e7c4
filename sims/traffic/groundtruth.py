"""Ground truth of a traffic run: every agent's position per logged tick, and every infraction interval
(who, what, where, from-to time), both as JSON lines. Infractions are detected from the simulated
state itself (speed over the road's limit, driving against a one-way lane, stopped in a no-parking
zone, inside a restricted zone), so they record what happened, not what was scripted.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from sims.traffic.agents import CLASSES
from sims.traffic.scenario import TrafficScenario
from sims.traffic.sim import TrafficSim
from sims.world.town import Town

SPEED_TOLERANCE_KMH = 2.0
STOPPED_MPS = 0.3


@dataclass
class InfractionRecord:
    """One infraction interval in simulation seconds, with where it started (ENU and WGS84)."""

    agent_id: int
    cls: str
    type: str
    place: str  # road or zone id
    t_start: float
    t_end: float
    e: float
    n: float
    max_speed_kmh: float = 0.0
    limit_kmh: float | None = None
    extra: dict = field(default_factory=dict)


class InfractionMonitor:
    """Opens an interval when an agent starts an infraction and closes it when it stops."""

    def __init__(self, sim: TrafficSim) -> None:
        self.sim = sim
        self.open: dict[tuple[int, str, str], InfractionRecord] = {}
        self.closed: list[InfractionRecord] = []
        self.zones = {kind: [(a.id, a.polygon, a.properties) for a in sim.town.areas_of(kind)]
                      for kind in ("no_parking", "restricted")}
        for items in self.zones.values():
            for _, poly, _ in items:
                shapely.prepare(poly)
        infos = sim.paths.infos
        self.path_limit = np.array([i.speed_limit_kmh or np.inf for i in infos])
        self.path_wrong = np.array([i.wrong_way for i in infos])
        self.path_road = [i.road_id for i in infos]

    def update(self) -> None:
        """Check every active agent at the simulator's current time."""
        sim, t = self.sim, self.sim.t
        act = sim.active
        pos = sim._pos
        kmh = sim.v * 3.6
        vehicle = act & ~sim.is_person
        now: dict[tuple[int, str, str], tuple[int, float, float | None]] = {}
        fast = vehicle & (kmh > self.path_limit[sim.path] + SPEED_TOLERANCE_KMH)
        for i in np.nonzero(fast)[0]:
            now[(i, "speeding", self.path_road[sim.path[i]] or "")] = (i, kmh[i], self.path_limit[sim.path[i]])
        wrong = vehicle & self.path_wrong[sim.path] & (sim.v > 1.0)
        for i in np.nonzero(wrong)[0]:
            now[(i, "wrong_way", self.path_road[sim.path[i]] or "")] = (i, kmh[i], None)
        stopped = np.nonzero(vehicle & (sim.v < STOPPED_MPS))[0]
        if len(stopped):
            for zid, poly, _ in self.zones["no_parking"]:
                inside = shapely.contains_xy(poly, pos[stopped, 0], pos[stopped, 1])
                for i in stopped[inside]:
                    now[(i, "no_parking", zid)] = (i, kmh[i], None)
        idx = np.nonzero(act)[0]
        for zid, poly, props in self.zones["restricted"]:
            applies = props.get("applies_to") or list(CLASSES)
            inside = shapely.contains_xy(poly, pos[idx, 0], pos[idx, 1])
            for i in idx[inside]:
                if CLASSES[sim.cls[i]] in applies:
                    now[(i, "restricted_entry", zid)] = (i, kmh[i], None)
        for key, (i, speed, limit) in now.items():
            rec = self.open.get(key)
            if rec is None:
                rec = InfractionRecord(int(sim.ids[i]), CLASSES[sim.cls[i]], key[1], key[2], t, t,
                                       float(pos[i, 0]), float(pos[i, 1]), float(speed),
                                       None if limit is None or not np.isfinite(limit) else float(limit))
                self.open[key] = rec
            rec.t_end = t
            rec.max_speed_kmh = max(rec.max_speed_kmh, float(speed))
        for key in [k for k in self.open if k not in now]:
            self.closed.append(self.open.pop(key))

    def finish(self) -> list[InfractionRecord]:
        """Close every open interval; all records, ordered by start time."""
        self.closed.extend(self.open.values())
        self.open.clear()
        return sorted(self.closed, key=lambda r: (r.t_start, r.agent_id))


def infraction_dict(town: Town, rec: InfractionRecord) -> dict:
    """JSON row of one infraction (adds lat/lon of where it started)."""
    lat, lon, _ = town.frame.to_wgs84(rec.e, rec.n, 0.0)
    row = {"agent_id": rec.agent_id, "class": rec.cls, "type": rec.type, "place": rec.place,
           "t_start": round(rec.t_start, 3), "t_end": round(rec.t_end, 3),
           "duration_s": round(rec.t_end - rec.t_start, 3), "lat": round(float(lat), 8), "lon": round(float(lon), 8),
           "e": round(rec.e, 2), "n": round(rec.n, 2)}
    if rec.type == "speeding":
        row.update(max_speed_kmh=round(rec.max_speed_kmh, 1), limit_kmh=rec.limit_kmh)
    return row


def positions_row(town: Town, sim: TrafficSim) -> dict:
    """Columnar JSON row of every active agent now (ids, classes, lat/lon, ENU, heading, speed)."""
    s = sim.snapshot()
    lat, lon, _ = town.frame.to_wgs84(s.e, s.n, np.zeros(len(s)))
    return {"t": round(s.t, 3), "ids": s.ids.tolist(), "class": [CLASSES[c] for c in s.cls],
            "lat": np.round(lat, 8).tolist(), "lon": np.round(lon, 8).tolist(),
            "e": np.round(s.e, 2).tolist(), "n": np.round(s.n, 2).tolist(),
            "heading_deg": np.round(s.heading_deg, 1).tolist(), "speed_mps": np.round(s.speed, 2).tolist()}


def run_traffic(town: Town, scenario: TrafficScenario, duration_s: float, dt: float, out: Path,
                log_every_s: float = 1.0) -> dict:
    """Run a scenario, writing ``positions.jsonl`` and ``infractions.jsonl`` under ``out``; returns a summary."""
    out.mkdir(parents=True, exist_ok=True)
    sim = TrafficSim(town, scenario)
    monitor = InfractionMonitor(sim)
    steps = int(round(duration_s / dt))
    every = max(1, int(round(log_every_s / dt)))
    t0 = time.perf_counter()
    with open(out / "positions.jsonl", "w") as pos_f:
        pos_f.write(json.dumps(positions_row(town, sim)) + "\n")
        for k in range(1, steps + 1):
            sim.tick(dt)
            monitor.update()
            if k % every == 0:
                pos_f.write(json.dumps(positions_row(town, sim)) + "\n")
    records = monitor.finish()
    with open(out / "infractions.jsonl", "w") as f:
        for rec in records:
            f.write(json.dumps(infraction_dict(town, rec)) + "\n")
    return {"agents": int(len(sim.ids)), "steps": steps, "infractions": len(records),
            "by_type": {t: sum(r.type == t for r in records) for t in sorted({r.type for r in records})},
            "wall_s": round(time.perf_counter() - t0, 2), "output": str(out)}
