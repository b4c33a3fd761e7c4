"""Restricted area: a person or vehicle inside an active restricted polygon (``applies_to`` classes)."""
from __future__ import annotations

from infractions.rules.base import Finding, Rule, TrackState, make_finding, normal_cdf
from infractions.rules.observation import Observation
from infractions.rules.zonegeom import MetricZone, is_active


class RestrictedAreaRule(Rule):
    """Flags a track at least ``edge_k_sigma * sigma_m`` inside an active restricted zone for >= T s."""

    kind = "restricted_area"

    def _inside(self, obs: Observation, east: float, north: float) -> tuple[MetricZone, float] | None:
        """The active restricted zone this class is clearly inside (deepest), or None."""
        best = None
        for zone, depth in self.ctx.geom.containing("restricted", east, north):
            classes = zone.applies_to if zone.applies_to is not None else self.params.classes
            if obs.cls not in classes or not is_active(zone.hours, obs.time_s, self.ctx.tz):
                continue
            if depth >= self.params.edge_k_sigma * obs.sigma_m and (best is None or depth > best[1]):
                best = (zone, depth)
        return best

    def observe(self, track: TrackState, obs: Observation) -> Finding | None:
        p = self.params
        hit = self._inside(obs, track.east, track.north)
        episode = self.advance_episode(track, obs, hit is not None, p.grace_s)
        if episode is None:
            return None
        if hit is not None:
            episode.data.setdefault("zone", hit[0].id)
            episode.data.setdefault("depths", []).append((hit[1], obs.sigma_m))
        if episode.flagged or hit is None or episode.duration_s < p.min_duration_s:
            return None
        episode.flagged = True
        depths = episode.data["depths"]
        confidence = min(normal_cdf(d / max(s, 1e-6)) for d, s in depths)
        last = track.last
        zone_id = episode.data["zone"]
        return make_finding(
            ctx=self.ctx, spec=self.spec, track=track, episode=episode, lat=last.lat, lon=last.lon,
            sigma_m=last.sigma_m, zone_id=zone_id,
            measurements={"duration_s": episode.duration_s, "depth_min_m": min(d for d, _ in depths),
                          "depth_max_m": max(d for d, _ in depths), "samples": float(len(depths))},
            uncertainty={"position_sigma_m": last.sigma_m, "edge_k_sigma": p.edge_k_sigma},
            confidence=confidence,
            summary=f"{last.cls} track {last.track_id} inside restricted zone {zone_id} for {episode.duration_s:.1f} s",
        )
