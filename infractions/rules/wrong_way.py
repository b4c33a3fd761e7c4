"""Wrong-way: driving against a one-way road's direction, heading trusted only above a minimum speed."""
from __future__ import annotations

import math
import statistics

from infractions.rules.base import Finding, Rule, TrackState, make_finding, normal_cdf
from infractions.rules.observation import Observation


def angle_diff_deg(a: float, b: float) -> float:
    """Absolute smallest difference between two bearings, in [0, 180]."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def circular_mean_deg(angles: list[float]) -> float:
    """Mean direction of bearings (359 and 1 average to 0, not 180)."""
    s = sum(math.sin(math.radians(a)) for a in angles)
    c = sum(math.cos(math.radians(a)) for a in angles)
    return math.degrees(math.atan2(s, c)) % 360.0


class WrongWayRule(Rule):
    """Flags a vehicle whose course is >= ``against_deg`` from a one-way road's bearing for >= D m."""

    kind = "wrong_way"

    def observe(self, track: TrackState, obs: Observation) -> Finding | None:
        p = self.params
        holds: bool | None = False
        match = None
        if obs.cls in p.classes:
            match = track.road(self.ctx.geom, p.road_margin_m)
            lower = obs.speed_kmh - p.k_sigma * obs.speed_sigma_kmh
            if match is not None and match.road.oneway:
                if lower <= p.min_speed_kmh:
                    holds = None  # too slow to trust the heading (waiting at a light): no change
                else:
                    diff = angle_diff_deg(obs.course_deg, match.bearing_deg)
                    sigma_h = math.degrees(obs.speed_sigma_kmh / max(obs.speed_kmh, 1e-6))
                    holds = diff >= p.against_deg and diff - p.k_sigma * sigma_h > 90.0
        episode = self.advance_episode(track, obs, holds, p.grace_s)
        if episode is None:
            return None
        if holds and match is not None:
            episode.data.setdefault("matches", []).append((match.road.id, match.bearing_deg))
        if episode.flagged or not holds:
            return None
        if episode.duration_s < p.min_duration_s or episode.displacement_m < p.min_distance_m:
            return None
        # The net displacement must also run against the road (guards against heading noise alone).
        road_id, bearing = episode.data["matches"][-1]
        net = math.degrees(math.atan2(episode.last_e - episode.start_e, episode.last_n - episode.start_n)) % 360.0
        if angle_diff_deg(net, bearing) < p.against_deg:
            return None
        episode.flagged = True
        flagged_roads = track.rule_state.setdefault(f"{self.spec.id}:roads", set())
        if road_id in flagged_roads:
            return None  # this track was already flagged on this road (it stopped, then went on)
        flagged_roads.add(road_id)
        return self._finding(track, episode, road_id, bearing, net)

    def _finding(self, track: TrackState, episode, road_id: str, bearing: float, net: float) -> Finding:
        samples = [o for o, _, _ in episode.samples]
        diffs = [angle_diff_deg(o.course_deg, bearing) for o in samples]
        sig_h = [math.degrees(o.speed_sigma_kmh / max(o.speed_kmh, 1e-6)) for o in samples]
        confidence = min(normal_cdf((d - 90.0) / max(s, 1e-6)) for d, s in zip(diffs, sig_h))
        last = track.last
        return make_finding(
            ctx=self.ctx, spec=self.spec, track=track, episode=episode, lat=last.lat, lon=last.lon,
            sigma_m=last.sigma_m, zone_id=str(road_id),
            measurements={
                "road_bearing_deg": bearing, "course_mean_deg": circular_mean_deg([o.course_deg for o in samples]),
                "heading_diff_min_deg": min(diffs), "net_course_deg": net,
                "distance_m": episode.displacement_m, "duration_s": episode.duration_s,
                "speed_mean_kmh": statistics.fmean(o.speed_kmh for o in samples),
            },
            uncertainty={"heading_sigma_deg": statistics.fmean(sig_h), "position_sigma_m": last.sigma_m},
            confidence=confidence,
            summary=(f"{last.cls} track {last.track_id} against one-way road {road_id} "
                     f"(road {bearing:.0f} deg, course {net:.0f} deg) over {episode.displacement_m:.0f} m"),
        )
