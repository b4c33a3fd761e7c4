"""Scenario files: every shipped one validates; bad ones fail with the file and the field named."""
from __future__ import annotations

from pathlib import Path

import pytest

from aeropatrol.scenario_config import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))


def test_shipped_scenarios_validate():
    names = {p.stem for p in SHIPPED}
    assert {"town_patrol", "corridor_speed", "parking_enforcement", "two_drones", "link_loss", "demo"} <= names
    for path in SHIPPED:
        sc = load_scenario(path)
        assert sc.name == path.stem
        assert sc.drones and sc.camera.fps > 0


def test_town_patrol_is_the_acceptance_scenario():
    sc = load_scenario(REPO / "scenarios" / "town_patrol.yaml")
    kinds = sorted(i.type for i in sc.traffic.infractions)
    assert kinds == ["no_parking", "speeding", "wrong_way"]
    assert [c.duration_s for c in sc.link.cuts] == [30.0]


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, where", [
    ("description: no name\n", "name"),
    ("name: x\ndrones: [{id: 'a b'}]\n", "drones.0.id"),
    ("name: x\ndrones: [{id: a}, {id: a}]\n", "drone ids must be unique"),
    ("name: x\ncamera: {fps: 0}\n", "camera.fps"),
    ("name: x\nlink: {cuts: [{start_s: 5, duration_s: -1}]}\n", "link.cuts.0.duration_s"),
    ("name: x\ntraffic: {infractions: [{type: jaywalking}]}\n", "traffic.infractions.0"),
    ("name: x\ndrones: [{patrol: {pattern: loop, waypoints: [[0, 0]]}}]\n", "drones.0.patrol"),
    ("name: x\ndrones: [{patrol: {pattern: corridor}}]\n", "a corridor needs a road id"),
    ("name: x\nwind: {speed_mps: 99}\n", "wind.speed_mps"),
    ("name: x\nbogus: 1\n", "bogus"),
    ("name: x\nspeedup: 0\n", "speedup"),
])
def test_bad_scenarios_name_the_field(tmp_path, text, where):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    msg = str(err.value)
    assert str(path) in msg and where in msg


def test_not_yaml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(_write(tmp_path, "name: [unclosed\n"))
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        load_scenario(_write(tmp_path, "- 1\n- 2\n"))


def test_overrides_win(tmp_path):
    sc = load_scenario(REPO / "scenarios" / "demo.yaml", {"seed": 99, "speedup": 5})
    assert sc.seed == 99 and sc.speedup == 5


def test_cli_check_exit_codes(tmp_path, capsys):
    from aeropatrol.cli import main

    assert main(["sim", "run", str(REPO / "scenarios" / "town_patrol.yaml"), "--check"]) == 0
    assert "town_patrol" in capsys.readouterr().out
    bad = _write(tmp_path, "name: x\ncamera: {width: 5}\n")
    assert main(["sim", "run", str(bad), "--check"]) == 2
    assert "camera.width" in capsys.readouterr().err


def test_rules_file_is_relative_to_the_scenario(tmp_path):
    sc = load_scenario(REPO / "scenarios" / "town_patrol.yaml")
    assert sc.rules is not None and Path(sc.rules).is_file()
    from infractions.rules import load_rules

    assert load_rules(sc.rules).track_ttl_s >= 3.0
    with pytest.raises(ScenarioError, match="rules: file not found"):
        load_scenario(_write(tmp_path, "name: x\nrules: missing.yaml\n"))
