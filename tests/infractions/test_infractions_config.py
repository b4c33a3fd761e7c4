"""Malformed rules and zones files give one clear error naming the file and the field."""
from __future__ import annotations

import json

import pytest

from infractions.rules import PatrolConfigError, RulesConfigError, load_patrol_config, load_rules
from infractions_synth import zones_dict

GOOD = """
version: 1
timezone: Europe/Paris
max_gap_s: 1.5
rules:
  - id: speed-50
    kind: speeding
    version: "2.0"
    params: {tolerance_kmh: 3, k_sigma: 2.5, min_duration_s: 1.5}
  - id: park
    kind: no_parking
    params: {min_duration_s: 120, reid_radius_m: 2.5}
"""


def write(tmp_path, text, name="rules.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_good_rules_file_loads(tmp_path):
    cfg = load_rules(write(tmp_path, GOOD))
    assert cfg.timezone == "Europe/Paris" and cfg.max_gap_s == 1.5
    speeding, parking = cfg.rules
    assert speeding.params.tolerance_kmh == 3 and speeding.params.k_sigma == 2.5 and speeding.version == "2.0"
    assert parking.params.min_duration_s == 120 and parking.params.stationary_radius_m == 4.0


@pytest.mark.parametrize("text, expected", [
    ("rules: [{id: a, kind: speeding, params: {k_sigma: -1}}]", "rules[0].params.k_sigma"),
    ("rules: [{id: a, kind: speeding, params: {tolerance: 3}}]", "rules[0].params.tolerance"),
    ("rules: [{id: a, kind: flying}]", "rules[0]"),
    ("rules: [{id: a, kind: speeding}, {id: a, kind: wrong_way}]", "duplicate rule id 'a'"),
    ("timezone: Mars/Olympus\nrules: [{id: a, kind: speeding}]", "timezone"),
    ("rules: []", "rules"),
    ("rules: [{id: a, kind: no_parking, params: {min_duration_s: soon}}]", "rules[0].params.min_duration_s"),
    ("- just\n- a list\n", "expected a mapping"),
    ("rules: [{id: a, kind: speeding\n", "not valid YAML at line"),
])
def test_malformed_rules_name_file_and_field(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(RulesConfigError) as err:
        load_rules(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_missing_rules_file(tmp_path):
    with pytest.raises(RulesConfigError, match="cannot read rules file"):
        load_rules(tmp_path / "nope.yaml")


def test_patrol_config_errors_name_zone_file_and_field(tmp_path):
    data = zones_dict()
    data["features"][0]["properties"].pop("speed_limit_kmh")
    zpath = tmp_path / "zones.geojson"
    zpath.write_text(json.dumps(data))
    with pytest.raises(PatrolConfigError) as err:
        load_patrol_config(zpath, write(tmp_path, GOOD))
    assert str(zpath) in str(err.value) and "speed_limit_kmh" in str(err.value)
    zpath.write_text("{not json")
    with pytest.raises(PatrolConfigError, match="not valid JSON"):
        load_patrol_config(zpath)
    data = zones_dict()
    data["features"][3]["properties"]["active_hours"] = ["25:00-26:00"]
    zpath.write_text(json.dumps(data))
    with pytest.raises(PatrolConfigError, match="active_hours"):
        load_patrol_config(zpath)
    zpath.write_text(json.dumps(zones_dict()))
    with pytest.raises(PatrolConfigError, match=r"rules\[0\]\.params\.k_sigma"):
        load_patrol_config(zpath, write(tmp_path, "rules: [{id: a, kind: speeding, params: {k_sigma: x}}]"))
    good = load_patrol_config(zpath, write(tmp_path, GOOD))
    assert [r.id for r in good.rules.rules] == ["speed-50", "park"] and len(good.zones.roads) == 2
