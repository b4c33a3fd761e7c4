"""No-parking: a vehicle stationary inside an active no-parking zone for >= N s, across drone visits.

Re-identification (the drone leaves and comes back, the tracker hands out a new track id): when a
stationary episode loses its track, it is parked as *dormant* (class, anchor position, start time).
A new stationary episode of the same class whose anchor is within ``reid_radius_m`` of a dormant one
that was last seen at most ``reid_max_absence_s`` ago inherits it (nearest wins): its start time, its
visit count and whether it was already flagged (so a flagged car is never flagged twice). It cannot
tell apart two same-class vehicles swapping the same spot while unobserved, nor follow a vehicle that
was re-parked more than ``reid_radius_m`` away or that the detector labels with another class.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from infractions.rules.base import Finding, Rule, TrackState, make_finding, normal_cdf
from infractions.rules.observation import Observation
from infractions.rules.zonegeom import is_active


@dataclass
class Stay:
    """One vehicle's stay at a spot: anchor (mean position), times, visits, samples of the current visit."""

    cls: str
    zone_id: str
    start_s: float
    visit_start_s: float
    last_s: float
    sum_e: float
    sum_n: float
    count: int
    observed_s: float = 0.0
    visits: int = 1
    flagged: bool = False
    infraction_id: str = ""
    max_drift_m: float = 0.0
    depths: list[tuple[float, float]] = field(default_factory=list)
    samples: list = field(default_factory=list)

    @property
    def anchor(self) -> tuple[float, float]:
        """Mean position of all stationary observations (metres, local ENU)."""
        return self.sum_e / self.count, self.sum_n / self.count

    def add(self, obs: Observation, east: float, north: float, depth: float) -> None:
        """Accumulate one stationary observation of the current visit."""
        if self.count:
            ae, an = self.anchor
            self.max_drift_m = max(self.max_drift_m, math.hypot(east - ae, north - an))
        self.sum_e += east
        self.sum_n += north
        self.count += 1
        self.observed_s += max(0.0, obs.time_s - self.last_s) if self.samples else 0.0
        self.last_s = obs.time_s
        self.depths.append((depth, obs.sigma_m))
        self.samples.append((obs, east, north))


class NoParkingRule(Rule):
    """Flags stationary vehicles in active no-parking zones; re-identifies them across track ids."""

    kind = "no_parking"

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.dormant: list[Stay] = []

    def _zone(self, obs: Observation, east: float, north: float) -> tuple[str, float] | None:
        best = None
        for zone in self.ctx.geom.of_kind("no_parking"):
            if not is_active(zone.hours, obs.time_s, self.ctx.tz):
                continue
            depth = zone.depth_m(east, north)
            if depth >= self.params.edge_k_sigma * obs.sigma_m and (best is None or depth > best[1]):
                best = (zone.id, depth)
        return best

    def _stationary(self, stay: Stay | None, obs: Observation, east: float, north: float) -> bool:
        if obs.speed_kmh >= self.params.stationary_speed_kmh:
            return False
        if stay is None:
            return True
        ae, an = stay.anchor
        return math.hypot(east - ae, north - an) <= self.params.stationary_radius_m

    def _reidentify(self, obs: Observation, east: float, north: float) -> Stay | None:
        """Take the nearest dormant stay of the same class within the radius and absence limits."""
        p = self.params
        self.dormant = [d for d in self.dormant if obs.time_s - d.last_s <= p.reid_max_absence_s]
        best, best_d = None, p.reid_radius_m
        for stay in self.dormant:
            ae, an = stay.anchor
            dist = math.hypot(east - ae, north - an)
            if stay.cls == obs.cls and dist <= best_d:
                best, best_d = stay, dist
        if best is not None:
            self.dormant.remove(best)
        return best

    def observe(self, track: TrackState, obs: Observation) -> Finding | None:
        p = self.params
        key = self.spec.id
        stay: Stay | None = track.rule_state.get(key)
        east, north = track.east, track.north
        zone = self._zone(obs, east, north) if obs.cls in p.classes else None
        holds = zone is not None and self._stationary(stay, obs, east, north)
        if stay is not None and not holds:
            if obs.time_s - stay.last_s > p.grace_s:
                track.rule_state.pop(key, None)  # seen leaving (or leaving the zone): the stay is over
            return None
        if not holds:
            return None
        if stay is not None and obs.time_s - stay.last_s > max(self.ctx.max_gap_s, p.grace_s):
            self._park(stay)  # a long gap on the same track id: treat like a new visit
            stay = None
        if stay is None:
            stay = self._reidentify(obs, east, north)
            if stay is None:
                stay = Stay(cls=obs.cls, zone_id=zone[0], start_s=obs.time_s, visit_start_s=obs.time_s,
                            last_s=obs.time_s, sum_e=0.0, sum_n=0.0, count=0)
            else:
                stay.visits += 1
                stay.visit_start_s, stay.last_s, stay.samples = obs.time_s, obs.time_s, []
            track.rule_state[key] = stay
        stay.add(obs, east, north, zone[1])
        if stay.flagged or stay.last_s - stay.start_s < p.min_duration_s:
            return None
        stay.flagged = True
        finding = self._finding(track, stay)
        stay.infraction_id = finding.event.infraction_id
        return finding

    def _park(self, stay: Stay) -> None:
        self.dormant.append(stay)

    def track_closed(self, track: TrackState) -> None:
        stay = track.rule_state.pop(self.spec.id, None)
        if stay is not None:
            self._park(stay)

    def _finding(self, track: TrackState, stay: Stay) -> Finding:
        from infractions.rules.base import Episode

        first = stay.samples[0]
        episode = Episode(start_s=stay.start_s, start_e=first[1], start_n=first[2], last_true_s=stay.last_s,
                          last_e=track.east, last_n=track.north, samples=stay.samples, flagged=True)
        ae, an = stay.anchor
        lat, lon, _ = self.ctx.geom.frame.to_wgs84(ae, an, self.ctx.geom.frame.alt)
        duration = stay.last_s - stay.start_s
        confidence = min(normal_cdf(d / max(s, 1e-6)) for d, s in stay.depths)
        if stay.visits > 1:
            confidence *= 0.9  # re-identified by position and class only
        sigmas = [o.sigma_m for o, _, _ in stay.samples]
        sigma_anchor = statistics.fmean(sigmas) / math.sqrt(len(sigmas))
        return make_finding(
            ctx=self.ctx, spec=self.spec, track=track, episode=episode, lat=float(lat), lon=float(lon),
            sigma_m=sigma_anchor, zone_id=stay.zone_id,
            measurements={"duration_s": duration, "observed_s": stay.observed_s,
                          "unobserved_s": max(0.0, duration - stay.observed_s), "visits": float(stay.visits),
                          "drift_max_m": stay.max_drift_m,
                          "speed_mean_kmh": statistics.fmean(o.speed_kmh for o, _, _ in stay.samples),
                          "depth_min_m": min(d for d, _ in stay.depths)},
            uncertainty={"anchor_sigma_m": sigma_anchor, "position_sigma_m": track.last.sigma_m,
                         "reid_radius_m": self.params.reid_radius_m},
            confidence=confidence,
            summary=(f"{stay.cls} stationary in no-parking zone {stay.zone_id} for {duration:.0f} s "
                     f"({stay.visits} visit{'s' if stay.visits > 1 else ''}, {stay.observed_s:.0f} s observed)"),
        )
