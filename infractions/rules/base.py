"""Shared pieces of the rules: per-track state, sustained-condition episodes and the Finding they emit."""
from __future__ import annotations

import math
import uuid
import zoneinfo
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from datalink.messages import InfractionEvent

from infractions.rules.observation import Observation
from infractions.rules.zonegeom import ZoneGeometry

#: Namespace of the deterministic infraction ids (uuid5): replaying the same tracks gives the same ids.
INFRACTION_NAMESPACE = uuid.UUID("5b0c8f5e-7d1a-4c3e-9a57-a3e0f1c2d4b6")


def normal_cdf(z: float) -> float:
    """Standard normal CDF, used to turn a margin over sigma into a confidence."""
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True)
class RuleContext:
    """What every rule needs from the patrol: zones (geo ZoneSet + metric view), time zone, clock, ids."""

    zones: Any
    geom: ZoneGeometry
    tz: zoneinfo.ZoneInfo
    max_gap_s: float
    patrol_id: str
    clock: Callable[[], float]


@dataclass
class TrackState:
    """One live track: its latest observation, metric position and a bounded history for profiles."""

    key: tuple[str, int]
    last: Observation
    east: float
    north: float
    first_s: float = 0.0
    first_e: float = 0.0
    first_n: float = 0.0
    history: deque = field(default_factory=deque)  # of (Observation, east, north)
    rule_state: dict[str, Any] = field(default_factory=dict)
    _roads: dict[float, Any] = field(default_factory=dict)

    def road(self, geom: ZoneGeometry, margin_m: float) -> Any:
        """The road the latest position is on: nearest centre line within half its width + ``margin_m``.

        Computed once per observation and margin, whichever rules ask.
        """
        if margin_m not in self._roads:
            hit = geom.nearest_road(self.east, self.north, geom.max_half_width_m + margin_m)
            if hit is not None and hit.distance_m > hit.road.width_m / 2.0 + margin_m:
                hit = None
            self._roads[margin_m] = hit
        return self._roads[margin_m]

    def push(self, obs: Observation, east: float, north: float, keep_s: float) -> None:
        """Record an observation and forget history older than ``keep_s``."""
        self._roads.clear()
        self.last, self.east, self.north = obs, east, north
        self.history.append((obs, east, north))
        while self.history and obs.time_s - self.history[0][0].time_s > keep_s:
            self.history.popleft()


@dataclass
class Episode:
    """A stretch of time over which a rule's condition held (with short gaps tolerated)."""

    start_s: float
    start_e: float
    start_n: float
    last_true_s: float
    last_e: float
    last_n: float
    samples: list[tuple[Observation, float, float]] = field(default_factory=list)
    flagged: bool = False
    data: dict[str, Any] = field(default_factory=dict)
    first_false_s: float | None = None

    @property
    def duration_s(self) -> float:
        """Time from the first to the last observation where the condition held."""
        return self.last_true_s - self.start_s

    @property
    def displacement_m(self) -> float:
        """Straight-line distance from the episode's first to its last position (robust to GPS jitter)."""
        return math.hypot(self.last_e - self.start_e, self.last_n - self.start_n)


def step_episode(episode: Episode | None, obs: Observation, east: float, north: float, holds: bool | None,
                 grace_s: float, max_gap_s: float) -> Episode | None:
    """Advance a sustained-condition episode by one observation.

    ``holds`` True extends the episode if its last true observation is at most ``max(max_gap_s,
    grace_s)`` old (a short occlusion is bridged), else starts a new one. False ends it once the
    condition has been false for more than ``grace_s`` (from the first false observation, so one
    noisy sample at a low rate does not end it). None (cannot judge, e.g. heading at walking pace)
    leaves the episode as it is.
    """
    t = obs.time_s
    if holds is None:
        return episode
    if holds:
        if episode is None or t - episode.last_true_s > max(max_gap_s, grace_s):
            episode = Episode(start_s=t, start_e=east, start_n=north, last_true_s=t, last_e=east, last_n=north)
        episode.last_true_s, episode.last_e, episode.last_n = t, east, north
        episode.first_false_s = None
        episode.samples.append((obs, east, north))
        return episode
    if episode is None:
        return None
    if episode.first_false_s is None:
        episode.first_false_s = t
    if t - episode.first_false_s > grace_s or t - episode.last_true_s > max(max_gap_s, grace_s):
        return None
    return episode


@dataclass
class Finding:
    """An infraction as the engine emits it: the wire event plus the profile and track behind it."""

    event: InfractionEvent
    #: (time_s, speed_kmh, speed_sigma_kmh) of the track over the history kept, up to the flag
    profile: list[tuple[float, float, float]]
    #: (time_s, lat, lon, sigma_m) of the track over the same span
    track: list[tuple[float, float, float, float]]
    #: frame ids of the episode's observations (first, middle, last first: key-frame candidates)
    key_frames: list[int]
    #: the observations inside the episode, oldest first (boxes for evidence)
    episode: list[Observation]


def infraction_id(patrol_id: str, obs: Observation, rule_id: str, episode_start_s: float) -> str:
    """Deterministic id of one (track, rule, episode), so replay after a crash cannot duplicate it."""
    name = f"{patrol_id}|{obs.vehicle_id}|{obs.track_id}|{rule_id}|{episode_start_s:.3f}"
    return str(uuid.uuid5(INFRACTION_NAMESPACE, name))


def make_finding(*, ctx: RuleContext, spec: Any, track: TrackState, episode: Episode, lat: float, lon: float,
                 sigma_m: float, zone_id: str, measurements: dict[str, float], uncertainty: dict[str, float],
                 confidence: float, summary: str, episode_id_start_s: float | None = None) -> Finding:
    """Assemble the InfractionEvent (rule id, version, flat params, measurements, confidence) and its context."""
    obs = track.last
    patrol_id = ctx.patrol_id or obs.patrol_id
    start_for_id = episode.start_s if episode_id_start_s is None else episode_id_start_s
    event = InfractionEvent(
        infraction_id=infraction_id(patrol_id, obs, spec.id, start_for_id),
        patrol_id=patrol_id, vehicle_id=obs.vehicle_id, rule_id=spec.id, rule_version=spec.version,
        rule_params=spec.params.as_flat(), kind=spec.kind, track_id=obs.track_id, cls=obs.cls,
        lat=float(lat), lon=float(lon), sigma_m=float(sigma_m), start_s=float(episode.start_s),
        end_s=float(episode.last_true_s),
        measurements={k: float(v) for k, v in measurements.items()},
        uncertainty={k: float(v) for k, v in uncertainty.items()},
        confidence=float(min(1.0, max(0.0, confidence))), zone_id=zone_id, evidence_id=None,
        created_s=float(ctx.clock()), summary=summary[:4000],
    )
    hist = [h[0] for h in track.history]
    frames = [o.frame_id for o, _, _ in episode.samples]
    key_frames = list(dict.fromkeys([frames[0], frames[len(frames) // 2], frames[-1]])) if frames else []
    return Finding(
        event=event,
        profile=[(o.time_s, o.speed_kmh, o.speed_sigma_kmh) for o in hist],
        track=[(o.time_s, o.lat, o.lon, o.sigma_m) for o in hist],
        key_frames=key_frames,
        episode=[o for o, _, _ in episode.samples],
    )


class Rule:
    """A configured rule: ``observe`` each observation of a track, ``track_closed`` when it goes stale."""

    kind: str = ""

    def __init__(self, spec: Any, ctx: RuleContext) -> None:
        self.spec = spec
        self.params = spec.params
        self.ctx = ctx

    def observe(self, track: TrackState, obs: Observation) -> Finding | None:
        """Update this rule's state for the track; return a Finding the first time an episode qualifies."""
        raise NotImplementedError

    def advance_episode(self, track: TrackState, obs: Observation, holds: bool | None, grace_s: float) -> Episode | None:
        """Step this rule's episode for the track (kept in ``track.rule_state``); None when it ended."""
        key = self.spec.id
        episode = step_episode(track.rule_state.get(key), obs, track.east, track.north, holds, grace_s, self.ctx.max_gap_s)
        if episode is None:
            track.rule_state.pop(key, None)
            return None
        track.rule_state[key] = episode
        return episode

    def track_closed(self, track: TrackState) -> None:
        """The track has not been seen for ``track_ttl_s`` (lost); drop or park its state."""
        track.rule_state.pop(self.spec.id, None)
