"""Scoring flagged infractions against ground truth: per-rule precision/recall, time-to-flag, false flags/hour.

Ground truth is a list of dicts ``{kind, agent_id, lat, lon, start_s, end_s}`` (the simulator's log
spells them ``type``, ``t_start``, ``t_end``: both are accepted; ``restricted_entry`` = ``restricted_area``;
an optional ``track`` of ``(time_s, lat, lon)`` lets moving infractions be matched by position at
flag time). A flag matches a truth when the kinds agree, the time intervals overlap (with slack),
and either the flag's track is associated with the truth's agent (``track_to_agent``) or the flag
lies within ``max_dist_m`` (3 m) of the truth's position. Matching is one-to-one per kind (Hungarian).
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

#: Kind spellings that mean the same rule.
KIND_ALIASES: dict[str, str] = {"restricted": "restricted_area", "restricted_entry": "restricted_area",
                                "noparking": "no_parking", "no-parking": "no_parking", "wrongway": "wrong_way",
                                "wrong-way": "wrong_way", "speed": "speeding"}
#: Alternative field names accepted in ground truth (the sims log writes type/t_start/t_end).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {"kind": ("kind", "type"), "start_s": ("start_s", "t_start"),
                                             "end_s": ("end_s", "t_end")}
_EARTH_M_PER_DEG = 111_320.0


def normalise_kind(kind: str) -> str:
    """Canonical rule kind (``restricted`` -> ``restricted_area``)."""
    k = str(kind).strip().lower()
    return KIND_ALIASES.get(k, k)


def _get(obj: Any, name: str, default: Any = None) -> Any:
    for key in FIELD_ALIASES.get(name, (name,)):
        value = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
        if value is not None:
            return value
    return default


def _dist_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Local flat-earth distance (metres), accurate to << 1 % over the few hundred metres compared here."""
    dn = (lat2 - lat1) * _EARTH_M_PER_DEG
    de = (lon2 - lon1) * _EARTH_M_PER_DEG * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(de, dn)


def _truth_position(truth: Any, time_s: float) -> tuple[float, float]:
    """The truth's position, interpolated in its ``track`` at ``time_s`` when it has one."""
    track = _get(truth, "track")
    if track:
        arr = np.asarray(track, dtype=float)
        t = np.clip(time_s, arr[0, 0], arr[-1, 0])
        return float(np.interp(t, arr[:, 0], arr[:, 1])), float(np.interp(t, arr[:, 0], arr[:, 2]))
    return float(_get(truth, "lat")), float(_get(truth, "lon"))


@dataclass
class KindScore:
    """Scores of one rule kind."""

    kind: str
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    precision: float = 1.0
    recall: float = 1.0
    time_to_flag_mean_s: float | None = None
    time_to_flag_max_s: float | None = None
    false_flags_per_hour: float = 0.0


@dataclass
class ScoreReport:
    """Per-kind scores, overall counts and the matched pairs (flag id, truth agent, distance, time to flag)."""

    per_kind: dict[str, KindScore]
    patrol_hours: float
    matches: list[dict[str, Any]] = field(default_factory=list)
    unmatched_flags: list[str] = field(default_factory=list)
    missed_truths: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"patrol_hours": self.patrol_hours, "per_kind": {k: asdict(v) for k, v in self.per_kind.items()},
                "matches": self.matches, "unmatched_flags": self.unmatched_flags,
                "missed_truths": self.missed_truths}


def rules_truth_filter(config: Any, speed_margin_kmh: float = 0.0, duration_margin_s: float = 0.0) -> Callable[[Any], bool]:
    """Which truths the configured rules are meant to flag (a truth shorter than the rule's minimum time,
    or speeding under limit + tolerance + margin, is not expected; ``duration_margin_s`` allows for the
    sampling period of the tracks). Pass as ``score(truth_filter=...)``."""
    by_kind = {spec.kind: spec.params for spec in config.rules if spec.enabled}

    def expected(truth: Any) -> bool:
        kind = normalise_kind(_get(truth, "kind"))
        params = by_kind.get(kind)
        if params is None:
            return False
        duration = float(_get(truth, "end_s")) - float(_get(truth, "start_s"))
        if duration < getattr(params, "min_duration_s", 0.0) + duration_margin_s:
            return False
        if kind == "speeding" and _get(truth, "max_speed_kmh") is not None and _get(truth, "limit_kmh"):
            limit = float(_get(truth, "limit_kmh"))
            tol = max(params.tolerance_kmh, limit * params.tolerance_pct / 100.0)
            return float(_get(truth, "max_speed_kmh")) >= limit + tol + speed_margin_kmh
        return True

    return expected


def _candidate(flag: Any, truth: Any, max_dist_m: float, time_slack_s: float,
               track_to_agent: Mapping[Any, Any], offset_s: float) -> tuple[float, float] | None:
    """(cost, distance) if the flag may match the truth, else None."""
    f0, f1 = float(_get(flag, "start_s")), float(_get(flag, "end_s"))
    t0, t1 = float(_get(truth, "start_s")) + offset_s, float(_get(truth, "end_s")) + offset_s
    if f1 < t0 - time_slack_s or f0 > t1 + time_slack_s:
        return None
    lat, lon = _truth_position(truth, f1 - offset_s)
    dist = _dist_m(float(_get(flag, "lat")), float(_get(flag, "lon")), lat, lon)
    key_full = (_get(flag, "vehicle_id"), _get(flag, "track_id"))
    agent = track_to_agent.get(key_full, track_to_agent.get(_get(flag, "track_id")))
    same_track = agent is not None and str(agent) == str(_get(truth, "agent_id"))
    if not same_track and dist > max_dist_m:
        return None
    return (0.0 if same_track else 1.0) + dist / max(max_dist_m, 1e-9), dist


def score(flags: Iterable[Any], truths: Iterable[Any], *, patrol_duration_s: float, max_dist_m: float = 3.0,
          time_slack_s: float = 5.0, track_to_agent: Mapping[Any, Any] | None = None,
          kinds: Iterable[str] | None = None, truth_time_offset_s: float = 0.0,
          truth_filter: Callable[[Any], bool] | None = None) -> ScoreReport:
    """Score flags (InfractionEvents or dicts with the same fields) against ground-truth infractions.

    ``truth_time_offset_s`` is added to truth times (simulation seconds -> the tracks' clock);
    ``truth_filter`` drops truths the rules are not meant to flag (see ``rules_truth_filter``);
    a flag matching a filtered-out truth is neither a true nor a false positive.
    """
    flags, truths = list(flags), list(truths)
    track_to_agent = track_to_agent or {}
    if truth_filter is not None:
        ignored = [t for t in truths if not truth_filter(t)]
        truths = [t for t in truths if truth_filter(t)]

        def explained_by(flag: Any, pool: list[Any]) -> bool:
            kind = normalise_kind(_get(flag, "kind"))
            return any(normalise_kind(_get(t, "kind")) == kind and _candidate(
                flag, t, max_dist_m, time_slack_s, track_to_agent, truth_time_offset_s) is not None for t in pool)

        flags = [f for f in flags if explained_by(f, truths) or not explained_by(f, ignored)]
    track_to_agent = track_to_agent or {}
    all_kinds = sorted({normalise_kind(_get(x, "kind")) for x in [*flags, *truths]} | set(kinds or []))
    hours = max(patrol_duration_s, 1e-9) / 3600.0
    report = ScoreReport(per_kind={}, patrol_hours=hours)
    for kind in all_kinds:
        fk = [f for f in flags if normalise_kind(_get(f, "kind")) == kind]
        tk = [t for t in truths if normalise_kind(_get(t, "kind")) == kind]
        big = 1e9
        cost = np.full((len(fk), len(tk)), big)
        dists = np.zeros_like(cost)
        for i, f in enumerate(fk):
            for j, t in enumerate(tk):
                cand = _candidate(f, t, max_dist_m, time_slack_s, track_to_agent, truth_time_offset_s)
                if cand is not None:
                    cost[i, j], dists[i, j] = cand
        pairs = []
        if fk and tk:
            rows, cols = linear_sum_assignment(cost)
            pairs = [(i, j) for i, j in zip(rows, cols) if cost[i, j] < big]
        matched_f = {i for i, _ in pairs}
        matched_t = {j for _, j in pairs}
        ttf = []
        for i, j in pairs:
            delay = float(_get(fk[i], "end_s")) - float(_get(tk[j], "start_s")) - truth_time_offset_s
            ttf.append(delay)
            report.matches.append({"kind": kind, "infraction_id": _get(fk[i], "infraction_id"),
                                   "agent_id": _get(tk[j], "agent_id"), "distance_m": float(dists[i, j]),
                                   "time_to_flag_s": delay})
        report.unmatched_flags += [str(_get(fk[i], "infraction_id")) for i in range(len(fk)) if i not in matched_f]
        report.missed_truths += [dict(tk[j]) if isinstance(tk[j], Mapping) else {"agent_id": _get(tk[j], "agent_id")}
                                 for j in range(len(tk)) if j not in matched_t]
        tp, fp, fn = len(pairs), len(fk) - len(pairs), len(tk) - len(pairs)
        report.per_kind[kind] = KindScore(
            kind=kind, true_positives=tp, false_positives=fp, false_negatives=fn,
            precision=tp / (tp + fp) if tp + fp else 1.0, recall=tp / (tp + fn) if tp + fn else 1.0,
            time_to_flag_mean_s=statistics.fmean(ttf) if ttf else None,
            time_to_flag_max_s=max(ttf) if ttf else None, false_flags_per_hour=fp / hours)
    return report
