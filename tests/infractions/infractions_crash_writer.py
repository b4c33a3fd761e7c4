"""Subprocess for the crash test: records infractions durably, prints ``ACK id`` only after each commit.

Every third item is also acknowledged as if the ground had stored it (``ACKED id`` after ``mark_acked``).
"""
from __future__ import annotations

import sys

from datalink.messages import InfractionEvent
from infractions.store import open_store


def event(i: int) -> InfractionEvent:
    return InfractionEvent(
        infraction_id=f"inf-{i:05d}", patrol_id="crash", vehicle_id="uav1", rule_id="speeding", rule_version="1.0",
        rule_params={"k_sigma": 2.0}, kind="speeding", track_id=i, cls="car", lat=48.0 + i * 1e-5, lon=2.0,
        sigma_m=1.0, start_s=1000.0 + i, end_s=1003.0 + i, measurements={"speed_mean_kmh": 80.0},
        uncertainty={"speed_sigma_kmh": 2.0}, confidence=0.99, zone_id="main", evidence_id=None,
        created_s=1003.0 + i, summary="x" * 500)


def main() -> None:
    db, count = sys.argv[1], int(sys.argv[2])
    store = open_store(db)
    for i in range(count):
        ev = event(i)
        store.records.record_infraction(ev, profile=[(1000.0 + i, 80.0, 2.0)] * 50)
        print(f"ACK {ev.infraction_id}", flush=True)
        if i % 3 == 0:
            store.outbox.mark_acked(ev.infraction_id)
            print(f"ACKED {ev.infraction_id}", flush=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
