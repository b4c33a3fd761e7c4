"""Orthophoto of the town: a north-up BGR raster in ENU metres (textures, markings, roofs, trees, shadows).

The camera renderer warps it with the ground-plane homography; the MBTiles base map resamples it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.ops import substring, unary_union

from sims.world.town import Town

_SHIFT = 3  # fixed-point bits for sub-pixel polygon drawing
_ROOF_COLOURS = [(48, 62, 150), (60, 70, 105), (95, 95, 98), (150, 152, 150), (70, 90, 120)]  # BGR


@dataclass
class Orthophoto:
    """A north-up raster: pixel (col, row) covers east e0 + col*res .. +res, north n0 - row*res .. -res."""

    image: np.ndarray
    e0: float
    n0: float
    res_m: float
    sun_azimuth_deg: float = 135.0
    sun_elevation_deg: float = 45.0
    pyramid: list[np.ndarray] = field(default_factory=list, repr=False)

    def enu_to_px(self, e: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ENU metres -> continuous pixel coordinates (corner convention: pixel centre at +0.5)."""
        return (np.asarray(e) - self.e0) / self.res_m, (self.n0 - np.asarray(n)) / self.res_m

    def affine_px_to_enu(self, level: int = 0) -> np.ndarray:
        """3x3 matrix mapping OpenCV pixel indices (centre at integer) of pyramid ``level`` to (e, n, 1)."""
        r = self.res_m * (2 ** level)
        return np.array([[r, 0.0, self.e0 + 0.5 * r], [0.0, -r, self.n0 - 0.5 * r], [0.0, 0.0, 1.0]])

    def build_pyramid(self, levels: int = 5) -> None:
        """Pre-compute half-resolution copies so far-away ground is not aliased when warped."""
        self.pyramid = [self.image]
        for _ in range(levels - 1):
            self.pyramid.append(cv2.pyrDown(self.pyramid[-1]))


def _rings(geom, ortho_e0: float, ortho_n0: float, res: float) -> list[np.ndarray]:
    """Fixed-point pixel rings of a (Multi)Polygon for cv2.fillPoly with ``shift=_SHIFT``."""
    out = []
    polys = geom.geoms if isinstance(geom, MultiPolygon) or hasattr(geom, "geoms") else [geom]
    for p in polys:
        if not isinstance(p, Polygon) or p.is_empty:
            continue
        for ring in [p.exterior, *p.interiors]:
            xy = np.asarray(ring.coords)
            px = np.stack([(xy[:, 0] - ortho_e0) / res, (ortho_n0 - xy[:, 1]) / res], axis=1) - 0.5
            out.append(np.round(px * (1 << _SHIFT)).astype(np.int32))
    return out


class _Canvas:
    """Drawing helpers over one raster (metres in, pixels out); fills touch only the geometry's window."""

    def __init__(self, image: np.ndarray, e0: float, n0: float, res: float) -> None:
        self.img, self.e0, self.n0, self.res = image, e0, n0, res

    def window(self, geom, pad: int = 2) -> tuple[int, int, int, int] | None:
        """Pixel window (r0, r1, c0, c1) covering a geometry, clipped to the raster (None when outside)."""
        minx, miny, maxx, maxy = geom.bounds
        h, w = self.img.shape[:2]
        c0 = max(0, int((minx - self.e0) / self.res) - pad)
        c1 = min(w, int((maxx - self.e0) / self.res) + pad + 1)
        r0 = max(0, int((self.n0 - maxy) / self.res) - pad)
        r1 = min(h, int((self.n0 - miny) / self.res) + pad + 1)
        return (r0, r1, c0, c1) if r1 > r0 and c1 > c0 else None

    def mask(self, geom, win: tuple[int, int, int, int]) -> np.ndarray:
        """uint8 mask (255 inside, anti-aliased) of a geometry over a window."""
        r0, r1, c0, c1 = win
        m = np.zeros((r1 - r0, c1 - c0), np.uint8)
        rings = _rings(geom, self.e0 + c0 * self.res, self.n0 - r0 * self.res, self.res)
        if rings:
            cv2.fillPoly(m, rings, 255, lineType=cv2.LINE_AA, shift=_SHIFT)
        return m

    def fill(self, geom, colour) -> None:
        """Fill a geometry with a flat colour (anti-aliased edges)."""
        rings = _rings(geom, self.e0, self.n0, self.res)
        if rings:
            cv2.fillPoly(self.img, rings, colour, lineType=cv2.LINE_AA, shift=_SHIFT)

    def paint(self, geom, texture: "_Tile", strength: float = 1.0) -> None:
        """Paint a tiled texture inside a geometry, with soft edges."""
        if geom.is_empty:
            return
        win = self.window(geom)
        if win is None:
            return
        r0, r1, c0, c1 = win
        m = self.mask(geom, win)
        for s0 in range(r0, r1, 1024):  # row strips keep the temporaries small
            s1 = min(r1, s0 + 1024)
            a = m[s0 - r0:s1 - r0].astype(np.float32) * (strength / 255.0)
            view = self.img[s0:s1, c0:c1]
            view[:] = cv2.blendLinear(view, texture.sample(s0, s1, c0, c1), 1.0 - a, a)

    def darken(self, geom, factor: float) -> None:
        """Multiply the raster by (1 - factor) inside a geometry (shadows)."""
        win = self.window(geom)
        if win is None or geom.is_empty:
            return
        r0, r1, c0, c1 = win
        a = self.mask(geom, win).astype(np.float32) * (factor / 255.0)
        view = self.img[r0:r1, c0:c1]
        view[:] = cv2.blendLinear(view, np.zeros_like(view), 1.0 - a, a)

    def line(self, line: LineString, colour, width_m: float, img: np.ndarray | None = None) -> None:
        """Draw a polyline ``width_m`` wide."""
        xy = np.asarray(line.coords)
        if len(xy) < 2:
            return
        px = np.stack([(xy[:, 0] - self.e0) / self.res, (self.n0 - xy[:, 1]) / self.res], axis=1) - 0.5
        pts = np.round(px * (1 << _SHIFT)).astype(np.int32)
        cv2.polylines(self.img if img is None else img, [pts], False, colour,
                      max(1, int(round(width_m / self.res))), cv2.LINE_AA, _SHIFT)

    def dashed(self, line: LineString, colour, width_m: float, dash: float, gap: float) -> None:
        """Dashed polyline (dash/gap in metres)."""
        s, L = 0.0, line.length
        while s < L:
            self.line(substring(line, s, min(L, s + dash)), colour, width_m)
            s += dash + gap

    def lines(self, geom, colour, width_m: float, dash: float = 0.0, gap: float = 0.0) -> None:
        """Draw every LineString part of a (multi)line geometry, dashed when ``dash`` > 0."""
        for part in getattr(geom, "geoms", [geom]):
            if isinstance(part, LineString) and not part.is_empty:
                if dash > 0:
                    self.dashed(part, colour, width_m, dash, gap)
                else:
                    self.line(part, colour, width_m)


class _Tile:
    """A seamless-enough material texture, repeated over the raster (1024 px period)."""

    def __init__(self, rng: np.random.Generator, base, amp_lo: float, amp_hi: float, grain: float, size: int = 1024):
        n = _noise(rng, (size, size), 160, amp_lo) + _noise(rng, (size, size), 14, amp_hi)
        n += rng.standard_normal((size, size)).astype(np.float32) * grain
        self.tex = np.clip(np.asarray(base, np.float32)[None, None, :] + n[..., None], 0, 255).astype(np.uint8)
        self.size = size

    def sample(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """The texture over a pixel window (uint8 BGR), repeated with period ``size``."""
        out = np.empty((r1 - r0, c1 - c0, 3), np.uint8)
        T = self.size
        r = r0
        while r < r1:
            rr = min(r1, (r // T + 1) * T)
            c = c0
            while c < c1:
                cc = min(c1, (c // T + 1) * T)
                out[r - r0:rr - r0, c - c0:cc - c0] = self.tex[r % T:r % T + rr - r, c % T:c % T + cc - c]
                c = cc
            r = rr
        return out


def _noise(rng: np.random.Generator, shape: tuple[int, int], scale_px: int, amp: float) -> np.ndarray:
    """Smooth value noise (float32, zero mean, about +-amp) at a feature size of ``scale_px``."""
    h, w = shape
    small = rng.standard_normal((max(2, h // scale_px + 2), max(2, w // scale_px + 2))).astype(np.float32)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) * amp


def render_orthophoto(town: Town, res_m: float = 0.1, sun_azimuth_deg: float = 135.0,
                      sun_elevation_deg: float = 45.0, margin_m: float = 60.0) -> Orthophoto:
    """Paint the town (ground, roads, markings, parking, buildings with shadows, trees) at ``res_m`` m/px."""
    rng = np.random.default_rng(town.spec.seed + 7919)
    h = town.spec.half_extent_m + margin_m
    size = int(round(2 * h / res_m))
    e0, n0 = -h, h
    img = np.empty((size, size, 3), np.uint8)
    grass = _Tile(rng, (62, 118, 92), 10, 6, 3)
    lowfreq = rng.standard_normal((size // 256 + 2, size // 256 + 2)).astype(np.float32) * 12
    for r0 in range(0, size, 512):  # fields: grass texture + large-scale brightness variation
        r1 = min(size, r0 + 512)
        img[r0:r1] = grass.sample(r0, r1, 0, size)
    lf = cv2.resize(lowfreq, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    for ch, gain in enumerate((0.6, 1.0, 0.8)):
        img[..., ch] = np.clip(img[..., ch] + (lf * gain).astype(np.int16), 0, 255).astype(np.uint8)
    del lf
    cv = _Canvas(img, e0, n0, res_m)

    cv.paint(unary_union(town.grass), _Tile(rng, (55, 128, 88), 10, 8, 4), 0.85)
    asphalt = _Tile(rng, (84, 86, 88), 6, 4, 5)
    cv.paint(town.road_surface, asphalt)
    lot_asphalt = _Tile(rng, (92, 94, 95), 6, 4, 5)
    for lot in town.parking_lots:
        cv.paint(lot, lot_asphalt)
    cv.paint(town.sidewalk, _Tile(rng, (160, 166, 168), 6, 3, 5))
    plaza_inner = town.plaza.buffer(-6)
    cv.paint(plaza_inner, _Tile(rng, (150, 172, 186), 6, 4, 6))
    c = plaza_inner.centroid
    cv.fill(c.buffer(7), (150, 150, 145))
    cv.fill(c.buffer(5.5), (170, 120, 60))  # fountain water
    joints = plaza_inner.buffer(-0.3).difference(c.buffer(7.5))
    for k in range(-60, 61, 3):  # paving joints, clipped to the plaza
        for seg in (LineString([(c.x + k, c.y - 60), (c.x + k, c.y + 60)]), LineString([(c.x - 60, c.y + k), (c.x + 60, c.y + k)])):
            cv.lines(seg.intersection(joints), (138, 158, 170), 0.06)
    depot_yard = town.depot.buffer(-4)
    cv.paint(depot_yard, _Tile(rng, (138, 140, 136), 8, 5, 5))
    cv.line(depot_yard.exterior, (40, 45, 50), 0.25)  # fence

    _draw_markings(cv, town)

    for bay, _ in town.parking_bays:
        cv.line(bay.exterior, (215, 220, 222), 0.12)

    _draw_buildings(cv, town, rng, sun_azimuth_deg, sun_elevation_deg)
    _draw_trees(cv, town, rng, sun_azimuth_deg, sun_elevation_deg)
    ortho = Orthophoto(img, e0, n0, res_m, sun_azimuth_deg, sun_elevation_deg)
    ortho.build_pyramid()
    return ortho


def _draw_markings(cv: _Canvas, town: Town) -> None:
    """Lane lines, centre lines, edge lines, stop lines, zebra crossings and no-parking zig-zags."""
    white, yellow = (225, 228, 230), (40, 190, 225)
    junctions = unary_union([x.point.buffer(11.5, cap_style="square") for x in town.intersections])
    for road in town.roads:
        line = road.line
        c = road.carriage_offset_m
        carriage = road.width_m - (2.4 if road.parking_side else 0.0)
        for side in (-1, 1):
            cv.lines(line.offset_curve(-(c + side * (carriage / 2 - 0.3))).difference(junctions), white, 0.15)
        if road.oneway:
            for k in range(1, road.lanes):
                off = c - carriage / 2 + k * road.lane_width_m
                cv.lines(line.offset_curve(-off).difference(junctions), white, 0.15, 3.0, 6.0)
        elif road.kind == "arterial":
            for side in (-1, 1):
                cv.lines(line.offset_curve(side * 0.15).difference(junctions), white, 0.12)
                cv.lines(line.offset_curve(side * road.lane_width_m).difference(junctions), white, 0.15, 3.0, 6.0)
        else:
            centre = line.offset_curve(-c) if c else line
            cv.lines(centre.difference(junctions), white, 0.12, 3.0, 6.0)
    for x in town.intersections:  # zebra crossings and stop lines on every approach
        for rid in x.road_ids:
            road = town.road(rid)
            s = road.line.project(x.point)
            for d in (-1, 1):
                s_cross = s + d * 13.5
                if not 0 < s_cross < road.line.length - 0.5:
                    continue
                p = road.line.interpolate(s_cross)
                q = road.line.interpolate(s_cross + 0.5)
                t = np.array([q.x - p.x, q.y - p.y])
                t /= np.linalg.norm(t) + 1e-9
                nrm = np.array([-t[1], t[0]])
                for k in np.arange(-road.width_m / 2 + 0.6, road.width_m / 2 - 0.3, 1.0):
                    a = np.array([p.x, p.y]) + nrm * k
                    cv.line(LineString([a - t * 1.5, a + t * 1.5]), white, 0.5)
                a = np.array([p.x, p.y]) + t * d * 2.3
                cv.line(LineString([a - nrm * (road.width_m / 2 - 0.4), a + nrm * (road.width_m / 2 - 0.4)]), white, 0.3)
    for area in town.areas_of("no_parking"):
        poly = area.polygon
        cv.line(poly.exterior, yellow, 0.12)
        rect = poly.minimum_rotated_rectangle
        xy = np.asarray(rect.exterior.coords)[:4]
        lens = [np.hypot(*(xy[(i + 1) % 4] - xy[i])) for i in range(4)]
        i = int(np.argmax(lens))
        a, b = xy[i], xy[(i + 1) % 4]
        w = xy[(i + 2) % 4] - b
        n = int(lens[i] // 2.5)
        pts = [a + (b - a) * (k / n) + (w if k % 2 else 0 * w) for k in range(n + 1)]
        cv.line(LineString(pts), yellow, 0.12)


def _shadow_offset(height: float, az: float, el: float) -> np.ndarray:
    """ENU displacement of a shadow cast by something ``height`` m tall (sun azimuth/elevation, deg)."""
    L = height / np.tan(np.radians(el))
    a = np.radians(az + 180.0)
    return np.array([np.sin(a) * L, np.cos(a) * L])


def _draw_buildings(cv: _Canvas, town: Town, rng: np.random.Generator, az: float, el: float) -> None:
    """Shadows first (as a darkening mask), then roofs: pitched houses get two shaded halves and a ridge."""
    shadow_geoms = []
    for b in town.buildings:
        d = _shadow_offset(b.height_m, az, el)
        moved = shapely.affinity.translate(b.footprint, d[0], d[1])
        shadow_geoms.append(unary_union([b.footprint, moved]).convex_hull)
    cv.darken(unary_union(shadow_geoms), 0.45)
    for b in town.buildings:
        base = np.array(_ROOF_COLOURS[b.roof % len(_ROOF_COLOURS)], np.float32) + rng.normal(0, 8, 3)
        fp = b.footprint
        cv.fill(fp, tuple(float(v) for v in np.clip(base, 0, 255)))
        minx, miny, maxx, maxy = fp.bounds
        if b.roof in (0, 1):  # pitched: ridge along the long axis, one half lit and one in shade
            if maxx - minx >= maxy - miny:
                half = shapely.geometry.box(minx, miny, maxx, (miny + maxy) / 2)
                ridge = LineString([(minx, (miny + maxy) / 2), (maxx, (miny + maxy) / 2)])
            else:
                half = shapely.geometry.box(minx, miny, (minx + maxx) / 2, maxy)
                ridge = LineString([((minx + maxx) / 2, miny), ((minx + maxx) / 2, maxy)])
            cv.fill(half.intersection(fp), tuple(float(v) for v in np.clip(base * 0.78, 0, 255)))
            cv.line(ridge, tuple(float(v) for v in np.clip(base * 0.6, 0, 255)), 0.25)
        else:  # flat roof: parapet and a couple of HVAC boxes
            cv.line(fp.exterior, tuple(float(v) for v in np.clip(base * 0.7, 0, 255)), 0.4)
            for _ in range(int(rng.integers(1, 4))):
                x, y = rng.uniform(minx + 2, maxx - 4), rng.uniform(miny + 2, maxy - 4)
                cv.fill(shapely.geometry.box(x, y, x + 2.0, y + 1.5), (175, 178, 180))


def _draw_trees(cv: _Canvas, town: Town, rng: np.random.Generator, az: float, el: float) -> None:
    """Tree crowns: a soft shadow, then a dark disc with a lit side and leafy speckle."""
    for e, n, r in town.trees:
        d = _shadow_offset(r * 1.8, az, el)
        cv.darken(shapely.geometry.Point(e + d[0], n + d[1]).buffer(r * 0.95), 0.5)
    for e, n, r in town.trees:
        g = rng.uniform(0.8, 1.15)
        cv.fill(shapely.geometry.Point(e, n).buffer(r), (28 * g, 78 * g, 42 * g))
        lit = -_shadow_offset(r * 0.35, az, el) * 0.5
        cv.fill(shapely.geometry.Point(e + lit[0], n + lit[1]).buffer(r * 0.6), (40 * g, 105 * g, 60 * g))
        for _ in range(5):
            a, rr = rng.uniform(0, 2 * np.pi), rng.uniform(0, r * 0.8)
            cv.fill(shapely.geometry.Point(e + np.cos(a) * rr, n + np.sin(a) * rr).buffer(r * 0.22),
                    (30 * g, 92 * g, 52 * g))
