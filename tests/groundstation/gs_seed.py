"""Seeds an infractions store for ground-station tests: users (argon2 via the store), infractions with
real evidence packages built by ``infractions.evidence`` from real imagery (ultralytics' bus.jpg)."""
from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from datalink.messages import InfractionEvent

PASSWORDS = {"admin": "admin-pass-1", "rita": "reviewer-pass-1", "paul": "pilot-pass-1"}
BASE_LAT, BASE_LON = 47.3977, 8.5456


def _bus_image() -> np.ndarray:
    from groundstation.qtenv import import_cv2

    cv2 = import_cv2()
    root = Path(importlib.util.find_spec("ultralytics").submodule_search_locations[0])
    img = cv2.imread(str(root / "assets" / "bus.jpg"))
    assert img is not None
    return cv2.resize(img, (540, 720))


def _event(i: int, kind: str, now: float, zone: str) -> InfractionEvent:
    lat, lon = BASE_LAT + 0.0004 * i, BASE_LON + 0.0006 * i
    meas = {"speeding": ({"speed_kmh": 71.4, "limit_kmh": 50.0, "threshold_kmh": 60.0}, {"speed_kmh": 2.1, "k_sigma": 2.0}),
            "no_parking": ({"dwell_s": 412.0}, {"dwell_s": 1.0}),
            "wrong_way": ({"heading_error_deg": 176.0, "distance_m": 85.0}, {"heading_error_deg": 6.0}),
            "restricted_area": ({"inside_s": 33.0}, {"inside_s": 0.5})}[kind]
    return InfractionEvent(
        infraction_id=f"inf-{i:03d}-{kind}", patrol_id="patrol-1", vehicle_id="uav1", rule_id=f"{kind}.v1",
        rule_version="1.0", rule_params={"limit_kmh": 50.0} if kind == "speeding" else {"min_s": 120.0},
        kind=kind, track_id=100 + i, cls="car", lat=lat, lon=lon, sigma_m=1.8, start_s=now - 600 + 60 * i,
        end_s=now - 590 + 60 * i, measurements=meas[0], uncertainty=meas[1], confidence=0.87, zone_id=zone,
        evidence_id=None, created_s=now - 590 + 60 * i, summary=f"car #{100 + i} {kind.replace('_', ' ')} in {zone}")


def seed_store(path: Path, evidence_root: Path, n_with_evidence: int = 2):
    """A store with 3 users and 4 infractions (2 with evidence packages); returns (store, events)."""
    from infractions.evidence.package import Detection, FrameRecord, build_package
    from infractions.store import open_store

    store = open_store(path)
    admin = store.users.add("admin", PASSWORDS["admin"], "admin")
    store.users.add("rita", PASSWORDS["rita"], "reviewer", actor=admin)
    store.users.add("paul", PASSWORDS["paul"], "pilot", actor=admin)
    now = time.time()
    kinds = [("speeding", "road-main"), ("no_parking", "np-school"), ("wrong_way", "road-oneway"),
             ("restricted_area", "restricted-park")]
    events = []
    image = _bus_image()
    for i, (kind, zone) in enumerate(kinds):
        ev = _event(i, kind, now, zone)
        profile = [(ev.start_s - 8 + 0.5 * k, 48 + 2.0 * k if k < 14 else 74 - (k - 14), 2.0) for k in range(24)]
        track = [(ev.start_s - 8 + 0.5 * k, ev.lat - 0.0001 * (12 - k), ev.lon - 0.00012 * (12 - k), 1.5) for k in range(24)]
        finding = SimpleNamespace(event=ev, profile=profile, track=track, key_frames=[3])
        assert store.records.record_infraction(finding)
        if i < n_with_evidence:
            frames = []
            for k in range(8):
                shifted = np.roll(image, 6 * k, axis=1)
                frames.append(FrameRecord(frame_id=k, time_s=ev.start_s + 0.2 * k, image=shifted,
                                          detections=[Detection(ev.track_id, "car", (40.0 + 6 * k, 300.0, 500.0 + 6 * k, 560.0)),
                                                      Detection(7, "person", (50.0, 390.0, 140.0, 700.0))],
                                          telemetry={"lat": ev.lat, "lon": ev.lon}))
            res = build_package(evidence_root, finding, frames, calibration={"hfov_deg": 80.0})
            store.records.add_evidence(evidence_id=res.evidence_id, infraction_id=ev.infraction_id,
                                       patrol_id=ev.patrol_id, seq=res.seq, path=str(res.path),
                                       manifest_sha256=res.manifest_sha256, manifest=res.manifest)
        events.append(ev)
    return store, events
