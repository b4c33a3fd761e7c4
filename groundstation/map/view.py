"""The map widget: a QGraphicsView over Web Mercator scene coordinates with tiles, layers and tools.

Wheel zooms around the cursor, left-drag pans, the cursor position is shown as lat/lon, and the
tools (distance, polygon/route drawing, point picking, waypoint dragging) emit signals with
WGS84 coordinates; the map itself holds no mission or vehicle state beyond what layers draw.
"""
from __future__ import annotations

import enum
import math
import time
from collections.abc import Sequence

from pyproj import Geod
from PyQt5.QtCore import QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QFont, QImage, QPainter, QPen, QPixmap, QPolygonF
from PyQt5.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from groundstation.map import layers as L
from groundstation.map import mercator
from groundstation.map.tiles import TileLoader, TileSource

_GEOD = Geod(ellps="WGS84")


class Tool(enum.Enum):
    """What a left click on the map does."""

    PAN = "pan"
    MEASURE = "measure"
    DRAW_POLYGON = "polygon"
    DRAW_ROUTE = "route"
    PICK = "pick"


def geodesic_length_m(points: Sequence[tuple[float, float]]) -> float:
    """Length of a (lat, lon) polyline on the WGS84 ellipsoid."""
    if len(points) < 2:
        return 0.0
    lats, lons = zip(*points)
    return float(_GEOD.line_length(lons, lats))


def nice_step(value: float) -> float:
    """The largest 1/2/5 x 10^k not above ``value``."""
    if value <= 0:
        return 1.0
    k = 10 ** math.floor(math.log10(value))
    for m in (5, 2, 1):
        if m * k <= value:
            return m * k
    return k


class MapView(QGraphicsView):
    """Slippy map with switchable layers; see the module docstring for the interaction model."""

    cursorMoved = pyqtSignal(float, float)
    clicked = pyqtSignal(float, float)
    pointPicked = pyqtSignal(float, float)
    drawingFinished = pyqtSignal(str, list)  # "polygon" | "route", [(lat, lon), ...]
    waypointDragged = pyqtSignal(int, float, float)
    infractionClicked = pyqtSignal(str)
    measureChanged = pyqtSignal(float)
    viewChanged = pyqtSignal()

    TILE_CACHE_ITEMS = 400
    MISSING_RETRY_S = 30.0

    def __init__(self, parent=None, tile_source: TileSource | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(L.WORLD_RECT, self))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.FullViewportUpdate)
        self.setRenderHint(QPainter.Antialiasing, True)
        self.setRenderHint(QPainter.SmoothPixmapTransform, True)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setMouseTracking(True)
        self.setMinimumSize(320, 240)
        self.layers: dict[str, L.MapLayer] = {}
        for layer in (L.ZonesLayer(), L.FenceLayer(), L.GeometryLayer(), L.MissionLayer(), L.FootprintLayer(),
                      L.TracksLayer(), L.InfractionLayer(), L.HomeLayer(), L.VehicleLayer(), L.MeasureLayer()):
            self.scene().addItem(layer)
            self.layers[layer.name] = layer
        self.tool = Tool.PAN
        self.editable_waypoints = False
        self.cursor_latlon: tuple[float, float] | None = None
        self._draft: list[tuple[float, float]] = []
        self._measure: list[tuple[float, float]] = []
        self._drag_wp: int | None = None
        self._tiles: dict[tuple[int, int, int], QGraphicsPixmapItem] = {}
        self._missing: dict[tuple[int, int, int], float] = {}  # tile -> when it was found missing
        self._tile_z = -1
        self.source: TileSource | None = None
        self.loader: TileLoader | None = None
        self._refresh = QTimer(self, singleShot=True, interval=15)
        self._refresh.timeout.connect(self._refresh_tiles)
        self.set_tile_source(tile_source)
        self.center_on(0.0, 0.0, 2)

    # ------------------------------------------------------------------ layers and typed accessors
    @property
    def tracks(self) -> L.TracksLayer:
        return self.layers["tracks"]  # type: ignore[return-value]

    @property
    def vehicles(self) -> L.VehicleLayer:
        return self.layers["vehicle"]  # type: ignore[return-value]

    @property
    def mission(self) -> L.MissionLayer:
        return self.layers["mission"]  # type: ignore[return-value]

    def layer(self, name: str) -> L.MapLayer:
        """A layer by name (``tracks``, ``vehicle``, ``home``, ``mission``, ``geometry``, ``fence``, ``zones``,
        ``footprint``, ``infractions``, ``measure``)."""
        return self.layers[name]

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self.layers[name].setVisible(visible)

    # ------------------------------------------------------------------ viewport
    def meters_per_pixel(self) -> float:
        """Scene (Web Mercator) metres per screen pixel at the current zoom."""
        return 1.0 / self.transform().m11()

    def zoom(self) -> float:
        """Current zoom as a (fractional) XYZ zoom level."""
        return math.log2(2 * mercator.HALF_WORLD_M / (mercator.TILE_PX * self.meters_per_pixel()))

    def set_zoom(self, z: float) -> None:
        """Set the XYZ zoom level (0..22) keeping the centre."""
        z = max(1.0, min(22.0, z))
        s = mercator.TILE_PX * (2 ** z) / (2 * mercator.HALF_WORLD_M)
        centre = self.mapToScene(self.viewport().rect().center())
        self.resetTransform()
        self.scale(s, s)
        self.centerOn(centre)
        self._changed()

    def center_on(self, lat: float, lon: float, zoom: float | None = None) -> None:
        """Centre the map on a point, optionally at a zoom level."""
        if zoom is not None:
            z = max(1.0, min(22.0, zoom))
            s = mercator.TILE_PX * (2 ** z) / (2 * mercator.HALF_WORLD_M)
            self.resetTransform()
            self.scale(s, s)
        self.centerOn(QPointF(*mercator.to_scene(lat, lon)))
        self._changed()

    def center(self) -> tuple[float, float]:
        """(lat, lon) at the centre of the view."""
        p = self.mapToScene(self.viewport().rect().center())
        return mercator.from_scene(p.x(), p.y())

    def fit_points(self, points: Sequence[tuple[float, float]], margin: float = 0.15) -> None:
        """Zoom and centre so that all (lat, lon) points are visible."""
        if not points:
            return
        xs, ys = zip(*(mercator.to_scene(a, b) for a, b in points))
        w = max(max(xs) - min(xs), 20.0) * (1 + 2 * margin)
        h = max(max(ys) - min(ys), 20.0) * (1 + 2 * margin)
        vw, vh = max(self.viewport().width(), 1), max(self.viewport().height(), 1)
        s = min(vw / w, vh / h)
        z = math.log2(s * 2 * mercator.HALF_WORLD_M / mercator.TILE_PX)
        lat, lon = mercator.from_scene((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
        self.center_on(lat, lon, min(z, 20.0))

    def scene_to_latlon(self, pos: QPointF) -> tuple[float, float]:
        return mercator.from_scene(pos.x(), pos.y())

    def latlon_to_view(self, lat: float, lon: float) -> QPointF:
        """Viewport pixel of a point (for tests and popups)."""
        return QPointF(self.mapFromScene(QPointF(*mercator.to_scene(lat, lon))))

    def _changed(self) -> None:
        self._refresh.start()
        self.viewChanged.emit()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        super().scrollContentsBy(dx, dy)
        self._changed()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._changed()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Zoom around the cursor, half a zoom level per wheel notch."""
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_at(event.pos(), 0.5 * steps)

    def zoom_at(self, pos, dz: float) -> None:
        """Change the zoom by ``dz`` levels keeping the scene point under viewport pixel ``pos`` in place."""
        new_zoom = max(1.0, min(22.0, self.zoom() + dz))
        factor = 2 ** (new_zoom - self.zoom())
        if abs(factor - 1.0) < 1e-12:
            return
        anchor = self.mapToScene(pos)
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        s = self.transform().m11()
        vc = QPointF(self.viewport().width() / 2.0, self.viewport().height() / 2.0)
        self.centerOn(QPointF(anchor.x() - (pos.x() - vc.x()) / s, anchor.y() - (pos.y() - vc.y()) / s))
        self._changed()

    # ------------------------------------------------------------------ tiles
    def set_tile_source(self, source: TileSource | None) -> None:
        """Use a tile source (XYZ or MBTiles), or None for the grid fallback."""
        if self.loader is not None:
            self.loader.shutdown()
            self.loader = None
        for item in self._tiles.values():
            self.scene().removeItem(item)
        self._tiles.clear()
        self._missing.clear()
        self.source = source
        if source is not None:
            self.loader = TileLoader(source, parent=self)
            self.loader.tileLoaded.connect(self._on_tile)
            self.loader.tileMissing.connect(lambda z, x, y: self._missing.__setitem__((z, x, y), time.monotonic()))
        self._changed()

    def tile_zoom(self) -> int:
        """XYZ zoom of the tiles shown now."""
        mz = getattr(self.source, "max_zoom", 19) if self.source is not None else 19
        return mercator.zoom_for_resolution(self.meters_per_pixel(), mz)

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def _refresh_tiles(self) -> None:
        if self.source is None:
            return
        z = self.tile_zoom()
        r = self.visible_scene_rect()
        wanted = [(z, tx, ty) for tx, ty in mercator.tiles_covering(z, r.left(), r.top(), r.right(), r.bottom())]
        if len(wanted) > 200:  # a huge viewport at a tiny zoom: do not flood the loader
            wanted = wanted[:200]
        if z != self._tile_z:
            self._tile_z = z
            for (tz, _, _), item in self._tiles.items():
                item.setZValue(-100 - abs(tz - z))
        for key in wanted:
            if key in self._tiles:
                self._tiles[key].setZValue(-50)
                continue
            if key in self._missing and time.monotonic() - self._missing[key] < self.MISSING_RETRY_S:
                continue  # absent from the package / server unreachable: ask again later, not every frame
            data = self.source.cached(*key)
            if data:
                self._on_tile(*key, data)
            elif self.loader is not None:
                self.loader.request(*key)
        self._prune(set(wanted))

    def _on_tile(self, z: int, x: int, y: int, data: bytes) -> None:
        key = (z, x, y)
        if key in self._tiles:
            return
        img = QImage.fromData(data)
        if img.isNull():
            self._missing[key] = time.monotonic()
            return
        item = QGraphicsPixmapItem(QPixmap.fromImage(img))
        item.setTransformationMode(Qt.SmoothTransformation)
        x0, y0, x1, _ = mercator.tile_bounds(z, x, y)
        item.setPos(x0, y0)
        item.setScale((x1 - x0) / max(img.width(), 1))
        item.setZValue(-50 if z == self._tile_z else -100 - abs(z - self._tile_z))
        self.scene().addItem(item)
        self._tiles[key] = item

    def _prune(self, keep: set[tuple[int, int, int]]) -> None:
        if len(self._tiles) <= self.TILE_CACHE_ITEMS:
            return
        for key in sorted(self._tiles, key=lambda k: abs(k[0] - self._tile_z), reverse=True):
            if len(self._tiles) <= self.TILE_CACHE_ITEMS // 2:
                break
            if key not in keep:
                self.scene().removeItem(self._tiles.pop(key))

    def tiles_shown(self) -> int:
        """Tile items at the current tile zoom (for tests and the status bar)."""
        return sum(1 for (z, _, _) in self._tiles if z == self._tile_z)

    # ------------------------------------------------------------------ background / foreground
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        """No-tiles fallback: a light background with a metric grid (tiles, when present, cover it)."""
        painter.fillRect(rect, QColor("#eef1ec"))
        mpp = self.meters_per_pixel()
        step = nice_step(mpp * 120)
        painter.setPen(L.cosmetic_pen("#cfd8dc", 1.0))
        x = math.floor(rect.left() / step) * step
        while x <= rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += step
        y = math.floor(rect.top() / step) * step
        while y <= rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += step

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        """Scale bar, north arrow, cursor readout and attribution in viewport pixels."""
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.Antialiasing, True)
        vw, vh = self.viewport().width(), self.viewport().height()
        lat, _ = self.center()
        ground_mpp = self.meters_per_pixel() / mercator.scale_factor(lat)
        length_m = nice_step(ground_mpp * 120)
        bar_px = length_m / ground_mpp
        x0, y0 = 12, vh - 18
        painter.setPen(QPen(QColor("white"), 5))
        painter.drawLine(QPointF(x0, y0), QPointF(x0 + bar_px, y0))
        painter.setPen(QPen(QColor("#212121"), 2))
        painter.drawLine(QPointF(x0, y0), QPointF(x0 + bar_px, y0))
        painter.drawLine(QPointF(x0, y0 - 5), QPointF(x0, y0 + 3))
        painter.drawLine(QPointF(x0 + bar_px, y0 - 5), QPointF(x0 + bar_px, y0 + 3))
        painter.setFont(QFont("DejaVu Sans", 8))
        text = f"{length_m:.0f} m" if length_m < 1000 else f"{length_m / 1000:.0f} km"
        L._label(painter, x0 + 2, y0 - 7, text)
        # north arrow
        cx, cy = vw - 28, 34
        painter.setPen(QPen(QColor("#212121"), 1.5))
        painter.setBrush(QColor("#c62828"))
        painter.drawPolygon(QPolygonF([QPointF(cx, cy - 16), QPointF(cx + 7, cy + 4), QPointF(cx, cy), QPointF(cx - 7, cy + 4)]))
        painter.setBrush(QColor("white"))
        painter.drawPolygon(QPolygonF([QPointF(cx, cy + 16), QPointF(cx + 7, cy + 4), QPointF(cx, cy), QPointF(cx - 7, cy + 4)]))
        painter.setFont(QFont("DejaVu Sans", 9, QFont.Bold))
        L._label(painter, cx - 4, cy - 19, "N")
        painter.setFont(QFont("DejaVu Sans", 8))
        if self.cursor_latlon is not None:
            la, lo = self.cursor_latlon
            L._label(painter, vw - 200, vh - 10, f"{la:.6f}, {lo:.6f}  z{self.zoom():.1f}")
        src = "no tiles: grid" if self.source is None else getattr(self.source, "name", "tiles")
        L._label(painter, vw - 200, vh - 24, src)
        painter.restore()

    # ------------------------------------------------------------------ tools
    def set_tool(self, tool: Tool) -> None:
        """Switch the left-click tool; leaving a drawing tool discards its draft."""
        self.tool = tool
        self._draft = []
        self.layers["geometry"].set_draft([])  # type: ignore[attr-defined]
        if tool != Tool.MEASURE:
            self._measure = []
            self.layers["measure"].set_points([], 0.0)  # type: ignore[attr-defined]
        self.setDragMode(QGraphicsView.ScrollHandDrag if tool == Tool.PAN else QGraphicsView.NoDrag)
        self.viewport().setCursor(Qt.OpenHandCursor if tool == Tool.PAN else Qt.CrossCursor)

    def click_at(self, lat: float, lon: float) -> None:
        """Apply the current tool to a point (what a left click does; also used by tests and scripts)."""
        self.clicked.emit(lat, lon)
        if self.tool == Tool.MEASURE:
            self._measure.append((lat, lon))
            total = geodesic_length_m(self._measure)
            self.layers["measure"].set_points(self._measure, total)  # type: ignore[attr-defined]
            self.measureChanged.emit(total)
        elif self.tool in (Tool.DRAW_POLYGON, Tool.DRAW_ROUTE):
            self._draft.append((lat, lon))
            self.layers["geometry"].set_draft(self._draft)  # type: ignore[attr-defined]
        elif self.tool == Tool.PICK:
            self.pointPicked.emit(lat, lon)

    def finish_drawing(self) -> list[tuple[float, float]]:
        """End the polygon/route being drawn and emit ``drawingFinished``; returns its vertices."""
        pts = list(self._draft)
        kind = "polygon" if self.tool == Tool.DRAW_POLYGON else "route"
        self._draft = []
        self.layers["geometry"].set_draft([])  # type: ignore[attr-defined]
        need = 3 if kind == "polygon" else 2
        if len(pts) >= need:
            self.drawingFinished.emit(kind, pts)
        return pts

    def measured_m(self) -> float:
        return geodesic_length_m(self._measure)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        pos = event.pos()
        if event.button() == Qt.LeftButton:
            transform = self.viewportTransform()
            if self.editable_waypoints:
                idx = self.mission.hit(transform, pos.x(), pos.y())
                if idx is not None:
                    self._drag_wp = idx
                    return
            inf = self.layers["infractions"].hit(transform, pos.x(), pos.y())  # type: ignore[attr-defined]
            if inf is not None and self.tool == Tool.PAN:
                self.infractionClicked.emit(inf)
                return
            if self.tool != Tool.PAN:
                self.click_at(*self.scene_to_latlon(self.mapToScene(pos)))
                return
        elif event.button() == Qt.RightButton and self.tool in (Tool.DRAW_POLYGON, Tool.DRAW_ROUTE):
            self.finish_drawing()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.tool in (Tool.DRAW_POLYGON, Tool.DRAW_ROUTE):
            self.finish_drawing()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        lat, lon = self.scene_to_latlon(self.mapToScene(event.pos()))
        self.cursor_latlon = (lat, lon)
        self.cursorMoved.emit(lat, lon)
        if self._drag_wp is not None:
            self.mission.move_waypoint(self._drag_wp, lat, lon)
            return
        super().mouseMoveEvent(event)
        self.viewport().update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self._drag_wp is not None:
            lat, lon = self.scene_to_latlon(self.mapToScene(event.pos()))
            idx, self._drag_wp = self._drag_wp, None
            self.mission.move_waypoint(idx, lat, lon)
            self.waypointDragged.emit(idx, lat, lon)
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key_Return, Qt.Key_Enter) and self.tool in (Tool.DRAW_POLYGON, Tool.DRAW_ROUTE):
            self.finish_drawing()
        elif event.key() == Qt.Key_Escape:
            self.set_tool(Tool.PAN)
        elif event.key() in (Qt.Key_Plus, Qt.Key_Equal):
            self.set_zoom(self.zoom() + 1)
        elif event.key() == Qt.Key_Minus:
            self.set_zoom(self.zoom() - 1)
        else:
            super().keyPressEvent(event)

    def render_image(self) -> QImage:
        """The viewport as an image (screenshots, tests, bench)."""
        return self.grab().toImage()
