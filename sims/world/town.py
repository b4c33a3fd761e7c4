"""Procedural town in local ENU metres: roads with lanes, blocks, buildings, trees, plaza, depot, zones.

Everything is drawn from one ``numpy`` generator seeded by ``TownSpec.seed``, so the same spec gives
the same town, vertex for vertex.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union

from geo.frames import LocalFrame

SIDEWALK_WIDTH_M = 3.0
PARKING_STRIP_M = 2.4


@dataclass(frozen=True)
class TownSpec:
    """Where and how big the town is; ``seed`` makes it reproducible."""

    lat: float = 47.3977
    lon: float = 8.5456
    alt_m: float = 408.0
    seed: int = 1
    half_extent_m: float = 300.0
    name: str = "synthtown"


@dataclass(frozen=True)
class Road:
    """A street centre line in ENU (vertex order = direction of travel when one-way) and its rules."""

    id: str
    name: str
    line: LineString
    speed_limit_kmh: float
    oneway: bool
    width_m: float
    lanes: int
    kind: str
    parking_side: bool = False

    @property
    def lane_width_m(self) -> float:
        """Width of one traffic lane (carriageway minus parking strip, shared evenly)."""
        return (self.width_m - (PARKING_STRIP_M if self.parking_side else 0.0)) / self.lanes

    @property
    def carriage_offset_m(self) -> float:
        """Offset of the carriageway centre from the centre line, metres to the right of travel."""
        return -PARKING_STRIP_M / 2 if self.parking_side else 0.0


@dataclass(frozen=True)
class Lane:
    """One directed traffic lane: its centre line in the direction of travel."""

    id: str
    road_id: str
    line: LineString
    speed_limit_kmh: float
    forward: bool
    index: int


@dataclass(frozen=True)
class Building:
    """A building footprint with roof height and a roof style index (colour/material)."""

    footprint: Polygon
    height_m: float
    roof: int


@dataclass(frozen=True)
class NamedArea:
    """A polygon zone with an id, a kind (no_parking, restricted, privacy, parking) and properties."""

    id: str
    kind: str
    name: str
    polygon: Polygon
    properties: dict = field(default_factory=dict)
    road_id: str | None = None  # the road a kerb-side zone runs along (not exported)


@dataclass(frozen=True)
class Intersection:
    """Where two road centre lines cross: the point and the two road ids (lower id first)."""

    id: str
    point: Point
    road_ids: tuple[str, str]


@dataclass
class Town:
    """The generated town: geometry in ENU metres around ``frame`` (origin = town centre at ground)."""

    spec: TownSpec
    frame: LocalFrame
    roads: list[Road]
    lanes: list[Lane]
    intersections: list[Intersection]
    road_surface: Polygon
    sidewalk: Polygon
    sidewalk_paths: list[LineString]
    blocks: list[Polygon]
    buildings: list[Building]
    trees: np.ndarray  # (N, 3): east, north, crown radius
    grass: list[Polygon]
    plaza: Polygon
    depot: Polygon
    parking_lots: list[Polygon]
    parking_bays: list[tuple[Polygon, float]]  # (bay, heading of a car parked in it, deg from east CCW)
    areas: list[NamedArea]

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min_e, min_n, max_e, max_n) of the town square."""
        h = self.spec.half_extent_m
        return (-h, -h, h, h)

    def road(self, road_id: str) -> Road:
        """The road with this id (KeyError names it when absent)."""
        for r in self.roads:
            if r.id == road_id:
                return r
        raise KeyError(f"town has no road {road_id!r}")

    def areas_of(self, kind: str) -> list[NamedArea]:
        """Named areas of one kind (no_parking, restricted, privacy)."""
        return [a for a in self.areas if a.kind == kind]


def _street_positions(rng: np.random.Generator, half: float) -> list[float]:
    """Offsets of parallel streets across the town: irregular spacing 85-140 m, none at the rim."""
    pos, x = [], -half + rng.uniform(45, 70)
    while x < half - 40:
        pos.append(round(float(x), 1))
        x += rng.uniform(85, 140)
    return pos


def _make_roads(rng: np.random.Generator, half: float) -> list[Road]:
    """Grid-ish streets (N-S and E-W), the central ones arterial, two one-way, plus a diagonal avenue."""
    roads: list[Road] = []
    span = half + 5.0
    xs, ys = _street_positions(rng, half), _street_positions(rng, half)
    arterial_x = int(np.argmin(np.abs(xs)))
    arterial_y = int(np.argmin(np.abs(ys)))
    oneway_x = (arterial_x + 1) % len(xs)
    oneway_y = (arterial_y + len(ys) - 1) % len(ys)
    for axis, positions, art, one in (("ns", xs, arterial_x, oneway_x), ("ew", ys, arterial_y, oneway_y)):
        for i, p in enumerate(positions):
            if axis == "ns":
                coords = [(p, -span), (p, span)]
            else:
                coords = [(-span, p), (span, p)]
            if i == art:
                kind, limit, width, lanes, oneway, parking = "arterial", 50.0, 14.0, 4, False, False
            elif i == one:
                kind, limit, width, lanes, oneway, parking = "oneway", 30.0, 8.4, 2, True, True
                if rng.random() < 0.5:
                    coords = coords[::-1]
            else:
                kind, limit, width, lanes, oneway, parking = "residential", 30.0, 9.4, 2, False, True
            name = f"{'North' if axis == 'ns' else 'East'} Street {i + 1}" if kind != "arterial" else (
                "Main Avenue" if axis == "ns" else "Market Road")
            roads.append(Road(f"road-{axis}{i + 1}", name, LineString(coords), limit, oneway, width, lanes, kind, parking))
    # A diagonal boulevard across the south-west quarter (variety: an angled road, 40 km/h).
    a = rng.uniform(-half * 0.2, half * 0.1)
    coords = [(-span, a - span * 0.55), (span * 0.15, a + span * 0.05), (span * 0.35, span)]
    roads.append(Road("road-diag1", "Old Boulevard", LineString(coords), 40.0, False, 9.4, 2, "diagonal", False))
    return roads


def _make_lanes(roads: list[Road]) -> list[Lane]:
    """Directed lanes: one-way roads carry all lanes forward, two-way roads half each way (drive right)."""
    lanes: list[Lane] = []
    for road in roads:
        lw = road.lane_width_m
        carriage = road.width_m - (PARKING_STRIP_M if road.parking_side else 0.0)
        if road.oneway:
            for k in range(road.lanes):
                off = -carriage / 2 + (k + 0.5) * lw  # positive = right of travel
                line = road.line.offset_curve(-off) if off else road.line
                lanes.append(Lane(f"{road.id}/f{k}", road.id, _oriented(line, road.line), road.speed_limit_kmh, True, k))
        else:
            per = road.lanes // 2
            c = road.carriage_offset_m
            for k in range(per):
                off = (per - k - 0.5) * lw
                fwd = road.line.offset_curve(-(c + off))
                lanes.append(Lane(f"{road.id}/f{k}", road.id, _oriented(fwd, road.line), road.speed_limit_kmh, True, k))
                back = road.line.reverse().offset_curve(-(off - c))
                lanes.append(Lane(f"{road.id}/b{k}", road.id, _oriented(back, road.line.reverse()), road.speed_limit_kmh,
                                  False, k))
    return lanes


def _oriented(line: LineString, ref: LineString) -> LineString:
    """``line`` with its vertices running the same way as ``ref`` (offset_curve may flip them)."""
    a, b = np.asarray(line.coords)[[0, -1]]
    r0 = np.asarray(ref.coords)[0]
    return line if np.hypot(*(a - r0)) <= np.hypot(*(b - r0)) else line.reverse()


def _intersections(roads: list[Road]) -> list[Intersection]:
    """Every crossing of two road centre lines."""
    out: list[Intersection] = []
    for i, a in enumerate(roads):
        for b in roads[i + 1:]:
            x = a.line.intersection(b.line)
            for g in getattr(x, "geoms", [x]):
                if isinstance(g, Point) and not g.is_empty:
                    out.append(Intersection(f"x{len(out) + 1}", g, (a.id, b.id)))
    return out


def _subdivide(block: Polygon, rng: np.random.Generator, lot: float, setback: float) -> list[Polygon]:
    """Cut a block into lots of about ``lot`` metres (axis-aligned grid), kept only where fully inside."""
    minx, miny, maxx, maxy = block.bounds
    nx, ny = max(1, int((maxx - minx) // lot)), max(1, int((maxy - miny) // lot))
    dx, dy = (maxx - minx) / nx, (maxy - miny) / ny
    lots = []
    for i in range(nx):
        for j in range(ny):
            cell = box(minx + i * dx, miny + j * dy, minx + (i + 1) * dx, miny + (j + 1) * dy)
            if block.contains(cell):
                lots.append(cell.buffer(-setback * rng.uniform(0.6, 1.4), join_style="mitre"))
    return [p for p in lots if not p.is_empty and p.area > 20]


def generate_town(spec: TownSpec = TownSpec()) -> Town:
    """Build the whole town from ``spec`` (deterministic per seed)."""
    rng = np.random.default_rng(spec.seed)
    half = spec.half_extent_m
    frame = LocalFrame(spec.lat, spec.lon, spec.alt_m, spec.name)
    roads = _make_roads(rng, half)
    lanes = _make_lanes(roads)
    square = box(-half, -half, half, half)
    road_surface = unary_union([r.line.buffer(r.width_m / 2, cap_style="flat") for r in roads]).intersection(square)
    curb = unary_union([r.line.buffer(r.width_m / 2 + SIDEWALK_WIDTH_M, cap_style="flat") for r in roads])
    sidewalk = curb.difference(road_surface).intersection(square)
    sidewalk_paths = []
    for r in roads:
        for side in (1, -1):
            sidewalk_paths.append(r.line.offset_curve(side * (r.width_m / 2 + SIDEWALK_WIDTH_M / 2)))
    free = square.difference(curb)
    blocks = sorted((g for g in getattr(free, "geoms", [free]) if g.area > 400), key=lambda g: (round(g.centroid.x), round(g.centroid.y)))
    blocks = [shapely.set_precision(b, 0.01) for b in blocks]
    centre = Point(0, 0)
    by_dist = sorted(range(len(blocks)), key=lambda i: blocks[i].centroid.distance(centre))
    if len(blocks) < 5:
        raise ValueError(f"TownSpec.half_extent_m={half} is too small for a town (need at least 5 blocks)")
    plaza_i = by_dist[0]
    others = [i for i in by_dist if i != plaza_i]
    big = [i for i in others if blocks[i].area > 4000] or sorted(others, key=lambda i: -blocks[i].area)[:3]
    depot_i = max(big, key=lambda i: blocks[i].centroid.distance(centre))
    school_i = next((i for i in others if i in big and i != depot_i), next(i for i in others if i != depot_i))
    park_i = next((i for i in by_dist[2:] if i not in (depot_i, school_i, plaza_i)),
                  next(i for i in others if i not in (depot_i, school_i)))
    commercial = {i for i in by_dist[3:9] if i not in (depot_i, school_i, park_i)}

    buildings: list[Building] = []
    trees: list[tuple[float, float, float]] = []
    grass: list[Polygon] = []
    parking_lots: list[Polygon] = []
    bays: list[tuple[Polygon, float]] = []
    areas: list[NamedArea] = []
    backyards: list[Polygon] = []

    def add_trees(poly: Polygon, n: int, rmin: float, rmax: float) -> None:
        minx, miny, maxx, maxy = poly.bounds
        for _ in range(n):
            p = (rng.uniform(minx, maxx), rng.uniform(miny, maxy))
            r = rng.uniform(rmin, rmax)
            if poly.buffer(-r * 0.8).contains(Point(p)):
                trees.append((p[0], p[1], r))

    for i, blk in enumerate(blocks):
        if i == plaza_i:
            grass.append(blk.difference(blk.buffer(-6)))
            add_trees(blk.difference(blk.buffer(-5)), 30, 2.0, 3.5)
        elif i == depot_i:
            inner = blk.buffer(-4)
            minx, miny, maxx, maxy = inner.bounds
            shed = box(minx + 5, maxy - 30, min(maxx - 5, minx + 60), maxy - 6)
            if inner.contains(shed):
                buildings.append(Building(shed, 8.0, 3))
            parking_lots.append(inner.difference(shed))
            areas.append(NamedArea("restricted-depot", "restricted", "Municipal depot", shapely.set_precision(blk, 0.01),
                                   {"active_hours": ["00:00-24:00"], "applies_to": ["person", "car", "truck",
                                                                                     "motorcycle", "bicycle", "bus"]}))
        elif i == school_i:
            inner = blk.buffer(-5)
            minx, miny, maxx, maxy = inner.bounds
            school = box(minx + 4, miny + 4, minx + (maxx - minx) * 0.55, miny + (maxy - miny) * 0.5).intersection(inner)
            buildings.append(Building(school, 10.0, 2))
            grass.append(inner.difference(school))
            add_trees(inner.difference(school.buffer(4)), 12, 2.5, 4.0)
            areas.append(NamedArea("privacy-school", "privacy", "Primary school grounds", shapely.set_precision(blk, 0.01)))
        elif i == park_i:
            grass.append(blk)
            add_trees(blk, 60, 2.5, 5.0)
        elif i in commercial:
            inner = blk.buffer(-3)
            minx, miny, maxx, maxy = inner.bounds
            w, h = maxx - minx, maxy - miny
            bldg = box(minx + 3, miny + h * 0.45, maxx - 3, maxy - 3).intersection(inner.buffer(-2))
            if isinstance(bldg, Polygon) and bldg.area > 100:
                buildings.append(Building(shapely.set_precision(bldg, 0.01), rng.uniform(9, 20), int(rng.integers(2, 4))))
            lot = box(minx + 3, miny + 3, maxx - 3, miny + h * 0.45 - 3).intersection(inner)
            if isinstance(lot, Polygon) and lot.area > 200:
                parking_lots.append(lot)
                ncols = int((lot.bounds[2] - lot.bounds[0] - 2) // 2.6)
                for k in range(ncols):
                    x0 = lot.bounds[0] + 1 + k * 2.6
                    bay = box(x0, lot.bounds[1] + 1, x0 + 2.5, lot.bounds[1] + 6.0)
                    if lot.contains(bay):
                        bays.append((bay, 90.0))
        else:
            lots = _subdivide(blk, rng, rng.uniform(18, 26), 2.5)
            for lp in lots:
                minx, miny, maxx, maxy = lp.bounds
                w, h = maxx - minx, maxy - miny
                house = box(minx + w * 0.15, miny + h * 0.2, maxx - w * 0.15, maxy - h * 0.25)
                buildings.append(Building(house, rng.uniform(5, 9), int(rng.integers(0, 2))))
                yard = lp.difference(house)
                grass.append(yard)
                backyards.append(box(minx, maxy - h * 0.25, maxx, maxy))
                if rng.random() < 0.5:
                    add_trees(yard, 2, 1.8, 3.2)
            gaps = blk.difference(unary_union(lots)) if lots else blk
            grass.append(gaps)
            add_trees(blk.buffer(-2).difference(unary_union(lots).buffer(1) if lots else Point(0, 0)), 4, 2.0, 3.5)

    for k, yard in enumerate(backyards[:: max(1, len(backyards) // 3)][:3]):
        areas.append(NamedArea(f"privacy-backyard-{k + 1}", "privacy", f"Backyard {k + 1}", shapely.set_precision(yard, 0.01)))

    # Parallel parking bays in the parking strips; some stretches marked no-parking instead.
    xings = _intersections(roads)
    npk = 0
    for road in roads:
        if not road.parking_side:
            continue
        strip_off = road.width_m / 2 - PARKING_STRIP_M / 2
        strip = _oriented(road.line.offset_curve(-strip_off), road.line)  # right side of travel
        heading = _heading_deg(road.line)
        cross_s = sorted(strip.project(x.point) for x in xings if road.id in x.road_ids)
        length = strip.length
        s = 20.0
        nostretch = 0
        while s < length - 20:
            if any(abs(s - c) < 18 for c in cross_s):
                s += 6.0
                continue
            if nostretch < 2 and rng.random() < 0.06:
                seg = shapely.ops.substring(strip, s, min(length - 20, s + 36))
                poly = shapely.set_precision(seg.buffer(PARKING_STRIP_M / 2, cap_style="flat"), 0.01)
                npk += 1
                nostretch += 1
                hours = ["07:00-19:00"] if npk % 2 == 0 else None
                props = {"active_hours": hours} if hours else {}
                areas.append(NamedArea(f"no-parking-{npk}", "no_parking", f"No parking on {road.name}", poly, props,
                                       road.id))
                s += 44.0
                continue
            seg = shapely.ops.substring(strip, s, s + 5.6)
            bays.append((seg.buffer(PARKING_STRIP_M / 2 - 0.05, cap_style="flat"), heading))
            s += 6.0

    trees_arr = np.array(trees, dtype=float).reshape(-1, 3)
    # Keep crowns off roads and sidewalks (agents are drawn above the ground raster, never under a tree).
    if len(trees_arr):
        pts = shapely.points(trees_arr[:, 0], trees_arr[:, 1])
        keep = shapely.distance(curb, pts) > trees_arr[:, 2]
        trees_arr = trees_arr[keep]
    return Town(spec, frame, roads, lanes, xings, road_surface, sidewalk, sidewalk_paths, blocks, buildings,
                trees_arr, grass, blocks[plaza_i], blocks[depot_i], parking_lots, bays, areas)


def _heading_deg(line: LineString) -> float:
    """Direction of a (straight) line from its first to last vertex, degrees CCW from east."""
    (x0, y0), (x1, y1) = np.asarray(line.coords)[[0, -1]]
    return float(np.degrees(np.arctan2(y1 - y0, x1 - x0)))
