"""Traffic: deterministic, lane-following, within limits; scripted infractions land in the ground truth."""
from __future__ import annotations

import json

import numpy as np
import pytest

from sims.traffic.groundtruth import run_traffic
from sims.traffic.scenario import ScenarioError, TrafficScenario, load_scenario
from sims.traffic.sim import TrafficSim
from sims.world.town import TownSpec, generate_town


@pytest.fixture(scope="module")
def town():
    return generate_town(TownSpec(seed=1))


def test_deterministic_per_seed(town):
    sc = TrafficScenario(seed=3, vehicles=300, pedestrians=200)
    a, b = TrafficSim(town, sc), TrafficSim(town, sc)
    for _ in range(50):
        a.tick(0.1)
        b.tick(0.1)
    sa, sb = a.snapshot(), b.snapshot()
    assert np.array_equal(sa.ids, sb.ids) and np.allclose(sa.e, sb.e) and np.allclose(sa.n, sb.n)


def test_vehicles_follow_lane_direction_and_limits(town):
    sim = TrafficSim(town, TrafficScenario(seed=2, vehicles=400, parked=0, pedestrians=0, plaza_pedestrians=0))
    for _ in range(30):
        sim.tick(0.1)
    before, s_before, path_before = sim.snapshot(), sim.s.copy(), sim.path.copy()
    sim.tick(0.5)
    after = sim.snapshot()
    same = ((sim.path == path_before) & (sim.s > s_before))[sim.active]  # not respawned
    moved = same & (after.speed > 2.0) & (before.speed > 2.0)
    disp = np.stack([after.e - before.e, after.n - before.n], axis=1)[moved]
    mean_dir = before.direction[moved] + after.direction[moved]  # roads may bend between ticks
    cos = (disp * mean_dir).sum(1) / np.hypot(*disp.T) / np.hypot(*mean_dir.T)
    assert len(cos) > 100 and cos.min() > 0.95
    limits = np.array([sim.paths.infos[p].speed_limit_kmh for p in sim.path[sim.active]])
    assert (sim.v[sim.active] * 3.6 <= limits + 0.5).all()


def test_red_lights_stop_traffic(town):
    sim = TrafficSim(town, TrafficScenario(seed=4, vehicles=400, parked=0, pedestrians=0, plaza_pedestrians=0))
    stopped = 0
    for _ in range(300):
        sim.tick(0.1)
        stopped = max(stopped, int(((sim.v < 0.1) & sim.active & ~sim.static).sum()))
    assert stopped > 20  # queues form at red signals


def test_scripted_infractions_in_ground_truth(town, tmp_path):
    sc = TrafficScenario.model_validate({"seed": 1, "vehicles": 120, "pedestrians": 60, "infractions": [
        {"type": "speeding", "start_s": 2, "speed_kmh": 72},
        {"type": "no_parking", "start_s": 0, "duration_s": 60},
        {"type": "wrong_way", "start_s": 1},
        {"type": "restricted_entry", "start_s": 0, "dwell_s": 30}]})
    summary = run_traffic(town, sc, 150.0, 0.1, tmp_path, log_every_s=5.0)
    rows = [json.loads(x) for x in (tmp_path / "infractions.jsonl").read_text().splitlines()]
    by = {r["type"]: r for r in rows}
    assert set(by) == {"speeding", "no_parking", "wrong_way", "restricted_entry"}, rows
    assert by["speeding"]["limit_kmh"] == 50.0 and 71.0 <= by["speeding"]["max_speed_kmh"] <= 73.0
    assert 58.0 <= by["no_parking"]["duration_s"] <= 62.0 and by["no_parking"]["place"].startswith("no-parking")
    assert by["restricted_entry"]["class"] == "person" and by["restricted_entry"]["duration_s"] >= 30.0
    assert by["wrong_way"]["duration_s"] > 10.0
    for r in rows:
        assert abs(r["lat"] - town.spec.lat) < 0.01 and abs(r["lon"] - town.spec.lon) < 0.01
    pos = [json.loads(x) for x in (tmp_path / "positions.jsonl").read_text().splitlines()]
    assert len(pos) == 31 and pos[-1]["t"] == pytest.approx(150.0)
    assert len(pos[-1]["ids"]) == len(pos[-1]["lat"]) == len(pos[-1]["class"]) > 100
    assert summary["infractions"] == len(rows)


def test_bad_scenario_names_file_and_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("traffic:\n  vehicles: -3\n  infractions:\n    - type: speeding\n      speed_kmh: fast\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad)
    assert "bad.yaml" in str(err.value) and "vehicles" in str(err.value) and "speed_kmh" in str(err.value)
