"""The ground-station main window: map in the middle, Fly / Plan / Review / Video on the side.

Wiring only: the map renders the plain models (vehicle views from the fly controller, tracks from
the data link's ``TrackTable``, infraction records from the review service); panels own their work.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import QAction, QActionGroup, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget

from groundstation.fly.controller import FlyController
from groundstation.fly.endpoints import EndpointHistory
from groundstation.fly.panel import FlyPanel
from groundstation.map.layers import InfractionMarker
from groundstation.map.view import MapView, Tool
from groundstation.model.footprint import camera_footprint
from groundstation.model.tracks import TrackTable
from groundstation.plan.panel import PlanPanel
from groundstation.review.panel import ReviewPanel
from groundstation.session import Session
from groundstation.video.panel import VideoPanel, VideoTab

LAYER_TITLES = {
    "vehicle": "Vehicles + trails", "home": "Home", "mission": "Mission", "geometry": "Survey / corridor geometry",
    "fence": "Geofence + rally", "zones": "Zones", "footprint": "Camera footprint", "tracks": "Tracks",
    "infractions": "Infractions", "measure": "Distance tool",
}


@dataclass
class AppConfig:
    """What ``aeropatrol gs`` passes to the window."""

    connect: str | None = None
    tile_source: object = None
    zones: object = None  # geo.zones.ZoneSet
    review_service: object = None
    session: Session | None = None
    history_path: Path | None = None
    datalink: object = None  # DatalinkBridge (started by the caller)
    center: tuple[float, float, float] | None = None
    extra: dict = field(default_factory=dict)


def confirm_dialog(parent):
    """The production confirmation: a modal Yes/No box (tests inject their own function)."""
    def confirm(title: str, text: str) -> bool:
        return QMessageBox.question(parent, f"Confirm: {title}", text, QMessageBox.Yes | QMessageBox.No,
                                    QMessageBox.No) == QMessageBox.Yes
    return confirm


class MainWindow(QMainWindow):
    """Map + panels; owns the fly controller, the track table and the data-link bridge wiring."""

    def __init__(self, config: AppConfig | None = None, confirm=None, backend_factory=None) -> None:
        super().__init__()
        self.config = config or AppConfig()
        who = f" — {self.config.session.username} ({self.config.session.role})" if self.config.session else ""
        self.setWindowTitle("AeroPatrol Ground Station" + who)
        self.map = MapView(tile_source=self.config.tile_source)
        self.fly = FlyController(backend_factory=backend_factory, confirm=confirm or confirm_dialog(self),
                                 session=self.config.session, parent=self)
        self.history = EndpointHistory(self.config.history_path)
        self.fly_panel = FlyPanel(self.fly, self.history)
        self.plan_panel = PlanPanel(self.map, self.fly)
        self.review_panel = ReviewPanel(self.config.review_service)
        self.video = VideoPanel()
        self.video_tab = VideoTab(self.video)
        self.tracks = TrackTable()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.fly_panel, "Fly")
        self.tabs.addTab(self.plan_panel, "Plan")
        self.tabs.addTab(self.review_panel, "Review")
        self.tabs.addTab(self.video_tab, "Video")
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.map)
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self._status_cursor = QLabel("")
        self._status_measure = QLabel("")
        self.statusBar().addWidget(self._status_cursor)
        self.statusBar().addPermanentWidget(self._status_measure)
        self._build_menus()
        self._wire()
        if self.config.zones is not None:
            self.map.layer("zones").set_zones(self.config.zones)
        if self.config.center is not None:
            self.map.center_on(*self.config.center)
        self._track_timer = QTimer(self, interval=200)  # 5 Hz batch push of tracks to the map
        self._track_timer.timeout.connect(self.push_tracks)
        self._track_timer.start()
        self._followed = False
        if self.config.review_service is not None:
            self.review_panel.refresh()
        if self.config.connect:
            self.fly_panel.endpoint.setEditText(self.config.connect)
            QTimer.singleShot(0, self.fly_panel.on_connect)

    # ------------------------------------------------------------------ menus
    def _build_menus(self) -> None:
        layers = self.menuBar().addMenu("&Layers")
        self.layer_actions: dict[str, QAction] = {}
        for name, title in LAYER_TITLES.items():
            act = QAction(title, self, checkable=True, checked=True)
            act.toggled.connect(lambda on, n=name: self.map.set_layer_visible(n, on))
            layers.addAction(act)
            self.layer_actions[name] = act
        tools = self.menuBar().addMenu("&Tools")
        group = QActionGroup(self)
        for tool, title, key in ((Tool.PAN, "Pan", "Esc"), (Tool.MEASURE, "Measure distance", "M"),
                                 (Tool.PICK, "Pick retask point", "P")):
            act = QAction(title, self, checkable=True, checked=tool == Tool.PAN)
            act.setShortcut(key)
            act.triggered.connect(lambda _=False, t=tool: self.map.set_tool(t))
            group.addAction(act)
            tools.addAction(act)
        view = self.menuBar().addMenu("&View")
        act = QAction("Centre on vehicle", self)
        act.setShortcut("C")
        act.triggered.connect(self.center_on_vehicle)
        view.addAction(act)

    def _wire(self) -> None:
        self.map.cursorMoved.connect(lambda la, lo: self._status_cursor.setText(f"{la:.6f}, {lo:.6f}"))
        self.map.measureChanged.connect(lambda m: self._status_measure.setText(f"distance {m:.1f} m"))
        self.map.pointPicked.connect(lambda la, lo: self.fly_panel.set_target(la, lo, "map point"))
        self.map.infractionClicked.connect(self._on_map_infraction)
        self.fly.stateChanged.connect(self.on_vehicle)
        self.review_panel.infractionSelected.connect(self._on_review_selected)
        self.review_panel.recordsChanged.connect(self._on_records)
        self.review_panel.trackSelected.connect(self.map.layer("infractions").set_track)
        bridge = self.config.datalink
        if bridge is not None:
            bridge.tracks.connect(self.on_tracks)
            bridge.thumbnail.connect(self.on_thumbnail)
            bridge.infraction.connect(self.on_infraction_event)
            bridge.summary.connect(self.on_summary)
            bridge.evidence.connect(self.on_evidence)
            bridge.error.connect(lambda text: self.statusBar().showMessage(text, 10000))

    # ------------------------------------------------------------------ model -> map
    def on_vehicle(self, view) -> None:
        """A new VehicleView: move the icon, home, current item, footprint; centre once on first fix."""
        if not view.has_position:
            return
        self.map.vehicles.set_vehicle(view.vehicle_id, view.lat, view.lon, view.heading_deg,
                                      f"{view.vehicle_id} {view.mode}")
        if view.home is not None and not math.isnan(view.home[0]):
            self.map.layer("home").set_home(view.home[0], view.home[1])
        self.map.mission.set_current(view.mission_seq if view.mission_seq >= 0 else None)
        self.map.layer("footprint").set_footprint(camera_footprint(view))
        if not self._followed:
            self._followed = True
            self.map.center_on(view.lat, view.lon, max(self.map.zoom(), 16.0))

    def on_summary(self, vehicle_id: str, msg) -> None:
        """A datalink VehicleSummary (another vehicle, or ours when off the MAVLink link)."""
        from groundstation.model.vehicle import from_summary

        if self.fly.connected and vehicle_id == self.fly.last_view.vehicle_id:
            return
        v = from_summary(msg)
        if v.has_position:
            self.map.vehicles.set_vehicle(v.vehicle_id, v.lat, v.lon, v.heading_deg, f"{v.vehicle_id} {v.mode}")

    def on_tracks(self, vehicle_id: str, tracks: list) -> None:
        self.tracks.update(tracks)

    def push_tracks(self) -> None:
        """Expire stale tracks and hand all live ones to the map in one batch."""
        self.tracks.expire()
        c = self.tracks.columns()
        self.map.tracks.set_tracks(c.ids, c.cls, c.lat, c.lon, c.heading_deg, c.speed_kmh)

    def on_thumbnail(self, vehicle_id: str, msg) -> None:
        speeds = {}
        for b in msg.boxes:
            t = self.tracks.get(vehicle_id, b.track_id)
            if t is not None:
                speeds[b.track_id] = t.speed_kmh
        self.video.show_thumbnail(msg, speeds)

    def on_infraction_event(self, vehicle_id: str, ev) -> None:
        self.map.layer("infractions").add_marker(InfractionMarker(ev.infraction_id, ev.lat, ev.lon, ev.kind, "new"))
        self.statusBar().showMessage(f"new infraction: {ev.summary}", 8000)
        if self.config.review_service is not None:
            self.review_panel.refresh()

    def on_evidence(self, vehicle_id: str, record) -> None:
        """An evidence package completed: refresh the review (it may be the one on screen)."""
        self.statusBar().showMessage(f"evidence {record.evidence_id[:8]} received for {record.infraction_id[:8]}", 8000)
        if self.config.review_service is not None:
            current = self.review_panel.current
            self.review_panel.refresh()
            if current is not None and current.infraction_id == record.infraction_id:
                self.review_panel.open(record.infraction_id)

    def _on_records(self, records: list) -> None:
        self.map.layer("infractions").set_markers(
            InfractionMarker(r.event.infraction_id, r.event.lat, r.event.lon, r.event.kind, r.status) for r in records)

    def _on_review_selected(self, infraction_id: str, lat: float, lon: float) -> None:
        self.map.layer("infractions").select(infraction_id)
        self.map.center_on(lat, lon, max(self.map.zoom(), 17.0))
        self.fly_panel.set_target(lat, lon, f"infraction {infraction_id[:8]}")

    def _on_map_infraction(self, infraction_id: str) -> None:
        m = self.map.layer("infractions").markers.get(infraction_id)
        if m is not None:
            self.fly_panel.set_target(m.lat, m.lon, f"infraction {infraction_id[:8]}")
        if self.review_panel.select(infraction_id):
            self.tabs.setCurrentWidget(self.review_panel)

    def center_on_vehicle(self) -> None:
        v = self.fly.last_view
        if v.has_position:
            self.map.center_on(v.lat, v.lon)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.fly.shutdown()
        self.video_tab.close_stream()
        if self.config.datalink is not None:
            self.config.datalink.stop()
        super().closeEvent(event)


def default_tile_cache() -> Path:
    return Path(os.environ.get("AEROPATROL_GS_HOME") or Path.home() / ".cache" / "aeropatrol") / "tiles"
