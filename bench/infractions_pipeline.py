"""Infractions figures: rule-engine throughput, durable infraction commits, evidence package build.

Run: ``.venv/bin/python -m bench.infractions_pipeline [--quick]``. Baselines are measured in the
same run: the engine against converting + projecting the same observations only; durable commits
(synchronous=FULL, one transaction per infraction with its outbox item) against the same inserts
with synchronous=OFF in one transaction.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from datalink.messages import InfractionEvent, TrackUpdate
from geo.frames import LocalFrame
from geo.zones import load_zones
from infractions.evidence import Detection, FrameRecord, build_package
from infractions.rules import Observation, RuleEngine
from infractions.store import open_store

ORIGIN = LocalFrame(47.3977, 8.5456, 408.0, name="bench")


def ll(e: float, n: float) -> list[float]:
    lat, lon, _ = ORIGIN.to_wgs84(e, n, 408.0)
    return [float(lon), float(lat)]


def zones() -> dict:
    """A 1 km grid of 10 roads (two one-way), 20 no-parking strips, 2 restricted areas, 2 privacy areas."""
    feats = []
    for k in range(5):
        c = -400 + 200 * k
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [ll(-500, c), ll(500, c)]},
                      "properties": {"id": f"ew{k}", "kind": "road", "speed_limit_kmh": 50 if k % 2 else 30,
                                     "oneway": k == 1}})
        feats.append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [ll(c, -500), ll(c, 500)]},
                      "properties": {"id": f"ns{k}", "kind": "road", "speed_limit_kmh": 30, "oneway": k == 3}})
    for k in range(20):
        e0 = -450 + 45 * k
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            ll(e0, 5), ll(e0 + 30, 5), ll(e0 + 30, 8), ll(e0, 8), ll(e0, 5)]]},
            "properties": {"id": f"np{k}", "kind": "no_parking"}})
    for k, kind in enumerate(("restricted", "restricted", "privacy", "privacy")):
        e0, n0 = -300 + 150 * k, 250
        feats.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[
            ll(e0, n0), ll(e0 + 60, n0), ll(e0 + 60, n0 + 60), ll(e0, n0 + 60), ll(e0, n0)]]},
            "properties": {"id": f"{kind}{k}", "kind": kind}})
    return {"type": "FeatureCollection", "features": feats}


def traffic(n_tracks: int, seconds: int, hz: float, seed: int = 0) -> list[TrackUpdate]:
    """Vehicles along the grid roads (10 % speeding), noisy, time-ordered."""
    rng = np.random.default_rng(seed)
    ups = []
    for tid in range(n_tracks):
        horizontal = tid % 2 == 0
        c = -400 + 200 * (tid % 5)
        kmh = rng.uniform(20, 30) if rng.random() > 0.1 else rng.uniform(60, 80)
        v = kmh / 3.6
        start = rng.uniform(-500, 0)
        for k in range(int(seconds * hz)):
            t = k / hz
            s = start + v * t
            e, n = (s, c) if horizontal else (c, s)
            lat, lon, _ = ORIGIN.to_wgs84(e + rng.normal(0, 1), n + rng.normal(0, 1), 408.0)
            ve, vn = (v, 0.0) if horizontal else (0.0, v)
            ups.append(TrackUpdate(vehicle_id="uav1", track_id=tid, cls="car", confidence=0.9, time_s=1.7e9 + t,
                                   lat=float(lat), lon=float(lon), alt_m=408.0, sigma_m=1.4, vel_e_mps=ve,
                                   vel_n_mps=vn, speed_kmh=kmh + rng.normal(0, 2), speed_sigma_kmh=2.0,
                                   heading_deg=90.0 if horizontal else 0.0, first_seen_s=1.7e9, last_seen_s=1.7e9 + t,
                                   frame_id=k, bbox_xyxy=(0, 0, 1, 1)))
    ups.sort(key=lambda u: u.time_s)
    return ups


def bench_engine(ups: list[TrackUpdate]) -> None:
    zs = load_zones(zones(), frame=ORIGIN)
    engine = RuleEngine(zs, patrol_id="bench", clock=lambda: 0.0)
    t0 = time.perf_counter()
    for u in ups:
        e, n, _ = ORIGIN.to_enu(u.lat, u.lon, 408.0)
        Observation.from_message(u)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    found = engine.update_many(ups)
    wall = time.perf_counter() - t0
    print(f"rule engine: {len(ups)} observations, {len(found)} findings, {len(ups) / wall:,.0f} obs/s "
          f"({wall / len(ups) * 1e6:.0f} us/obs); baseline convert+project only {len(ups) / base:,.0f} obs/s; "
          f"ratio {wall / base:.1f}x")


def event(i: int) -> InfractionEvent:
    return InfractionEvent(infraction_id=f"b-{i}", patrol_id="bench", vehicle_id="uav1", rule_id="speeding",
                           rule_version="1.0", rule_params={"k_sigma": 2.0}, kind="speeding", track_id=i, cls="car",
                           lat=47.0, lon=8.0, sigma_m=1.0, start_s=0.0, end_s=1.0, measurements={"v": 1.0},
                           uncertainty={"s": 1.0}, confidence=0.99, zone_id="r", evidence_id=None, created_s=1.0,
                           summary="bench")


def bench_store(n: int, tmp: Path) -> None:
    store = open_store(tmp / "durable.db")
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        store.records.record_infraction(event(i), profile=[(0.0, 80.0, 2.0)] * 60)
        lat.append(time.perf_counter() - s)
    wall = time.perf_counter() - t0
    store.close()
    raw = sqlite3.connect(tmp / "baseline.db")
    raw.execute("PRAGMA synchronous=OFF")
    raw.execute("CREATE TABLE t (id TEXT PRIMARY KEY, data BLOB)")
    from datalink.messages import encode

    t0 = time.perf_counter()
    with raw:
        for i in range(n):
            raw.execute("INSERT INTO t VALUES (?, ?)", (f"b-{i}", encode(event(i))))
    base = time.perf_counter() - t0
    raw.close()
    lat.sort()
    print(f"durable infraction commit (WAL, synchronous=FULL, infraction + outbox per transaction): "
          f"{n / wall:,.0f}/s, latency median {statistics.median(lat) * 1e3:.2f} ms, "
          f"p99 {lat[int(0.99 * (len(lat) - 1))] * 1e3:.2f} ms; baseline unsynchronised batch insert "
          f"{n / base:,.0f}/s; ratio {wall / base:.0f}x")


def bench_evidence(n_frames: int, tmp: Path, repeats: int) -> None:
    zs = load_zones(zones(), frame=ORIGIN)
    engine = RuleEngine(zs, patrol_id="bench-ev", clock=lambda: 0.0)
    finding = next(f for f in engine.update_many(traffic(40, 20, 5.0, seed=3)) if f.event.kind == "speeding")
    rng = np.random.default_rng(1)
    frames = [FrameRecord(i, finding.event.start_s + i * 0.1, rng.integers(0, 255, (720, 1280, 3), np.uint8),
                          [Detection(finding.event.track_id, "car", (600, 300, 700, 360)),
                           *[Detection(100 + k, "person", (50 + 90 * k, 500, 90 + 90 * k, 600)) for k in range(8)]])
              for i in range(n_frames)]
    times = []
    for r in range(repeats):
        t0 = time.perf_counter()
        pkg = build_package(tmp / f"ev{r}", finding, frames, calibration={"fx": 1000.0})
        times.append(time.perf_counter() - t0)
    size = sum(p.stat().st_size for p in pkg.path.iterdir())
    print(f"evidence package: {n_frames} frames 1280x720 with 8 bystanders blurred, clip + plots + manifest: "
          f"median {statistics.median(times):.2f} s, {size / 1e6:.1f} MB, "
          f"{n_frames / statistics.median(times):.0f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about 20 s)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        bench_engine(traffic(100 if args.quick else 300, 60, 5.0))
        bench_store(200 if args.quick else 1000, tmp)
        bench_evidence(30 if args.quick else 50, tmp, 1 if args.quick else 3)


if __name__ == "__main__":
    main()
