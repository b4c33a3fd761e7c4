"""Map layers: one QGraphicsItem per layer, painting all its features in one pass (batch, not one item each).

Geometry is kept in scene coordinates (Web Mercator metres, see ``mercator``) and drawn with
cosmetic pens; icons and labels are drawn in device pixels so they keep their size at any zoom.
Layers hold plain data set through ``set_*`` methods; they never talk to links or stores.
"""
from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPixmap, QPolygonF, QTransform
from PyQt5.QtWidgets import QGraphicsItem

from groundstation.map import mercator

WORLD_RECT = QRectF(-mercator.HALF_WORLD_M, -mercator.HALF_WORLD_M, 2 * mercator.HALF_WORLD_M, 2 * mercator.HALF_WORLD_M)

#: Track colours per detector class.
CLASS_COLOURS: dict[str, str] = {
    "car": "#1e88e5", "truck": "#6d4c41", "bus": "#fb8c00", "motorcycle": "#8e24aa",
    "bicycle": "#43a047", "person": "#e53935",
}
ZONE_STYLES: dict[str, tuple[str, str]] = {  # kind -> (pen colour, brush colour with alpha)
    "road": ("#546e7a", "#00000000"),
    "no_parking": ("#f9a825", "#40f9a825"),
    "restricted": ("#c62828", "#40c62828"),
    "privacy": ("#6a1b9a", "#506a1b9a"),
}


def cosmetic_pen(colour: str | QColor, width: float = 2.0, style: Qt.PenStyle = Qt.SolidLine) -> QPen:
    """A pen whose width is in pixels whatever the zoom."""
    pen = QPen(QColor(colour), width, style)
    pen.setCosmetic(True)
    pen.setJoinStyle(Qt.RoundJoin)
    pen.setCapStyle(Qt.RoundCap)
    return pen


def scene_polygon(lats: Sequence[float] | np.ndarray, lons: Sequence[float] | np.ndarray) -> QPolygonF:
    """A QPolygonF in scene coordinates from latitude/longitude arrays."""
    xs, ys = mercator.to_scene(np.asarray(lats, float), np.asarray(lons, float))
    return QPolygonF([QPointF(float(x), float(y)) for x, y in zip(np.atleast_1d(xs), np.atleast_1d(ys))])


class MapLayer(QGraphicsItem):
    """Base layer: covers the whole world, paints features in ``paint_scene`` then ``paint_pixels``."""

    name = "layer"

    def __init__(self, z: float) -> None:
        super().__init__()
        self.setZValue(z)
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, False)
        self.setAcceptedMouseButtons(Qt.NoButton)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        return WORLD_RECT

    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: D401 - Qt override
        """Draw scene-space geometry, then pixel-space icons with the world transform reset."""
        painter.setRenderHint(QPainter.Antialiasing, True)
        self.paint_scene(painter)
        transform = painter.worldTransform()
        painter.save()
        painter.resetTransform()
        self.paint_pixels(painter, transform)
        painter.restore()

    def paint_scene(self, painter: QPainter) -> None:
        """Geometry in scene coordinates (cosmetic pens)."""

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        """Icons and labels in device pixels; ``transform`` maps scene -> device."""

    @staticmethod
    def to_px(transform: QTransform, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scene -> device pixels for many points at once (the map never rotates: affine only)."""
        return (xs * transform.m11() + ys * transform.m21() + transform.dx(),
                xs * transform.m12() + ys * transform.m22() + transform.dy())


def _label(painter: QPainter, x: float, y: float, text: str, colour: str = "#202020") -> None:
    """Text with a light halo so it reads on any background."""
    painter.setPen(QPen(QColor(255, 255, 255, 220), 3))
    path = QPainterPath()
    path.addText(QPointF(x, y), painter.font(), text)
    painter.drawPath(path)
    painter.fillPath(path, QColor(colour))


# ----------------------------------------------------------------------------------------------- tracks
def _class_icon(cls: str, size: int = 14) -> QPixmap:
    """A small round icon per class: person = circle, vehicles = rounded square, two-wheelers = diamond."""
    pm = QPixmap(size, size)
    pm.fill(Qt.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    p.setPen(QPen(QColor("white"), 1.5))
    p.setBrush(QColor(CLASS_COLOURS.get(cls, "#757575")))
    r = QRectF(1.5, 1.5, size - 3, size - 3)
    if cls == "person":
        p.drawEllipse(r)
    elif cls in ("bicycle", "motorcycle"):
        c = size / 2
        p.drawPolygon(QPolygonF([QPointF(c, 1.5), QPointF(size - 1.5, c), QPointF(c, size - 1.5), QPointF(1.5, c)]))
    else:
        p.drawRoundedRect(r, 3, 3)
    p.end()
    return pm


class TracksLayer(MapLayer):
    """Live tracks as numpy columns: icon per class, heading tick, ``#id speed`` label. Batch updated."""

    name = "tracks"

    def __init__(self, z: float = 60) -> None:
        super().__init__(z)
        self._icons = {c: _class_icon(c) for c in (*CLASS_COLOURS, "other")}
        self.ids = np.zeros(0, dtype=np.int64)
        self.cls: list[str] = []
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.heading = np.zeros(0)
        self.speed_kmh = np.zeros(0)
        self.labels = True
        self._font = QFont("DejaVu Sans", 7)
        self.labels_drawn = 0

    def set_tracks(self, ids: Sequence[int], cls: Sequence[str], lat: np.ndarray, lon: np.ndarray,
                   heading_deg: np.ndarray, speed_kmh: np.ndarray) -> None:
        """Replace all tracks in one go (arrays of equal length) and repaint once."""
        self.ids = np.asarray(ids, dtype=np.int64)
        self.cls = list(cls)
        x, y = mercator.to_scene(np.asarray(lat, float), np.asarray(lon, float))
        self.x, self.y = np.atleast_1d(x), np.atleast_1d(y)
        self.heading = np.asarray(heading_deg, float)
        self.speed_kmh = np.asarray(speed_kmh, float)
        self.update()

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        if not len(self.ids):
            return
        painter.setRenderHint(QPainter.Antialiasing, False)  # 500 small glyphs: crisp and twice as fast
        painter.setRenderHint(QPainter.TextAntialiasing, False)
        px, py = self.to_px(transform, self.x, self.y)
        w, h = painter.device().width(), painter.device().height()
        vis = np.nonzero((px > -20) & (px < w + 20) & (py > -20) & (py < h + 20))[0]
        hr = np.radians(self.heading)
        tx, ty = px + 11 * np.sin(hr), py - 11 * np.cos(hr)
        painter.setPen(cosmetic_pen("#263238", 1.5))
        painter.drawLines([QLineF(px[i], py[i], tx[i], ty[i]) for i in vis])  # heading ticks under icons
        other = self._icons["other"]
        for i in vis:
            painter.drawPixmap(int(px[i]) - 7, int(py[i]) - 7, self._icons.get(self.cls[i], other))
        if self.labels and len(vis):
            # declutter: at most one label per 48x14 px cell (overlapping labels are unreadable anyway)
            cells = (px[vis] // 48).astype(np.int64) * 100_003 + (py[vis] // 14).astype(np.int64)
            _, first = np.unique(cells, return_index=True)
            painter.setFont(self._font)
            painter.setPen(QColor("#102030"))
            for i in vis[np.sort(first)]:
                painter.drawText(QPointF(px[i] + 8, py[i] + 12), f"#{self.ids[i]} {self.speed_kmh[i]:.0f}")
        self.labels_drawn = 0 if not self.labels or not len(vis) else len(first)


# ----------------------------------------------------------------------------------------------- vehicles
@dataclass
class _VehicleGlyph:
    x: float
    y: float
    heading_deg: float
    trail: deque = field(default_factory=lambda: deque(maxlen=600))
    label: str = ""


class VehicleLayer(MapLayer):
    """Vehicles with a heading arrow and a trail of past positions."""

    name = "vehicle"

    def __init__(self, z: float = 80, trail_len: int = 600) -> None:
        super().__init__(z)
        self.trail_len = trail_len
        self.vehicles: dict[str, _VehicleGlyph] = {}
        self.show_trail = True

    def set_vehicle(self, vehicle_id: str, lat: float, lon: float, heading_deg: float, label: str = "") -> None:
        """Move (or add) one vehicle; its trail grows by the new point when it has moved."""
        x, y = mercator.to_scene(lat, lon)
        g = self.vehicles.get(vehicle_id)
        if g is None:
            g = self.vehicles[vehicle_id] = _VehicleGlyph(x, y, heading_deg, deque(maxlen=self.trail_len), label)
        g.x, g.y, g.heading_deg, g.label = x, y, heading_deg, label or vehicle_id
        if not g.trail or math.hypot(g.trail[-1][0] - x, g.trail[-1][1] - y) > 0.5:
            g.trail.append((x, y))
        self.update()

    def position(self, vehicle_id: str) -> tuple[float, float] | None:
        """(lat, lon) of a vehicle as drawn, or None."""
        g = self.vehicles.get(vehicle_id)
        return None if g is None else mercator.from_scene(g.x, g.y)

    def clear(self) -> None:
        self.vehicles.clear()
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        if not self.show_trail:
            return
        painter.setPen(cosmetic_pen("#ff6f00", 2.0))
        for g in self.vehicles.values():
            if len(g.trail) > 1:
                painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in g.trail]))

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        arrow = QPolygonF([QPointF(0, -16), QPointF(10, 11), QPointF(0, 5), QPointF(-10, 11)])
        for g in self.vehicles.values():
            p = transform.map(QPointF(g.x, g.y))
            painter.save()
            painter.translate(p)
            painter.rotate(g.heading_deg)
            painter.setPen(QPen(QColor("white"), 2))
            painter.setBrush(QColor("#d84315"))
            painter.drawPolygon(arrow)
            painter.restore()
            painter.setFont(QFont("DejaVu Sans", 8, QFont.Bold))
            _label(painter, p.x() + 14, p.y() - 10, g.label, "#bf360c")


class HomeLayer(MapLayer):
    """The home position: a house-like 'H' marker."""

    name = "home"

    def __init__(self, z: float = 75) -> None:
        super().__init__(z)
        self.pos: tuple[float, float] | None = None

    def set_home(self, lat: float | None, lon: float | None) -> None:
        self.pos = None if lat is None or lon is None else mercator.to_scene(lat, lon)
        self.update()

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        if self.pos is None:
            return
        p = transform.map(QPointF(*self.pos))
        painter.setPen(QPen(QColor("white"), 2))
        painter.setBrush(QColor("#2e7d32"))
        painter.drawEllipse(p, 10, 10)
        painter.setFont(QFont("DejaVu Sans", 9, QFont.Bold))
        painter.drawText(QRectF(p.x() - 10, p.y() - 10, 20, 20), Qt.AlignCenter, "H")


# ----------------------------------------------------------------------------------------------- mission
class MissionLayer(MapLayer):
    """Mission path with numbered waypoints; the current item is highlighted. Waypoints are hit-testable."""

    name = "mission"

    def __init__(self, z: float = 50) -> None:
        super().__init__(z)
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.numbers: list[int] = []
        self.current: int | None = None
        self.loop = False

    def set_waypoints(self, lats: Sequence[float], lons: Sequence[float], numbers: Sequence[int] | None = None,
                      loop: bool = False) -> None:
        """Replace the path; ``numbers`` are the mission sequence numbers shown (default 1..N)."""
        x, y = mercator.to_scene(np.asarray(lats, float), np.asarray(lons, float))
        self.x, self.y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
        self.numbers = list(numbers) if numbers is not None else list(range(1, len(self.x) + 1))
        self.loop = loop
        self.update()

    def set_current(self, seq: int | None) -> None:
        self.current = seq
        self.update()

    def move_waypoint(self, index: int, lat: float, lon: float) -> None:
        self.x[index], self.y[index] = mercator.to_scene(lat, lon)
        self.update()

    def waypoints(self) -> list[tuple[float, float]]:
        """(lat, lon) of every waypoint as drawn."""
        lat, lon = mercator.from_scene(self.x, self.y)
        return list(zip(np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist()))

    def hit(self, transform: QTransform, px: float, py: float, radius_px: float = 10.0) -> int | None:
        """Index of the waypoint under a device pixel, if any."""
        if not len(self.x):
            return None
        wx, wy = self.to_px(transform, self.x, self.y)
        d = np.hypot(wx - px, wy - py)
        i = int(np.argmin(d))
        return i if d[i] <= radius_px else None

    def paint_scene(self, painter: QPainter) -> None:
        if len(self.x) < 2:
            return
        poly = QPolygonF([QPointF(x, y) for x, y in zip(self.x, self.y)])
        painter.setPen(cosmetic_pen("#fdd835", 4.0))
        painter.drawPolyline(poly)
        painter.setPen(cosmetic_pen("#1a237e", 1.5))
        painter.drawPolyline(poly)
        if self.loop:
            painter.setPen(cosmetic_pen("#1a237e", 1.5, Qt.DashLine))
            painter.drawLine(poly[len(poly) - 1], poly[0])

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        if not len(self.x):
            return
        px, py = self.to_px(transform, self.x, self.y)
        painter.setFont(QFont("DejaVu Sans", 7, QFont.Bold))
        for i, (x, y) in enumerate(zip(px, py)):
            current = self.current is not None and self.numbers[i] == self.current
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QColor("#c62828" if current else "#283593"))
            painter.drawEllipse(QPointF(x, y), 8, 8)
            painter.drawText(QRectF(x - 8, y - 8, 16, 16), Qt.AlignCenter, str(self.numbers[i]))


class GeometryLayer(MapLayer):
    """Planning geometry: the survey polygon, a corridor or route being drawn (editable outline)."""

    name = "geometry"

    def __init__(self, z: float = 45) -> None:
        super().__init__(z)
        self.polygons: list[QPolygonF] = []
        self.lines: list[QPolygonF] = []
        self.draft: list[tuple[float, float]] = []

    def set_geometry(self, polygons: Iterable[Sequence[tuple[float, float]]] = (),
                     lines: Iterable[Sequence[tuple[float, float]]] = ()) -> None:
        """Polygons and polylines as sequences of (lat, lon)."""
        self.polygons = [scene_polygon([p[0] for p in ring], [p[1] for p in ring]) for ring in polygons if ring]
        self.lines = [scene_polygon([p[0] for p in ln], [p[1] for p in ln]) for ln in lines if ln]
        self.update()

    def set_draft(self, points: Sequence[tuple[float, float]]) -> None:
        """The vertices clicked so far in a drawing tool."""
        self.draft = list(points)
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        painter.setPen(cosmetic_pen("#00897b", 2.0, Qt.DashLine))
        painter.setBrush(QColor(0, 137, 123, 40))
        for poly in self.polygons:
            painter.drawPolygon(poly)
        painter.setBrush(Qt.NoBrush)
        painter.setPen(cosmetic_pen("#00897b", 10.0))
        for ln in self.lines:
            painter.setOpacity(0.35)
            painter.drawPolyline(ln)
        painter.setOpacity(1.0)
        if self.draft:
            painter.setPen(cosmetic_pen("#00bfa5", 2.0, Qt.DotLine))
            painter.drawPolyline(scene_polygon([p[0] for p in self.draft], [p[1] for p in self.draft]))

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        painter.setPen(QPen(QColor("#004d40"), 1.5))
        painter.setBrush(QColor("#a7ffeb"))
        for lat, lon in self.draft:
            painter.drawRect(QRectF(transform.map(QPointF(*mercator.to_scene(lat, lon))) - QPointF(4, 4), QRectF(0, 0, 8, 8).size()))


class FenceLayer(MapLayer):
    """Geofence polygons/circles (inclusion green, exclusion red) and rally points."""

    name = "fence"

    def __init__(self, z: float = 40) -> None:
        super().__init__(z)
        self.polygons: list[tuple[QPolygonF, bool]] = []
        self.circles: list[tuple[float, float, float, bool]] = []  # x, y, radius (scene m), inclusion
        self.rally: list[tuple[float, float]] = []

    def set_fence(self, polygons: Iterable[tuple[Sequence[tuple[float, float]], bool]] = (),
                  circles: Iterable[tuple[float, float, float, bool]] = (),
                  rally: Iterable[tuple[float, float]] = ()) -> None:
        """Polygons as ((lat, lon)..., inclusion); circles as (lat, lon, radius_m, inclusion); rally (lat, lon)."""
        self.polygons = [(scene_polygon([p[0] for p in ring], [p[1] for p in ring]), inc) for ring, inc in polygons]
        self.circles = []
        for lat, lon, r, inc in circles:
            x, y = mercator.to_scene(lat, lon)
            self.circles.append((x, y, r * mercator.scale_factor(lat), inc))
        self.rally = [mercator.to_scene(lat, lon) for lat, lon in rally]
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        for poly, inc in self.polygons:
            painter.setPen(cosmetic_pen("#2e7d32" if inc else "#c62828", 2.5))
            painter.setBrush(Qt.NoBrush if inc else QBrush(QColor(198, 40, 40, 50)))
            painter.drawPolygon(poly)
        for x, y, r, inc in self.circles:
            painter.setPen(cosmetic_pen("#2e7d32" if inc else "#c62828", 2.5))
            painter.setBrush(Qt.NoBrush if inc else QBrush(QColor(198, 40, 40, 50)))
            painter.drawEllipse(QPointF(x, y), r, r)

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        painter.setFont(QFont("DejaVu Sans", 8, QFont.Bold))
        for x, y in self.rally:
            p = transform.map(QPointF(x, y))
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QColor("#6a1b9a"))
            painter.drawRect(QRectF(p.x() - 8, p.y() - 8, 16, 16))
            painter.drawText(QRectF(p.x() - 8, p.y() - 8, 16, 16), Qt.AlignCenter, "R")


class ZonesLayer(MapLayer):
    """Zones from geo.zones: roads with direction arrows and limit, no-parking, restricted, privacy."""

    name = "zones"

    def __init__(self, z: float = 20) -> None:
        super().__init__(z)
        self.areas: list[tuple[str, QPolygonF, str]] = []  # kind, polygon, label
        self.roads: list[tuple[np.ndarray, np.ndarray, float, bool, str]] = []  # x, y, limit, oneway, name

    def set_zones(self, zones: object) -> None:
        """Take a ``geo.zones.ZoneSet`` (or anything with ``.zones`` of objects with kind/geometry/properties)."""
        self.areas, self.roads = [], []
        for zone in getattr(zones, "zones", []):
            geom = zone.geometry
            props = dict(getattr(zone, "properties", {}) or {})
            if zone.kind == "road":
                lon, lat = np.asarray(geom.coords, float).T[:2]
                x, y = mercator.to_scene(lat, lon)
                self.roads.append((np.asarray(x), np.asarray(y), float(props.get("speed_limit_kmh", 0) or 0),
                                   bool(props.get("oneway", False)), zone.name or zone.id))
                continue
            polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
            for poly in polys:
                lon, lat = np.asarray(poly.exterior.coords, float).T[:2]
                self.areas.append((zone.kind, scene_polygon(lat, lon), zone.name or zone.id))
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        for kind, poly, _ in self.areas:
            pen, brush = ZONE_STYLES.get(kind, ("#607d8b", "#30607d8b"))
            painter.setPen(cosmetic_pen(pen, 1.5, Qt.DashLine if kind == "privacy" else Qt.SolidLine))
            painter.setBrush(QColor(brush))
            painter.drawPolygon(poly)
        painter.setBrush(Qt.NoBrush)
        for x, y, _, oneway, _ in self.roads:
            painter.setPen(cosmetic_pen("#90a4ae" if not oneway else "#78909c", 6.0))
            painter.drawPolyline(QPolygonF([QPointF(a, b) for a, b in zip(x, y)]))

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        painter.setFont(QFont("DejaVu Sans", 7, QFont.Bold))
        for x, y, limit, oneway, name in self.roads:
            px, py = self.to_px(transform, x, y)
            for i in range(len(px) - 1):
                mx, my = (px[i] + px[i + 1]) / 2, (py[i] + py[i + 1]) / 2
                ang = math.degrees(math.atan2(py[i + 1] - py[i], px[i + 1] - px[i]))
                seg = math.hypot(px[i + 1] - px[i], py[i + 1] - py[i])
                if seg < 30:
                    continue
                painter.save()
                painter.translate(mx, my)
                painter.rotate(ang)
                painter.setPen(QPen(QColor("white"), 1.5))
                painter.setBrush(QColor("#37474f"))
                if oneway:
                    painter.drawPolygon(QPolygonF([QPointF(6, 0), QPointF(-4, -4), QPointF(-4, 4)]))
                else:
                    painter.drawPolygon(QPolygonF([QPointF(6, -2), QPointF(0, -5), QPointF(0, -2)]))
                    painter.drawPolygon(QPolygonF([QPointF(-6, 2), QPointF(0, 5), QPointF(0, 2)]))
                painter.restore()
            if limit and len(px):
                k = len(px) // 2
                lx, ly = (px[k - 1] + px[k]) / 2 if k else px[0], (py[k - 1] + py[k]) / 2 if k else py[0]
                painter.setPen(QPen(QColor("#c62828"), 2))
                painter.setBrush(QColor("white"))
                painter.drawEllipse(QPointF(lx + 16, ly - 16), 10, 10)
                painter.setPen(QColor("black"))
                painter.drawText(QRectF(lx + 6, ly - 26, 20, 20), Qt.AlignCenter, f"{limit:.0f}")


class FootprintLayer(MapLayer):
    """The live camera footprint on the ground."""

    name = "footprint"

    def __init__(self, z: float = 55) -> None:
        super().__init__(z)
        self.poly: QPolygonF | None = None

    def set_footprint(self, points: Sequence[tuple[float, float]] | None) -> None:
        """Footprint corners as (lat, lon), or None to hide."""
        self.poly = scene_polygon([p[0] for p in points], [p[1] for p in points]) if points else None
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        if self.poly is not None:
            painter.setPen(cosmetic_pen("#0288d1", 1.5))
            painter.setBrush(QColor(2, 136, 209, 45))
            painter.drawPolygon(self.poly)


@dataclass
class InfractionMarker:
    """One infraction on the map."""

    infraction_id: str
    lat: float
    lon: float
    kind: str
    status: str = "new"


class InfractionLayer(MapLayer):
    """Infraction markers: a warning triangle coloured by review status; the selected one ringed."""

    name = "infractions"
    STATUS_COLOURS = {"new": "#ff1744", "confirmed": "#b71c1c", "rejected": "#9e9e9e", "needs_more_info": "#ff9100"}

    def __init__(self, z: float = 70) -> None:
        super().__init__(z)
        self.markers: dict[str, InfractionMarker] = {}
        self.selected: str | None = None
        self.track: QPolygonF | None = None  # the selected infraction's track

    def set_markers(self, markers: Iterable[InfractionMarker]) -> None:
        self.markers = {m.infraction_id: m for m in markers}
        self.update()

    def add_marker(self, marker: InfractionMarker) -> None:
        self.markers[marker.infraction_id] = marker
        self.update()

    def select(self, infraction_id: str | None) -> None:
        self.selected = infraction_id
        self.update()

    def set_track(self, points: Sequence[tuple[float, float]] | None) -> None:
        """The selected infraction's track as (lat, lon) points (None or [] to hide)."""
        self.track = scene_polygon([p[0] for p in points], [p[1] for p in points]) if points else None
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        if self.track is not None and len(self.track) > 1:
            painter.setPen(cosmetic_pen("#d50000", 2.5))
            painter.drawPolyline(self.track)

    def hit(self, transform: QTransform, px: float, py: float, radius_px: float = 12.0) -> str | None:
        """Id of the marker under a device pixel, if any."""
        best, best_d = None, radius_px
        for m in self.markers.values():
            p = transform.map(QPointF(*mercator.to_scene(m.lat, m.lon)))
            d = math.hypot(p.x() - px, p.y() - py)
            if d <= best_d:
                best, best_d = m.infraction_id, d
        return best

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        if self.track is not None:
            painter.setPen(QPen(QColor("white"), 1))
            painter.setBrush(QColor("#d50000"))
            for i in range(len(self.track)):
                painter.drawEllipse(transform.map(self.track[i]), 2.5, 2.5)
        tri = QPolygonF([QPointF(0, -11), QPointF(10, 7), QPointF(-10, 7)])
        painter.setFont(QFont("DejaVu Sans", 9, QFont.Bold))
        for m in self.markers.values():
            p = transform.map(QPointF(*mercator.to_scene(m.lat, m.lon)))
            if m.infraction_id == self.selected:
                painter.setPen(cosmetic_pen("#00e5ff", 3))
                painter.setBrush(Qt.NoBrush)
                painter.drawEllipse(p, 16, 16)
            painter.setPen(QPen(QColor("white"), 1.5))
            painter.setBrush(QColor(self.STATUS_COLOURS.get(m.status, "#ff1744")))
            painter.drawPolygon(tri.translated(p))
            painter.setPen(QColor("white"))
            painter.drawText(QRectF(p.x() - 6, p.y() - 6, 12, 13), Qt.AlignCenter, "!")


class MeasureLayer(MapLayer):
    """The distance tool's polyline with per-leg and total distances."""

    name = "measure"

    def __init__(self, z: float = 90) -> None:
        super().__init__(z)
        self.points: list[tuple[float, float]] = []
        self.total_m = 0.0

    def set_points(self, points: Sequence[tuple[float, float]], total_m: float) -> None:
        self.points = list(points)
        self.total_m = total_m
        self.update()

    def paint_scene(self, painter: QPainter) -> None:
        if len(self.points) > 1:
            painter.setPen(cosmetic_pen("#212121", 2.0, Qt.DashLine))
            painter.drawPolyline(scene_polygon([p[0] for p in self.points], [p[1] for p in self.points]))

    def paint_pixels(self, painter: QPainter, transform: QTransform) -> None:
        if not self.points:
            return
        painter.setPen(QPen(QColor("#212121"), 1.5))
        painter.setBrush(QColor("white"))
        for lat, lon in self.points:
            painter.drawEllipse(transform.map(QPointF(*mercator.to_scene(lat, lon))), 4, 4)
        last = transform.map(QPointF(*mercator.to_scene(*self.points[-1])))
        painter.setFont(QFont("DejaVu Sans", 9, QFont.Bold))
        text = f"{self.total_m:.0f} m" if self.total_m < 10_000 else f"{self.total_m / 1000:.2f} km"
        _label(painter, last.x() + 8, last.y() - 8, text)
