"""A reduced but real town patrol in lockstep SITL: the sims vehicle flown by flight's controller, the town
rendered from the true pose, the shipped detector (oracle boxes only when no model is shipped), rules,
evidence, the onboard store and a Zenoh link to a ground inbox through a relay cut for 10 s."""
from __future__ import annotations

from pathlib import Path

from aeropatrol.scenario.runner import default_model, run_scenario
from aeropatrol.scenario_config import load_scenario

REPO = Path(__file__).resolve().parents[2]


def reduced_town_patrol():
    """town_patrol.yaml cut down: 640x360 at 5 fps, one lap of two streets, 10 s link cut."""
    sc = load_scenario(REPO / "scenarios" / "town_patrol.yaml")
    drone = sc.drones[0]
    patrol = drone.patrol.model_copy(update={"waypoints": [(-105.0, 115.0), (-105.0, -125.0), (23.0, -125.0)],
                                             "laps": 1})
    traffic = sc.traffic.model_copy(update={
        "vehicles": 60, "parked": 30, "pedestrians": 40, "plaza_pedestrians": 0,
        "infractions": [i for i in sc.traffic.infractions if i.type in ("speeding", "wrong_way")]})
    return sc.model_copy(update={
        "name": "town_patrol_reduced", "duration_s": 400.0, "speedup": 10.0,
        "drones": [drone.model_copy(update={"patrol": patrol})],
        "camera": sc.camera.model_copy(update={"width": 640, "height": 360, "fps": 5.0}),
        "traffic": traffic,
        "link": sc.link.model_copy(update={"cuts": [sc.link.cuts[0].model_copy(update={"start_s": 40.0,
                                                                                    "duration_s": 10.0})]}),
        "vision": sc.vision.model_copy(update={"oracle": default_model() is None}),
    })


def test_reduced_town_patrol(tmp_path):
    sc = reduced_town_patrol()
    result = run_scenario(sc, tmp_path / "run", progress=False)
    m = result.metrics
    print(result.report_md.read_text() if result.report_md else result.failures)

    # the flight completed: landed and disarmed
    flight = m["flights"]["drone1"]
    assert flight["outcome"] == "completed" and flight["landed_disarmed"], flight["reason"]
    phases = [e["phase"] for e in flight["events"] if e["kind"] == "transition"]
    for phase in ("takeoff", "patrol", "returning", "landing", "disarmed"):
        assert phase in phases
    assert flight["frames"] > 100

    # scripted infractions vs flags, with precision/recall numbers
    scripted = {r["type"]: r for r in m["scripted"]}
    assert set(scripted) == {"speeding", "wrong_way"}
    per_rule = m["infractions"]["per_rule"]
    flagged = [r for r in m["scripted"] if r["flagged"]]
    assert flagged, m["scripted"]
    for r in flagged:
        assert r["distance_m"] <= 3.0
    for kind, score in per_rule.items():
        assert 0.0 <= score["precision"] <= 1.0 and 0.0 <= score["recall"] <= 1.0
    assert m["infractions"]["false_speeding_flags"] == 0

    # georeferencing against the truth
    assert m["vision"]["geo_median_m"] < 3.0

    # evidence verifies, and everything committed onboard reached the ground across the cut
    assert m["evidence_ok"] and m["evidence"]["drone1"]["packages"] == m["infractions"]["flags"] >= len(flagged)
    d = m["delivery"]
    assert [c["event"] for c in d["cuts"]][:2] == ["cut", "restore"]
    assert d["infractions_produced"] >= 1
    assert d["infractions_delivered"] == d["infractions_produced"]
    assert d["evidence_delivered"] == d["evidence_produced"]
    assert d["complete"]

    # report and per-component logs exist; no component failed
    assert result.ok, result.failures
    assert (tmp_path / "run" / "report.html").stat().st_size > 2000
    for name in ("flight", "vision", "infractions", "datalink", "system"):
        assert (tmp_path / "run" / "logs" / f"{name}.log").exists()
    assert "patrol" in (tmp_path / "run" / "logs" / "flight.log").read_text()
    assert list((tmp_path / "run" / "figures").glob("*.png"))

    # nothing left running: flight controller, MAVLink readers, link relays are all stopped
    import threading
    import time

    time.sleep(1.0)
    ours = [t.name for t in threading.enumerate() if t.is_alive()
            and t.name.startswith(("flight-", "mav-", "linkproxy", "timesync"))]
    assert ours == []
