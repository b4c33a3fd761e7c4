"""RuleEngine: feeds time-ordered track observations through the patrol's rules, one state per track."""
from __future__ import annotations

import math
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from infractions.rules.base import Finding, Rule, RuleContext, TrackState
from infractions.rules.config import RulesConfig, default_rules
from infractions.rules.no_parking import NoParkingRule
from infractions.rules.observation import Observation
from infractions.rules.restricted import RestrictedAreaRule
from infractions.rules.speeding import SpeedingRule
from infractions.rules.wrong_way import WrongWayRule
from infractions.rules.zonegeom import ZoneGeometry

#: rule kind -> implementation
RULE_TYPES: dict[str, type[Rule]] = {
    "speeding": SpeedingRule,
    "no_parking": NoParkingRule,
    "wrong_way": WrongWayRule,
    "restricted_area": RestrictedAreaRule,
}


@dataclass
class FlagMemory:
    """Where a flagged track was last seen, so a new id for the same road user is not flagged again."""

    rule_id: str
    cls: str
    zone_id: str
    track_key: tuple[str, int]
    last_s: float
    east: float
    north: float
    vel_e: float
    vel_n: float
    inherited: bool = False  # handed over to a track that continues the flagged one


@dataclass
class EngineStats:
    """Counters of what the engine saw and skipped (garbage and out-of-order input never raise)."""

    observations: int = 0
    skipped_nonfinite: int = 0
    skipped_out_of_order: int = 0
    tracks_closed: int = 0
    findings: int = 0
    suppressed_duplicates: int = 0


class RuleEngine:
    """Incremental rule evaluation: ``update(track_update)`` -> Findings, once per (track, rule, episode)."""

    def __init__(self, zones: Any, config: RulesConfig | None = None, patrol_id: str = "",
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config or default_rules()
        self.ctx = RuleContext(zones=zones, geom=ZoneGeometry(zones), tz=zoneinfo.ZoneInfo(self.config.timezone),
                               max_gap_s=self.config.max_gap_s, patrol_id=patrol_id, clock=clock)
        self.rules: list[Rule] = [RULE_TYPES[spec.kind](spec, self.ctx) for spec in self.config.rules if spec.enabled]
        self.tracks: dict[tuple[str, int], TrackState] = {}
        self.stats = EngineStats()
        self._memory: list[FlagMemory] = []
        self._last_sweep_s = float("-inf")
        self._now_s = float("-inf")

    def update(self, message: Any) -> list[Finding]:
        """Process one observation (a TrackUpdate or Observation); returns the Findings it completes."""
        return self._update(Observation.from_message(message), None)

    def _update(self, obs: Observation, en: tuple[float, float] | None) -> list[Finding]:
        """One observation, with its local (east, north) if already projected."""
        if not obs.is_finite():
            self.stats.skipped_nonfinite += 1
            return []
        self._now_s = max(self._now_s, obs.time_s)
        if self._now_s - self._last_sweep_s >= 0.5:
            self.close_stale(self._now_s)
        track = self.tracks.get(obs.key)
        if track is not None and obs.time_s <= track.last.time_s:
            self.stats.skipped_out_of_order += 1
            return []
        east, north = en if en is not None else self.ctx.geom.to_en(obs.lat, obs.lon)
        if track is None:
            track = TrackState(key=obs.key, last=obs, east=east, north=north, first_s=obs.time_s, first_e=east,
                               first_n=north)
            self.tracks[obs.key] = track
            self._adopt(track)
        track.push(obs, east, north, self.config.history_s)
        self.stats.observations += 1
        for memory in self._memory:
            if memory.track_key == obs.key:
                memory.last_s, memory.east, memory.north = obs.time_s, east, north
                memory.vel_e, memory.vel_n = obs.vel_e_mps, obs.vel_n_mps
        findings = [f for rule in self.rules if (f := rule.observe(track, obs)) is not None]
        findings = [f for f in findings if not self._duplicate(f, track)]
        self.stats.findings += len(findings)
        return findings

    def _duplicate(self, finding: Finding, track: TrackState) -> bool:
        """True if a flagged track that was lost just before this one appeared is the same road user.

        The lost track's last position, moved on by its velocity, must fall within ``dedup_radius_m``
        + ``dedup_growth_mps`` x gap + two sigma of where this track was first seen, within ``dedup_window_s``, with the same
        rule, class and zone/road, and the finding's episode must have begun with the track (an episode
        that began later on the new track is a new one). The memory then follows the new track.
        """
        ev = finding.event
        cfg = self.config
        self._memory = [m for m in self._memory if self._now_s - m.last_s <= cfg.dedup_window_slow_s + cfg.history_s]
        same = [m for m in self._memory if (m.rule_id, m.cls, m.zone_id) == (ev.rule_id, ev.cls, ev.zone_id)]
        if ev.start_s > track.first_s + cfg.max_gap_s:
            same = []  # the episode began well after the track did: a new episode, not the lost one's
        for m in same:
            if m.inherited and m.track_key == track.key:
                self.stats.suppressed_duplicates += 1
                return True
        for m in same:
            dt = track.first_s - m.last_s
            if m.track_key != track.key and 0.0 < dt <= self._window(m) and self._continues(m, track, dt):
                m.track_key, m.inherited = track.key, True
                m.last_s, m.east, m.north = track.last.time_s, track.east, track.north
                self.stats.suppressed_duplicates += 1
                return True
        last = track.last
        self._memory.append(FlagMemory(ev.rule_id, ev.cls, ev.zone_id, track.key, last.time_s, track.east,
                                       track.north, last.vel_e_mps, last.vel_n_mps))
        return False

    def update_many(self, messages: Iterable[Any], chunk: int = 4096) -> list[Finding]:
        """Process many observations in order (projected to metres in vectorised chunks); all Findings."""
        out: list[Finding] = []
        batch: list[Observation] = []
        for message in messages:
            batch.append(Observation.from_message(message))
            if len(batch) >= chunk:
                out.extend(self._update_batch(batch))
                batch = []
        out.extend(self._update_batch(batch))
        return out

    def _update_batch(self, batch: list[Observation]) -> list[Finding]:
        if not batch:
            return []
        lat = np.array([o.lat for o in batch], dtype=float)
        lon = np.array([o.lon for o in batch], dtype=float)
        ok = np.isfinite(lat) & np.isfinite(lon)
        east, north = np.full(len(batch), np.nan), np.full(len(batch), np.nan)
        if ok.any():
            e, n, _ = self.ctx.geom.frame.to_enu(lat[ok], lon[ok], self.ctx.geom.frame.alt)
            east[ok], north[ok] = e, n
        out: list[Finding] = []
        for obs, e, n in zip(batch, east.tolist(), north.tolist()):
            out.extend(self._update(obs, (e, n)))
        return out

    def close_stale(self, now_s: float) -> int:
        """Close tracks unseen for ``track_ttl_s`` (their no-parking stays become re-identifiable)."""
        self._last_sweep_s = now_s
        stale = [k for k, t in self.tracks.items() if now_s - t.last.time_s > self.config.track_ttl_s]
        for key in stale:
            self._close(key)
        return len(stale)

    def finish(self) -> None:
        """Close every track (end of patrol or of a replay)."""
        for key in list(self.tracks):
            self._close(key)

    def _window(self, m: FlagMemory) -> float:
        """How long after losing a flagged track a continuation is accepted (longer for slow subjects)."""
        slow = math.hypot(m.vel_e, m.vel_n) < 2.0
        return self.config.dedup_window_slow_s if slow else self.config.dedup_window_s

    def _continues(self, m: FlagMemory, track: TrackState, dt: float) -> bool:
        """Whether ``track`` starts where the lost flagged track was predicted to be ``dt`` later, at a similar
        speed (within 2.5 m/s or 20 %), moving the same way (within 60 degrees, unless slower than 2 m/s)."""
        de = track.first_e - (m.east + m.vel_e * dt)
        dn = track.first_n - (m.north + m.vel_n * dt)
        growth = min(self.config.dedup_growth_mps * dt, 2.0 * self.config.dedup_radius_m)
        radius = self.config.dedup_radius_m + growth + 2.0 * track.last.sigma_m
        if de * de + dn * dn > radius * radius:
            return False
        ve, vn = track.last.vel_e_mps, track.last.vel_n_mps
        speed_a, speed_b = math.hypot(m.vel_e, m.vel_n), math.hypot(ve, vn)
        if abs(speed_a - speed_b) > max(2.5, 0.2 * speed_a):
            return False  # a different speed: another road user
        if speed_a < 2.0 or speed_b < 2.0:
            return True
        return (m.vel_e * ve + m.vel_n * vn) / (speed_a * speed_b) >= 0.5

    def _hand_over(self, key: tuple[str, int]) -> None:
        """A flagged track is lost: its memories follow the new track (same class) that continues it."""
        for m in self._memory:
            if m.track_key != key:
                continue
            best, best_dt = None, None
            for t in self.tracks.values():
                dt = t.first_s - m.last_s
                if t.key != key and t.last.cls == m.cls and 0.0 < dt <= self._window(m) \
                        and self._continues(m, t, dt) and (best_dt is None or dt < best_dt):
                    best, best_dt = t, dt
            if best is not None:
                m.track_key, m.inherited = best.key, True
                m.last_s, m.east, m.north = best.last.time_s, best.east, best.north
                m.vel_e, m.vel_n = best.last.vel_e_mps, best.last.vel_n_mps

    def _adopt(self, track: TrackState) -> None:
        """A new track takes over the memories of a lost flagged track it continues (see ``_hand_over``)."""
        for m in self._memory:
            dt = track.first_s - m.last_s
            if m.track_key not in self.tracks and m.cls == track.last.cls and 0.0 < dt <= self._window(m) \
                    and self._continues(m, track, dt):
                m.track_key, m.inherited = track.key, True
                m.last_s, m.east, m.north = track.last.time_s, track.east, track.north

    def _close(self, key: tuple[str, int]) -> None:
        self._hand_over(key)
        track = self.tracks.pop(key)
        for rule in self.rules:
            rule.track_closed(track)
        self.stats.tracks_closed += 1
