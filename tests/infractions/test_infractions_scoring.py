"""Scoring helper: one-to-one matching by kind, time overlap and 3 m or track association."""
from __future__ import annotations

import pytest

from infractions.scoring import score

LAT, LON = 48.8566, 2.3522
M = 1 / 111_320.0  # degrees of latitude per metre


def flag(fid, kind, dn_m, start, end, track_id=1):
    return {"infraction_id": fid, "kind": kind, "lat": LAT + dn_m * M, "lon": LON, "start_s": start, "end_s": end,
            "track_id": track_id, "vehicle_id": "uav1"}


def truth(agent, kind, start, end, dn_m=0.0, **extra):
    return {"kind": kind, "agent_id": agent, "lat": LAT + dn_m * M, "lon": LON, "start_s": start, "end_s": end, **extra}


def test_precision_recall_time_to_flag_and_false_flags_per_hour():
    truths = [truth("car-1", "speeding", 100, 120), truth("car-2", "speeding", 300, 330),
              truth("van-9", "no_parking", 0, 900, dn_m=50), truth("p-4", "restricted", 50, 80, dn_m=-30)]
    flags = [flag("a", "speeding", 1.0, 103, 104.5),        # matches car-1, 1 m off
             flag("b", "speeding", 2.5, 303, 305),          # matches car-2
             flag("c", "speeding", 2.0, 104, 106),          # duplicate of car-1: false flag
             flag("d", "speeding", 40.0, 600, 602),         # nothing there
             flag("e", "no_parking", 51.0, 60, 61),         # van-9
             flag("f", "restricted_area", -26.0, 55, 57)]   # 4 m off, no track association: miss + false flag
    report = score(flags, truths, patrol_duration_s=1800)
    sp = report.per_kind["speeding"]
    assert (sp.true_positives, sp.false_positives, sp.false_negatives) == (2, 2, 0)
    assert sp.precision == 0.5 and sp.recall == 1.0
    assert sp.time_to_flag_mean_s == pytest.approx((4.5 + 5.0) / 2) and sp.time_to_flag_max_s == 5.0
    assert sp.false_flags_per_hour == pytest.approx(4.0)
    assert report.per_kind["no_parking"].precision == 1.0 and report.per_kind["no_parking"].recall == 1.0
    ra = report.per_kind["restricted_area"]  # "restricted" in the truth log is the same rule
    assert (ra.true_positives, ra.false_positives, ra.false_negatives) == (0, 1, 1)
    assert set(report.unmatched_flags) == {"c", "d", "f"}
    assert report.missed_truths[0]["agent_id"] == "p-4"


def test_track_association_matches_moving_infractions_far_from_truth_point():
    truths = [truth("car-7", "wrong_way", 10, 30)]
    flags = [flag("w", "wrong_way", 60.0, 14, 16, track_id=5)]
    assert score(flags, truths, patrol_duration_s=60).per_kind["wrong_way"].recall == 0.0
    report = score(flags, truths, patrol_duration_s=60, track_to_agent={("uav1", 5): "car-7"})
    assert report.per_kind["wrong_way"].recall == 1.0 and report.matches[0]["distance_m"] == pytest.approx(60.0)


def test_truth_track_gives_position_at_flag_time_and_time_must_overlap():
    moving = truth("car-3", "speeding", 0, 20, track=[(0.0, LAT, LON), (20.0, LAT + 400 * M, LON)])
    assert score([flag("s", "speeding", 201.0, 8, 10)], [moving], patrol_duration_s=60).per_kind["speeding"].recall == 1
    assert score([flag("s", "speeding", 0.0, 40, 42)], [truth("x", "speeding", 0, 20)],
                 patrol_duration_s=60).per_kind["speeding"].precision == 0.0


def test_empty_inputs_and_kinds_without_flags():
    report = score([], [], patrol_duration_s=3600, kinds=["speeding"])
    assert report.per_kind["speeding"].precision == 1.0 and report.per_kind["speeding"].recall == 1.0
    report = score([], [truth("a", "speeding", 0, 5)], patrol_duration_s=3600)
    assert report.per_kind["speeding"].recall == 0.0 and report.as_dict()["per_kind"]["speeding"]["false_negatives"] == 1


def test_sims_field_names_time_offset_and_rules_filter():
    from infractions.rules import default_rules
    from infractions.scoring import rules_truth_filter

    truths = [{"type": "speeding", "agent_id": 4, "lat": LAT, "lon": LON, "t_start": 10.0, "t_end": 20.0,
               "max_speed_kmh": 71.0, "limit_kmh": 50.0},
              {"type": "speeding", "agent_id": 5, "lat": LAT + 100 * M, "lon": LON, "t_start": 10.0, "t_end": 20.0,
               "max_speed_kmh": 53.0, "limit_kmh": 50.0},  # 3 km/h over: under the rule's tolerance
              {"type": "restricted_entry", "agent_id": 6, "lat": LAT - 100 * M, "lon": LON, "t_start": 0.0,
               "t_end": 0.5}]  # half a second: shorter than the rule's 2 s
    flags = [flag("a", "speeding", 0.5, 1013, 1015), flag("b", "speeding", 100.0, 1012, 1016)]
    plain = score(flags, truths, patrol_duration_s=60, truth_time_offset_s=1000.0)
    assert plain.per_kind["speeding"].true_positives == 2 and plain.per_kind["restricted_area"].recall == 0.0
    filt = score(flags, truths, patrol_duration_s=60, truth_time_offset_s=1000.0,
                 truth_filter=rules_truth_filter(default_rules()))
    sp = filt.per_kind["speeding"]
    assert (sp.true_positives, sp.false_positives, sp.false_negatives) == (1, 0, 0)  # "b" neither TP nor FP
    assert sp.time_to_flag_mean_s == pytest.approx(5.0)
    assert "restricted_area" not in filt.per_kind
