"""Speeding: ground speed over a road's limit + tolerance, on the lower confidence bound, sustained."""
from __future__ import annotations

import statistics

from infractions.rules.base import Finding, Rule, TrackState, make_finding, normal_cdf
from infractions.rules.observation import Observation


class SpeedingRule(Rule):
    """Flags a vehicle whose ``speed - k*sigma`` exceeds ``limit + tolerance`` for >= T s and >= D m."""

    kind = "speeding"

    def threshold_kmh(self, limit_kmh: float) -> float:
        """Limit plus the larger of the absolute and the relative tolerance."""
        return limit_kmh + max(self.params.tolerance_kmh, limit_kmh * self.params.tolerance_pct / 100.0)

    def observe(self, track: TrackState, obs: Observation) -> Finding | None:
        p = self.params
        holds = False
        match = None
        if obs.cls in p.classes:
            match = track.road(self.ctx.geom, p.road_margin_m)
            if match is not None:
                lower = obs.speed_kmh - p.k_sigma * obs.speed_sigma_kmh
                holds = lower > self.threshold_kmh(match.road.speed_limit_kmh)
        episode = self.advance_episode(track, obs, holds, p.grace_s)
        if episode is None:
            return None
        if holds and match is not None:
            episode.data.setdefault("roads", []).append((match.road.id, match.road.speed_limit_kmh))
        if episode.flagged or not holds:
            return None
        if episode.duration_s < p.min_duration_s or episode.displacement_m < p.min_distance_m:
            return None
        episode.flagged = True
        return self._finding(track, episode)

    def _finding(self, track: TrackState, episode) -> Finding:
        p = self.params
        roads = episode.data["roads"]
        road_id, limit = max(set(roads), key=roads.count)
        thr = self.threshold_kmh(limit)
        obs_list = [o for o, _, _ in episode.samples if o.speed_kmh - p.k_sigma * o.speed_sigma_kmh > thr - 1e-9] or \
            [o for o, _, _ in episode.samples]
        speeds = [o.speed_kmh for o in obs_list]
        sigmas = [o.speed_sigma_kmh for o in obs_list]
        lowers = [o.speed_kmh - p.k_sigma * o.speed_sigma_kmh for o in obs_list]
        # Per-sample probability that the true speed is over the threshold; the weakest sample sets it.
        confidence = min(normal_cdf((s - thr) / max(sg, 1e-6)) for s, sg in zip(speeds, sigmas))
        mean_speed = statistics.fmean(speeds)
        last = track.last
        return make_finding(
            ctx=self.ctx, spec=self.spec, track=track, episode=episode, lat=last.lat, lon=last.lon,
            sigma_m=last.sigma_m, zone_id=str(road_id),
            measurements={
                "speed_mean_kmh": mean_speed, "speed_max_kmh": max(speeds), "speed_lower_min_kmh": min(lowers),
                "limit_kmh": limit, "threshold_kmh": thr, "excess_kmh": mean_speed - limit,
                "duration_s": episode.duration_s, "distance_m": episode.displacement_m,
                "samples": float(len(obs_list)),
            },
            uncertainty={"speed_sigma_kmh": statistics.fmean(sigmas), "k_sigma": p.k_sigma,
                         "position_sigma_m": last.sigma_m},
            confidence=confidence,
            summary=(f"{last.cls} track {last.track_id} at {mean_speed:.0f} km/h (lower bound "
                     f"{min(lowers):.0f}) on road {road_id} limited to {limit:.0f} km/h, for "
                     f"{episode.duration_s:.1f} s over {episode.displacement_m:.0f} m"),
        )
