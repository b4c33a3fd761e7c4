"""No-parking: a vehicle stationary inside an active no-parking zone for >= N s, across drone visits.

A *stay* starts when a vehicle is stationary (not confidently moving: ``speed - k*sigma`` under the
threshold, and within ``stationary_radius_m`` of the stay's anchor, the mean of its positions) within
that radius of a no-parking zone. Whether it is *inside* the zone is judged on the anchor, whose
uncertainty shrinks as observations accumulate, so a car parked in a narrow kerb strip is judged
on its mean position rather than on single noisy fixes.

Re-identification (the drone leaves and comes back, the tracker hands out a new track id): when a
stay loses its track it is parked as *dormant* (class, anchor, start time). A new stay of the same
class whose first position is within ``reid_radius_m`` of a dormant anchor last seen at most
``reid_max_absence_s`` ago inherits it (nearest wins): its start time, visit count and whether it was
already flagged (so a flagged car is never flagged twice). It cannot tell apart two same-class
vehicles swapping the same spot while unobserved, nor follow a vehicle that was re-parked more than
``reid_radius_m`` away or that the detector labels with another class.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from infractions.rules.base import Episode, Finding, Rule, TrackState, make_finding, normal_cdf
from infractions.rules.observation import Observation
from infractions.rules.zonegeom import MetricZone, is_active

#: Fixes closer in time than this are correlated; the anchor's sigma stops shrinking after this many.
MAX_INDEPENDENT_FIXES = 10


@dataclass
class Stay:
    """One vehicle's stay at a spot: anchor (mean position), times, visits, samples of the current visit."""

    cls: str
    start_s: float
    visit_start_s: float
    last_s: float
    sum_e: float = 0.0
    sum_n: float = 0.0
    sum_sigma: float = 0.0
    count: int = 0
    observed_s: float = 0.0
    visits: int = 1
    flagged: bool = False
    infraction_id: str = ""
    max_drift_m: float = 0.0
    samples: list = field(default_factory=list)

    @property
    def anchor(self) -> tuple[float, float]:
        """Mean position of all stationary observations (metres, local ENU)."""
        return self.sum_e / self.count, self.sum_n / self.count

    @property
    def anchor_sigma_m(self) -> float:
        """1-sigma of the anchor: mean fix sigma over the root of the (capped) number of fixes."""
        return (self.sum_sigma / self.count) / math.sqrt(min(self.count, MAX_INDEPENDENT_FIXES))

    def merge_earlier(self, earlier: "Stay") -> None:
        """Absorb the stay of a lost track that this one continues (same spot, class, later start)."""
        self.start_s = min(self.start_s, earlier.start_s)
        self.observed_s += earlier.observed_s
        self.sum_e += earlier.sum_e
        self.sum_n += earlier.sum_n
        self.sum_sigma += earlier.sum_sigma
        self.count += earlier.count
        self.visits = max(self.visits, earlier.visits)
        self.flagged = self.flagged or earlier.flagged
        self.infraction_id = self.infraction_id or earlier.infraction_id
        self.max_drift_m = max(self.max_drift_m, earlier.max_drift_m)

    def add(self, obs: Observation, east: float, north: float) -> None:
        """Accumulate one stationary observation of the current visit."""
        if self.count:
            ae, an = self.anchor
            self.max_drift_m = max(self.max_drift_m, math.hypot(east - ae, north - an))
        if self.samples:
            self.observed_s += max(0.0, obs.time_s - self.last_s)
        self.sum_e += east
        self.sum_n += north
        self.sum_sigma += obs.sigma_m
        self.count += 1
        self.last_s = obs.time_s
        self.samples.append((obs, east, north))


class NoParkingRule(Rule):
    """Flags stationary vehicles in active no-parking zones; re-identifies them across track ids."""

    kind = "no_parking"

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        self.dormant: list[Stay] = []
        self.live: dict[tuple[str, int], Stay] = {}

    def _near_zone(self, east: float, north: float) -> bool:
        return bool(self.ctx.geom.near("no_parking", east, north, self.params.stationary_radius_m))

    def _stationary(self, stay: Stay | None, obs: Observation, east: float, north: float) -> bool:
        # not confidently moving: tracker speed noise must not end a stay (the radius test catches moves)
        if obs.speed_kmh - self.params.k_sigma * obs.speed_sigma_kmh >= self.params.stationary_speed_kmh:
            return False
        if stay is None:
            return True
        ae, an = stay.anchor
        # the radius grows with the fix's noise (DRMS): 2.5 DRMS holds a parked car's fixes 99.8 % of the time
        return math.hypot(east - ae, north - an) <= max(self.params.stationary_radius_m, 2.5 * obs.sigma_m)

    def _zone_of(self, stay: Stay, time_s: float) -> tuple[MetricZone, float] | None:
        """The active zone the anchor is clearly inside (depth >= edge_k_sigma * anchor sigma)."""
        ae, an = stay.anchor
        need = self.params.edge_k_sigma * stay.anchor_sigma_m
        best = None
        for zone, depth in self.ctx.geom.containing("no_parking", ae, an):
            if depth >= need and is_active(zone.hours, time_s, self.ctx.tz) and is_active(
                    zone.hours, stay.start_s, self.ctx.tz) and (best is None or depth > best[1]):
                best = (zone, depth)
        return best

    def _moving(self, obs: Observation) -> bool:
        """Confidently moving: the speed's lower bound is over the stationary threshold."""
        return obs.speed_kmh - self.params.k_sigma * obs.speed_sigma_kmh >= self.params.stationary_speed_kmh

    def _forget_dormant_at(self, obs: Observation, east: float, north: float) -> None:
        """A same-class vehicle driving through a dormant stay's spot: that vehicle has most likely left
        unobserved (e.g. it was queued, lost, and drove off under a new track id); never re-identify it."""
        r = self.params.reid_radius_m
        self.dormant = [d for d in self.dormant if d.cls != obs.cls
                        or math.hypot(east - d.anchor[0], north - d.anchor[1]) > r]

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
        if obs.cls not in p.classes:
            return None
        holds = self._stationary(stay, obs, east, north) and (stay is not None or self._near_zone(east, north))
        if not holds and self.dormant and self._moving(obs):
            self._forget_dormant_at(obs, east, north)
        if not holds:
            if stay is not None and obs.time_s - stay.last_s > p.grace_s:
                track.rule_state.pop(key, None)  # seen leaving: the stay is over
                self.live.pop(track.key, None)
            return None
        if stay is not None and obs.time_s - stay.last_s > max(self.ctx.max_gap_s, p.grace_s):
            self.dormant.append(stay)  # a long gap on the same track id: treat like a new visit
            stay = None
        if stay is None:
            stay = self._reidentify(obs, east, north)
            if stay is None:
                stay = Stay(cls=obs.cls, start_s=obs.time_s, visit_start_s=obs.time_s, last_s=obs.time_s)
            else:
                stay.visits += 1
                stay.visit_start_s, stay.last_s, stay.samples = obs.time_s, obs.time_s, []
            track.rule_state[key] = stay
            self.live[track.key] = stay
        stay.add(obs, east, north)
        if stay.flagged or stay.last_s - stay.start_s < p.min_duration_s:
            return None
        zone = self._zone_of(stay, obs.time_s)
        if zone is None:
            return None
        stay.flagged = True
        finding = self._finding(track, stay, zone)
        stay.infraction_id = finding.event.infraction_id
        return finding

    def track_closed(self, track: TrackState) -> None:
        """A lost track's stay joins a stay begun since at the same spot, or waits as dormant."""
        stay = track.rule_state.pop(self.spec.id, None)
        self.live.pop(track.key, None)
        if stay is None:
            return
        ae, an = stay.anchor
        for other in self.live.values():
            oe, on = other.anchor
            if other.cls == stay.cls and other.start_s >= stay.last_s and other.visits == 1 \
                    and math.hypot(oe - ae, on - an) <= self.params.reid_radius_m:
                other.merge_earlier(stay)
                return
        self.dormant.append(stay)

    def _finding(self, track: TrackState, stay: Stay, zone: tuple[MetricZone, float]) -> Finding:
        first = stay.samples[0]
        episode = Episode(start_s=stay.start_s, start_e=first[1], start_n=first[2], last_true_s=stay.last_s,
                          last_e=track.east, last_n=track.north, samples=stay.samples, flagged=True)
        ae, an = stay.anchor
        lat, lon, _ = self.ctx.geom.frame.to_wgs84(ae, an, self.ctx.geom.frame.alt)
        duration = stay.last_s - stay.start_s
        sigma = stay.anchor_sigma_m
        confidence = normal_cdf(zone[1] / max(sigma, 1e-6))
        if stay.visits > 1:
            confidence *= 0.9  # re-identified by position and class only
        return make_finding(
            ctx=self.ctx, spec=self.spec, track=track, episode=episode, lat=float(lat), lon=float(lon),
            sigma_m=sigma, zone_id=zone[0].id,
            measurements={"duration_s": duration, "observed_s": stay.observed_s,
                          "unobserved_s": max(0.0, duration - stay.observed_s), "visits": float(stay.visits),
                          "drift_max_m": stay.max_drift_m,
                          "speed_mean_kmh": statistics.fmean(o.speed_kmh for o, _, _ in stay.samples),
                          "anchor_depth_m": zone[1], "fixes": float(stay.count)},
            uncertainty={"anchor_sigma_m": sigma, "position_sigma_m": track.last.sigma_m,
                         "reid_radius_m": self.params.reid_radius_m},
            confidence=confidence,
            summary=(f"{stay.cls} stationary in no-parking zone {zone[0].id} for {duration:.0f} s "
                     f"({stay.visits} visit{'s' if stay.visits > 1 else ''}, {stay.observed_s:.0f} s observed)"),
        )
