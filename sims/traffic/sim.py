"""Vectorised traffic: vehicles on lanes (IDM car following, signals at intersections), people on
sidewalks and in the plaza, parked cars, and scripted infraction actors. One ``tick`` moves all agents.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Point
from shapely.ops import substring

from sims.traffic.agents import CLASSES, KINDS, VEHICLE_MIX, body_colour, class_index
from sims.traffic.paths import PathInfo, PathSet
from sims.traffic.scenario import NoParking, RestrictedEntry, Speeding, TrafficScenario, WrongWay
from sims.world.town import Town

STOP_LINE_FROM_CENTRE_M = 15.8


@dataclass
class AgentSnapshot:
    """All active agents at time ``t`` (ENU metres, heading as a unit vector, body size, colour)."""

    t: float
    ids: np.ndarray
    cls: np.ndarray  # index into CLASSES
    kind: np.ndarray  # kind names (str)
    e: np.ndarray
    n: np.ndarray
    direction: np.ndarray  # (N, 2) unit vector of travel in ENU
    speed: np.ndarray  # m/s
    length: np.ndarray
    width: np.ndarray
    height: np.ndarray
    colour: np.ndarray  # (N, 3) uint8 BGR
    style: np.ndarray  # per-agent random int for sprite details

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def heading_deg(self) -> np.ndarray:
        """Compass heading of travel (0 = north, 90 = east)."""
        return np.mod(np.degrees(np.arctan2(self.direction[:, 0], self.direction[:, 1])), 360.0)


@dataclass
class ScriptedActor:
    """One staged infraction: which agent plays it and what it is."""

    agent_id: int
    type: str
    start_s: float
    target: str  # road or zone id


class TrafficSim:
    """The traffic of one town under one scenario; ``tick(dt)`` advances every agent at once."""

    def __init__(self, town: Town, scenario: TrafficScenario | None = None) -> None:
        self.town = town
        self.scenario = scenario or TrafficScenario()
        self.rng = np.random.default_rng(self.scenario.seed + 1000 * town.spec.seed)
        self.t = 0.0
        self.actors: list[ScriptedActor] = []
        self._polylines: list[np.ndarray] = []
        self._infos: list[PathInfo] = []
        self._stops: list[tuple[int, float, int, int]] = []
        self._build_paths()
        self._agents: dict[str, list] = {k: [] for k in (
            "kind", "path", "s", "v", "v0", "accel", "decel", "length", "width", "height", "colour", "style",
            "static", "follows", "obeys", "active", "scripted", "hold_s", "hold_dur", "start_s", "time_gap")}
        self._reserved: set[int] = set()
        self._stage_infractions()
        self._spawn_population()
        self._finalise()

    # ---------------------------------------------------------------- paths
    def _add_path(self, xy: np.ndarray, info: PathInfo) -> int:
        self._polylines.append(np.asarray(xy, float))
        self._infos.append(info)
        return len(self._infos) - 1

    def _build_paths(self) -> None:
        town = self.town
        self.lane_paths: dict[str, int] = {}
        for lane in town.lanes:
            road = town.road(lane.road_id)
            p = self._add_path(np.asarray(lane.line.coords), PathInfo(lane.id, "lane", road.id, road.speed_limit_kmh))
            self.lane_paths[lane.id] = p
            for x in town.intersections:
                if road.id in x.road_ids:
                    s_stop = lane.line.project(x.point) - STOP_LINE_FROM_CENTRE_M
                    if s_stop > 1.0:
                        self._stops.append((p, s_stop, int(x.id[1:]), x.road_ids.index(road.id)))
        self.sidewalk_paths = []
        half = town.spec.half_extent_m
        square = shapely.box(-half, -half, half, half)
        for k, line in enumerate(town.sidewalk_paths):
            clipped = line.intersection(square)
            for part in getattr(clipped, "geoms", [clipped]):
                if isinstance(part, LineString) and part.length > 20:
                    xy = np.asarray(part.coords)
                    self.sidewalk_paths.append(self._add_path(xy, PathInfo(f"sidewalk-{k}", "sidewalk")))
                    self.sidewalk_paths.append(self._add_path(xy[::-1], PathInfo(f"sidewalk-{k}r", "sidewalk")))
        self.loop_paths = []
        inner = town.plaza.buffer(-8)
        fountain = inner.centroid.buffer(9)
        minx, miny, maxx, maxy = inner.bounds
        for k in range(8):
            pts: list[tuple[float, float]] = []
            while len(pts) < 6:  # stroll from point to point, never through the fountain
                p = Point(self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy))
                if inner.contains(p) and not fountain.contains(p) and not (
                        pts and LineString([pts[-1], (p.x, p.y)]).intersects(fountain)) and not (
                        len(pts) == 5 and LineString([(p.x, p.y), pts[0]]).intersects(fountain)):
                    pts.append((p.x, p.y))
            pts.append(pts[0])
            self.loop_paths.append(self._add_path(np.array(pts), PathInfo(f"plaza-loop-{k}", "loop", loop=True)))

    # ---------------------------------------------------------------- agents
    def _new_agent(self, kind: str, path: int, s: float, *, static: bool = False, v0: float | None = None,
                   scripted: bool = False, hold_s: float = np.inf, hold_dur: float = 0.0, start_s: float = 0.0,
                   time_gap: float = 1.3) -> int:
        k = KINDS[kind]
        rng = self.rng
        info = self._infos[path]
        if v0 is None:
            if k.speed[1] > 0:
                v0 = rng.uniform(*k.speed)
            else:
                limit = (info.speed_limit_kmh or 30.0) / 3.6
                v0 = limit * rng.uniform(0.82, 0.98)
        A = self._agents
        A["kind"].append(kind)
        A["path"].append(path)
        A["s"].append(s)
        A["v"].append(0.0 if static else v0 * rng.uniform(0.5, 0.9))
        A["v0"].append(0.0 if static else v0)
        A["accel"].append(k.accel)
        A["decel"].append(k.decel)
        A["length"].append(rng.uniform(*k.length))
        A["width"].append(rng.uniform(*k.width))
        A["height"].append(rng.uniform(*k.height))
        A["colour"].append(body_colour(rng, kind))
        A["style"].append(int(rng.integers(0, 1 << 30)))
        A["static"].append(static)
        A["follows"].append(k.vehicle and not static)
        A["obeys"].append(k.vehicle and not static and not scripted)
        A["active"].append(start_s <= 0.0)
        A["scripted"].append(scripted)
        A["hold_s"].append(hold_s)
        A["hold_dur"].append(hold_dur)
        A["start_s"].append(start_s)
        A["time_gap"].append(time_gap)
        return len(A["kind"]) - 1

    def _lanes_of(self, road_id: str | None, kinds: tuple[str, ...]) -> list:
        return [ln for ln in self.town.lanes if (road_id is None or ln.road_id == road_id)
                and self.town.road(ln.road_id).kind in kinds]

    def _stage_infractions(self) -> None:
        """Create one scripted agent per infraction in the scenario, each on a lane reserved for it."""
        town, rng = self.town, self.rng
        for spec in self.scenario.infractions:
            if isinstance(spec, Speeding):
                lanes = self._lanes_of(spec.road, ("arterial", "diagonal", "residential", "oneway"))
                if spec.road is None:
                    lanes = self._lanes_of(None, ("arterial",))
                    lanes = [ln for ln in lanes if ln.index == 1] or lanes
                if not lanes:
                    raise ValueError(f"scenario speeding: no road {spec.road!r} in the town")
                lane = lanes[rng.integers(len(lanes))]
                p = self.lane_paths[lane.id]
                self._reserved.add(p)
                a = self._new_agent(spec.kind, p, 5.0, v0=spec.speed_kmh / 3.6, scripted=True, start_s=spec.start_s,
                                    time_gap=0.8)
                self._agents["v"][a] = spec.speed_kmh / 3.6
                self.actors.append(ScriptedActor(a + 1, "speeding", spec.start_s, lane.road_id))
            elif isinstance(spec, WrongWay):
                roads = [r for r in town.roads if r.oneway and (spec.road is None or r.id == spec.road)]
                if not roads:
                    raise ValueError(f"scenario wrong_way: no one-way road {spec.road!r} in the town")
                road = roads[0]
                lane = [ln for ln in town.lanes if ln.road_id == road.id][0]
                self._reserved.add(self.lane_paths[lane.id])
                xy = np.asarray(lane.line.coords)[::-1]
                p = self._add_path(xy, PathInfo(f"{lane.id}-wrongway", "lane", road.id, road.speed_limit_kmh,
                                                wrong_way=True))
                a = self._new_agent(spec.kind, p, 3.0, v0=spec.speed_kmh / 3.6, scripted=True, start_s=spec.start_s)
                self.actors.append(ScriptedActor(a + 1, "wrong_way", spec.start_s, road.id))
            elif isinstance(spec, NoParking):
                zones = [z for z in town.areas_of("no_parking") if spec.zone is None or z.id == spec.zone]
                if not zones:
                    raise ValueError(f"scenario no_parking: no zone {spec.zone!r} in the town")
                zone = zones[0]
                road = town.road(zone.road_id)
                lane = [ln for ln in town.lanes if ln.road_id == road.id and ln.forward and ln.index == 0][0]
                self._reserved.add(self.lane_paths[lane.id])
                xy, hold = _pull_over_route(lane.line, zone.polygon)
                p = self._add_path(xy, PathInfo(f"{lane.id}-park-{zone.id}", "route", road.id, road.speed_limit_kmh))
                a = self._new_agent(spec.kind, p, max(0.0, hold - 90.0), v0=8.0, scripted=True, hold_s=hold,
                                    hold_dur=spec.duration_s, start_s=spec.start_s)
                self.actors.append(ScriptedActor(a + 1, "no_parking", spec.start_s, zone.id))
            elif isinstance(spec, RestrictedEntry):
                zones = [z for z in town.areas_of("restricted") if spec.zone is None or z.id == spec.zone]
                if not zones:
                    raise ValueError(f"scenario restricted_entry: no zone {spec.zone!r} in the town")
                zone = zones[0]
                xy, hold = _walk_in_route(town, zone.polygon)
                p = self._add_path(xy, PathInfo(f"walk-into-{zone.id}", "route"))
                a = self._new_agent("person", p, 0.0, v0=1.4, scripted=True, hold_s=hold, hold_dur=spec.dwell_s,
                                    start_s=spec.start_s)
                self.actors.append(ScriptedActor(a + 1, "restricted_entry", spec.start_s, zone.id))

    def _spawn_population(self) -> None:
        """Ordinary traffic on unreserved lanes, pedestrians, plaza strollers, parked cars."""
        sc, rng, town = self.scenario, self.rng, self.town
        mix = sc.vehicle_mix or VEHICLE_MIX
        names = list(mix)
        probs = np.array([mix[k] for k in names], float)
        probs /= probs.sum()
        free = [ln for ln in town.lanes if self.lane_paths[ln.id] not in self._reserved]
        outer = [ln for ln in free if ln.index == 0]
        self._entry_lanes = np.array([self.lane_paths[ln.id] for ln in free])
        self._entry_outer = np.array([self.lane_paths[ln.id] for ln in outer])
        by_lane: dict[int, list[tuple[str, float]]] = {}
        for kind in rng.choice(names, size=sc.vehicles, p=probs):
            pool = outer if kind in ("bus", "truck", "bicycle") else free
            w = np.array([ln.line.length for ln in pool])
            lane = pool[rng.choice(len(pool), p=w / w.sum())]
            by_lane.setdefault(self.lane_paths[lane.id], []).append((str(kind), rng.uniform(0, lane.line.length)))
        for p, items in by_lane.items():
            items.sort(key=lambda it: it[1])
            last = -np.inf
            L = self._polylines[p]
            length = float(np.hypot(*np.diff(L, axis=0).T).sum())
            for kind, s in items:
                s = max(s, last + 16.0)
                if s > length - 5:
                    break
                self._new_agent(kind, p, s)
                last = s
        for _ in range(sc.pedestrians):
            p = int(rng.choice(self.sidewalk_paths))
            self._new_agent("person", p, rng.uniform(0, 400))
        for _ in range(sc.plaza_pedestrians):
            p = int(rng.choice(self.loop_paths))
            self._new_agent("person", p, rng.uniform(0, 100), v0=rng.uniform(0.6, 1.3))
        bays = town.parking_bays
        for i in rng.permutation(len(bays))[: min(sc.parked, len(bays))]:
            bay, heading = bays[i]
            c = bay.centroid
            d = np.array([np.cos(np.radians(heading)), np.sin(np.radians(heading))])
            xy = np.array([[c.x, c.y] - d, [c.x, c.y] + d])
            p = self._add_path(xy, PathInfo(f"bay-{i}", "bay"))
            self._new_agent("van" if rng.random() < 0.12 else "car", p, 1.0, static=True)

    def _finalise(self) -> None:
        self.paths = PathSet(self._polylines, self._infos)
        A = self._agents
        self.kind = np.array(A["kind"])
        self.cls = np.array([class_index(KINDS[k].cls) for k in A["kind"]], dtype=np.int16)
        for key in ("path",):
            setattr(self, key, np.array(A[key], dtype=np.int64))
        for key in ("s", "v", "v0", "accel", "decel", "length", "width", "height", "hold_s", "hold_dur",
                    "start_s", "time_gap"):
            setattr(self, key, np.array(A[key], dtype=float))
        for key in ("static", "follows", "obeys", "active", "scripted"):
            setattr(self, key, np.array(A[key], dtype=bool))
        self.colour = np.array(A["colour"], dtype=np.uint8).reshape(-1, 3)
        self.style = np.array(A["style"], dtype=np.int64)
        self.ids = np.arange(len(self.kind), dtype=np.int64) + 1
        self.hold_until = np.full(len(self.kind), np.nan)
        self.finished = np.zeros(len(self.kind), bool)
        st = sorted(self._stops, key=lambda r: self.paths.base[r[0]] + r[1])
        self.stop_g = np.array([self.paths.base[p] + s for p, s, _, _ in st])
        self.stop_path = np.array([p for p, _, _, _ in st], dtype=np.int64)
        self.stop_x = np.array([x for _, _, x, _ in st], dtype=np.int64)
        self.stop_rank = np.array([r for _, _, _, r in st], dtype=np.int64)
        nx = len(self.town.intersections) + 1
        self.signal_offset = self.rng.uniform(0, self.scenario.signal_cycle_s, nx)
        self.loop_path = np.array([i.loop for i in self._infos])
        self.is_person = self.kind == "person"
        self._pos, self._dir = self.paths.locate(self.path, self.s)

    # ---------------------------------------------------------------- dynamics
    def green(self, x: np.ndarray, rank: np.ndarray, t: float) -> np.ndarray:
        """Whether the approach of road ``rank`` (0 or 1) to intersection ``x`` has green at time ``t``."""
        phase = np.mod(t + self.signal_offset[x], self.scenario.signal_cycle_s) / self.scenario.signal_cycle_s
        return np.where(rank == 0, phase < 0.45, (phase >= 0.5) & (phase < 0.95))

    def tick(self, dt: float) -> None:
        """Advance every agent by ``dt`` seconds (IDM longitudinal dynamics, ballistic update)."""
        t = self.t + dt
        self.active = ~self.finished & (self.start_s <= t)
        n = len(self.ids)
        act = self.active & ~self.static
        gap = np.full(n, np.inf)
        vlead = np.zeros(n)
        idx = np.nonzero(act & self.follows)[0]
        if len(idx) > 1:
            order = idx[np.lexsort((self.s[idx], self.path[idx]))]
            same = self.path[order[1:]] == self.path[order[:-1]]
            f, l = order[:-1][same], order[1:][same]
            gap[f] = self.s[l] - self.s[f] - 0.5 * (self.length[l] + self.length[f])
            vlead[f] = self.v[l]
        # signals: the next stop line ahead of the front bumper, if red and there is room to stop
        gap_stop = np.full(n, np.inf)
        if len(self.stop_g):
            g = self.paths.base[self.path] + self.s + 0.5 * self.length
            k = np.minimum(np.searchsorted(self.stop_g, g, side="left"), len(self.stop_g) - 1)
            d = self.stop_g[k] - g
            red = ~self.green(self.stop_x[k], self.stop_rank[k], t)
            use = act & self.obeys & (self.stop_path[k] == self.path) & red & (d > -0.5) & (
                d > self.v ** 2 / (2 * 5.0))
            gap_stop[use] = np.maximum(d[use], 0.05)
        # holds (scripted stops: parking, dwelling): stop with the centre at hold_s until released
        holding = act & np.isfinite(self.hold_s) & (np.isnan(self.hold_until) | (t < self.hold_until))
        gap_hold = np.where(holding, np.maximum(self.hold_s - self.s + 0.3, 0.02), np.inf)
        arrived = holding & np.isnan(self.hold_until) & (self.s > self.hold_s - 1.5) & (self.v < 0.25)
        self.hold_until[arrived] = t + self.hold_dur[arrived]
        released = act & ~np.isnan(self.hold_until) & (t >= self.hold_until)
        self.hold_s[released] = np.inf
        # IDM
        a, b, T = self.accel, self.decel, self.time_gap
        v, v0 = self.v, np.maximum(self.v0, 0.1)
        sq = 2.0 * np.sqrt(a * b)
        s_lead = 2.0 + np.maximum(0.0, v * T + v * (v - vlead) / sq)
        s_stop = 0.3 + np.maximum(0.0, v * T + v * v / sq)
        inter = np.maximum((s_lead / np.maximum(gap, 0.1)) ** 2, (s_stop / gap_stop) ** 2)
        s_hold = 0.3 + np.maximum(0.0, v * T + v * v / sq)
        inter = np.maximum(inter, (s_hold / gap_hold) ** 2)
        acc = a * (1.0 - (v / v0) ** 4 - inter)
        acc = np.clip(acc, -9.0, a)
        v_new = np.where(act, np.maximum(0.0, v + acc * dt), v)
        hold_cap = holding & (self.s + v_new * dt > self.hold_s)
        v_new[hold_cap] = np.maximum(0.0, (self.hold_s[hold_cap] - self.s[hold_cap]) / dt)
        self.s = np.where(act, self.s + v_new * dt, self.s)
        self.v = v_new
        self._wrap_or_respawn(act)
        self.t = t
        self._pos, self._dir = self.paths.locate(self.path, self.s)

    def _wrap_or_respawn(self, act: np.ndarray) -> None:
        over = act & (self.s >= self.paths.length[self.path])
        if not over.any():
            return
        loop = over & self.loop_path[self.path]
        self.s[loop] -= self.paths.length[self.path[loop]]
        done = over & ~loop & self.scripted
        self.active[done] = False
        self.finished[done] = True
        rest = np.nonzero(over & ~loop & ~self.scripted)[0]
        for i in rest:
            if self.is_person[i]:
                self.path[i] = int(self.rng.choice(self.sidewalk_paths))
            else:
                pool = self._entry_outer if self.kind[i] in ("bus", "truck", "bicycle") else self._entry_lanes
                self.path[i] = int(self.rng.choice(pool))
                if KINDS[self.kind[i]].speed[1] == 0:  # motor vehicles adopt the new road's limit
                    limit = (self.paths.infos[self.path[i]].speed_limit_kmh or 30.0) / 3.6
                    self.v0[i] = limit * self.rng.uniform(0.82, 0.98)
                    self.v[i] = min(self.v[i], self.v0[i])
            self.s[i] = 0.0

    # ---------------------------------------------------------------- outputs
    def snapshot(self) -> AgentSnapshot:
        """Every active agent now (a copy; safe to keep)."""
        m = self.active
        return AgentSnapshot(self.t, self.ids[m], self.cls[m], self.kind[m], self._pos[m, 0].copy(),
                             self._pos[m, 1].copy(), self._dir[m].copy(), self.v[m].copy(), self.length[m],
                             self.width[m], self.height[m], self.colour[m], self.style[m])

    def path_info(self, agent_id: int) -> PathInfo:
        """The path an agent is on (road, limit, wrong-way flag)."""
        return self.paths.infos[int(self.path[agent_id - 1])]


def _pull_over_route(lane: LineString, zone) -> tuple[np.ndarray, float]:
    """A lane route that swerves into a kerb-side zone and back; returns (polyline, hold arc length)."""
    c = zone.centroid
    s_mid = lane.project(c)
    s_in, s_out = max(0.0, s_mid - 14.0), min(lane.length, s_mid + 14.0)
    before = np.asarray(substring(lane, 0.0, max(0.0, s_in - 8.0)).coords)
    after = np.asarray(substring(lane, min(lane.length, s_out + 8.0), lane.length).coords)
    p_in, p_out = lane.interpolate(s_in), lane.interpolate(s_out)
    lateral = np.array([c.x, c.y]) - np.array(lane.interpolate(s_mid).coords[0])
    a = np.array(p_in.coords[0]) + lateral
    b = np.array(p_out.coords[0]) + lateral
    xy = np.vstack([before, a, [c.x, c.y], b, after])
    route = LineString(xy)
    return np.asarray(route.coords), float(route.project(c))


def _walk_in_route(town: Town, zone) -> tuple[np.ndarray, float]:
    """A walk along a sidewalk, into a zone to its middle, and back out; returns (polyline, hold s)."""
    c = zone.centroid
    walk = min(town.sidewalk_paths, key=lambda ln: ln.distance(c))
    s = walk.project(c)
    gate = walk.interpolate(s)
    start = walk.interpolate(max(0.0, s - 60.0))
    end = walk.interpolate(min(walk.length, s + 60.0))
    inside = zone.buffer(-3).representative_point() if zone.buffer(-3).area > 0 else c
    xy = np.array([start.coords[0], gate.coords[0], inside.coords[0], gate.coords[0], end.coords[0]])
    hold = float(np.hypot(*(xy[1] - xy[0])) + np.hypot(*(xy[2] - xy[1])))
    return xy, hold
