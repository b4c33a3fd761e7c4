"""The Plan panel: draw/import geometry on the map, pattern + parameters, live statistics and validation,
drag-to-edit waypoints, upload/download through the fly controller, save/import files through ``flight.files``."""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel,
                             QPushButton, QSpinBox, QVBoxLayout, QWidget)

from groundstation.fly.actions import ActionResult
from groundstation.map.view import MapView, Tool
from groundstation.plan.draft import NEEDS, PATTERNS, PlanDraft, fence_geometry


class PlanPanel(QWidget):
    """Edits a ``PlanDraft`` and keeps the map's geometry/mission/fence layers in step with it."""

    planChanged = pyqtSignal()

    def __init__(self, map_view: MapView, fly=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.map = map_view
        self.fly = fly  # FlyController (optional: planning works offline)
        self.draft = PlanDraft()
        self._drawing_fence = False
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.pattern = QComboBox()
        self.pattern.addItems(PATTERNS)
        self.pattern.setCurrentText(self.draft.pattern)
        form.addRow("Pattern", self.pattern)
        p = self.draft.params
        self.alt = QDoubleSpinBox(minimum=5, maximum=500, value=p.alt_m, decimals=0, suffix=" m")
        self.use_gsd = QCheckBox("altitude from GSD")
        self.gsd = QDoubleSpinBox(minimum=0.3, maximum=20, value=2.0, decimals=1, suffix=" cm/px")
        row = QHBoxLayout()
        row.addWidget(self.alt)
        row.addWidget(self.use_gsd)
        row.addWidget(self.gsd)
        form.addRow("Altitude", row)
        self.speed = QDoubleSpinBox(minimum=1, maximum=25, value=p.speed_mps, decimals=1, suffix=" m/s")
        form.addRow("Speed", self.speed)
        self.side = QDoubleSpinBox(minimum=0, maximum=95, value=p.side_overlap_pct, decimals=0, suffix=" %")
        self.front = QDoubleSpinBox(minimum=0, maximum=95, value=p.front_overlap_pct, decimals=0, suffix=" %")
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("side"))
        row2.addWidget(self.side)
        row2.addWidget(QLabel("front"))
        row2.addWidget(self.front)
        form.addRow("Overlap", row2)
        self.hfov = QDoubleSpinBox(minimum=10, maximum=150, value=p.hfov_deg, decimals=0, suffix="° HFOV")
        self.angle = QDoubleSpinBox(minimum=-180, maximum=180, value=p.angle_deg, decimals=0, suffix="° grid")
        row3 = QHBoxLayout()
        row3.addWidget(self.hfov)
        row3.addWidget(self.angle)
        form.addRow("Camera", row3)
        self.laps = QSpinBox(minimum=0, maximum=100, value=p.laps)
        self.laps.setToolTip("0 = endless")
        self.inset = QDoubleSpinBox(minimum=0, maximum=500, value=p.inset_m, decimals=0, suffix=" m inset")
        self.passes = QSpinBox(minimum=0, maximum=5, value=p.passes_per_side, suffix=" passes/side")
        row4 = QHBoxLayout()
        row4.addWidget(self.laps)
        row4.addWidget(self.inset)
        row4.addWidget(self.passes)
        form.addRow("Laps", row4)
        self.battery = QDoubleSpinBox(minimum=10, maximum=2000, value=p.battery_wh, decimals=0, suffix=" Wh")
        form.addRow("Battery", self.battery)
        lay.addLayout(form)
        tools = QHBoxLayout()
        self.draw_btn = QPushButton("Draw area")
        self.draw_btn.clicked.connect(self.start_drawing)
        self.fence_btn = QPushButton("Draw fence")
        self.fence_btn.clicked.connect(self.start_fence)
        self.import_btn = QPushButton("Import…")
        self.import_btn.clicked.connect(self.on_import)
        self.save_btn = QPushButton("Save .plan…")
        self.save_btn.clicked.connect(self.on_save)
        for b in (self.draw_btn, self.fence_btn, self.import_btn, self.save_btn):
            tools.addWidget(b)
        lay.addLayout(tools)
        link = QHBoxLayout()
        self.upload_btn = QPushButton("Upload")
        self.upload_btn.clicked.connect(self.upload)
        self.download_btn = QPushButton("Download")
        self.download_btn.clicked.connect(self.download)
        link.addWidget(self.upload_btn)
        link.addWidget(self.download_btn)
        lay.addLayout(link)
        self.stats = QLabel("draw an area or a route on the map")
        self.stats.setWordWrap(True)
        lay.addWidget(self.stats)
        self.validation = QLabel("")
        self.validation.setWordWrap(True)
        lay.addWidget(self.validation)
        lay.addStretch(1)
        self.pattern.currentTextChanged.connect(self._pattern_changed)
        for w in (self.alt, self.gsd, self.speed, self.side, self.front, self.hfov, self.angle, self.inset, self.battery):
            w.valueChanged.connect(self.regenerate)
        for w in (self.laps, self.passes):
            w.valueChanged.connect(self.regenerate)
        self.use_gsd.toggled.connect(self.regenerate)
        map_view.drawingFinished.connect(self.on_drawing)
        map_view.waypointDragged.connect(self.on_waypoint_dragged)
        map_view.editable_waypoints = True
        if fly is not None:
            fly.actionFinished.connect(self._on_fly_result)
            fly.stateChanged.connect(self._on_vehicle)

    # ------------------------------------------------------------------ inputs
    def _read_params(self) -> None:
        p = self.draft.params
        p.alt_m = self.alt.value()
        p.gsd_cm = self.gsd.value() if self.use_gsd.isChecked() else None
        p.speed_mps = self.speed.value()
        p.side_overlap_pct = self.side.value()
        p.front_overlap_pct = self.front.value()
        p.hfov_deg = self.hfov.value()
        p.angle_deg = self.angle.value()
        p.laps = self.laps.value()
        p.inset_m = self.inset.value()
        p.passes_per_side = self.passes.value()
        p.battery_wh = self.battery.value()

    def _pattern_changed(self, name: str) -> None:
        self.draft.pattern = name
        self.draw_btn.setText("Draw area" if NEEDS[name] == "polygon" else "Draw route")
        self.regenerate()

    def _on_vehicle(self, view) -> None:
        if view.home is not None and self.draft.home is None:
            self.draft.home = view.home

    def start_drawing(self) -> None:
        """Left-click vertices on the map; double-click, right-click or Enter finishes."""
        self._drawing_fence = False
        self.map.set_tool(Tool.DRAW_POLYGON if NEEDS[self.draft.pattern] == "polygon" else Tool.DRAW_ROUTE)
        self.stats.setText("click the vertices on the map; double-click / right-click / Enter to finish")

    def start_fence(self) -> None:
        self._drawing_fence = True
        self.map.set_tool(Tool.DRAW_POLYGON)
        self.stats.setText("click the fence vertices (inclusion polygon); double-click to finish")

    def on_drawing(self, kind: str, points: list) -> None:
        """A finished drawing becomes the area/route (or the fence), then the plan is regenerated."""
        self.map.set_tool(Tool.PAN)
        if self._drawing_fence:
            self._drawing_fence = False
            self.draft.fence_polygon = list(points)
        elif kind == "polygon":
            self.draft.polygon = list(points)
        else:
            self.draft.route = list(points)
        self.regenerate()

    def set_geometry(self, points: list[tuple[float, float]], kind: str | None = None) -> None:
        """Programmatic (scripts, tests, imports): set the area or route."""
        kind = kind or NEEDS[self.draft.pattern]
        if kind == "polygon":
            self.draft.polygon = list(points)
        else:
            self.draft.route = list(points)
        self.regenerate()

    def regenerate(self, *_args) -> bool:
        """Rebuild the plan from geometry + parameters and refresh the map and the statistics."""
        self._read_params()
        ok = self.draft.generate()
        self.refresh()
        return ok

    def on_waypoint_dragged(self, index: int, lat: float, lon: float) -> None:
        if self.draft.plan is None:
            return
        self.draft.move_waypoint(index, lat, lon)
        self.refresh()

    # ------------------------------------------------------------------ rendering
    def refresh(self) -> None:
        d = self.draft
        geo = self.map.layer("geometry")
        polys = [d.polygon] if d.polygon and NEEDS[d.pattern] == "polygon" else []
        lines = [d.route] if d.route and NEEDS[d.pattern] == "route" else []
        geo.set_geometry(polys, lines)
        lats, lons, numbers = d.waypoints()
        self.map.mission.set_waypoints(lats, lons, numbers)
        polys_f, circles_f, rally = fence_geometry(d.plan)
        if not polys_f and len(d.fence_polygon) >= 3:
            polys_f = [(d.fence_polygon, True)]
        self.map.layer("fence").set_fence(polys_f, circles_f, rally)
        if d.home is not None and not self.map.vehicles.vehicles:
            self.map.layer("home").set_home(d.home[0], d.home[1])
        self.stats.setText(d.stats_text())
        if d.report is not None and d.report.feasible:
            self.validation.setText("✔ feasible: inside fence, altitude and range limits, battery sufficient")
            self.validation.setStyleSheet("color: #1b5e20;")
        else:
            self.validation.setText(d.error)
            self.validation.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.upload_btn.setEnabled(d.plan is not None)
        self.planChanged.emit()

    # ------------------------------------------------------------------ vehicle
    def upload(self) -> int | None:
        """Upload the plan (confirmed; refused when infeasible)."""
        if self.fly is None or self.draft.plan is None:
            return None
        if self.draft.report is not None and not self.draft.report.feasible:
            self._on_fly_result(ActionResult(0, "upload", False, f"refused: {self.draft.error}"))
            return None
        return self.fly.request("upload", self.draft.mission_plan(),
                                describe=f"{len(self.draft.plan.items)} items ({self.draft.pattern})")

    def download(self) -> int | None:
        return None if self.fly is None else self.fly.request("download")

    def _on_fly_result(self, result: ActionResult) -> None:
        if result.name == "download" and result.ok and result.value is not None:
            self.draft.load_mission_plan(result.value)
            self.refresh()
        if result.name in ("upload", "download"):
            self.validation.setText(("✔ " if result.ok else "✘ ") + result.message + (
                "" if result.ok else f"  ({self.draft.error})" if self.draft.error else ""))
            self.validation.setStyleSheet("color: #1b5e20;" if result.ok else "color: #b71c1c; font-weight: bold;")

    # ------------------------------------------------------------------ files
    def import_file(self, path: str | Path) -> str:
        """Import .plan / .waypoints (a mission) or GeoJSON / KML (an area or route) via ``flight.files``;
        a malformed file raises ``flight.files.FileFormatError`` naming the file and field."""
        from flight import files

        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".plan", ".waypoints", ".txt"):
            plan = files.load_plan(path) if suffix == ".plan" else files.load_waypoints(path)
            self.draft.load_patrol_plan(plan)
            self.refresh()
            return f"imported {len(plan.items)} items from {path.name}"
        shapes = files.load_shapes(path)
        want = "polygon" if NEEDS[self.draft.pattern] == "polygon" else "line"
        shape = next((s for s in shapes if s.kind == want), None) or (shapes[0] if shapes else None)
        if shape is None:
            raise ValueError(f"{path}: no polygon or line found")
        if shape.kind == "polygon" and NEEDS[self.draft.pattern] != "polygon":
            self.pattern.setCurrentText("survey")
        elif shape.kind == "line" and NEEDS[self.draft.pattern] != "route":
            self.pattern.setCurrentText("corridor")
        self.set_geometry(list(shape.coords), "polygon" if shape.kind == "polygon" else "route")
        return f"imported a {shape.kind} of {len(shape.coords)} points from {path.name}"

    def save_file(self, path: str | Path) -> Path:
        """Write the plan as a QGroundControl .plan (or QGC WPL 110 by the .waypoints suffix) via ``flight.files``."""
        from flight import files

        if self.draft.plan is None:
            raise ValueError(self.draft.error or "no plan to save")
        path = Path(path)
        if path.suffix.lower() in (".waypoints", ".txt"):
            files.save_waypoints(self.draft.plan, path)
        else:
            files.save_plan(self.draft.plan, path)
        return path

    def on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import plan or area", "",
                                              "Plans and areas (*.plan *.waypoints *.geojson *.json *.kml)")
        if path:
            try:
                self.stats.setText(self.import_file(path))
            except Exception as exc:  # a bad file is reported, never fatal
                self.validation.setText(f"✘ {exc}")
                self.validation.setStyleSheet("color: #b71c1c; font-weight: bold;")

    def on_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save plan", "patrol.plan", "QGC plan (*.plan);;Waypoints (*.waypoints)")
        if path:
            try:
                self.stats.setText(f"saved {self.save_file(path)}")
            except Exception as exc:
                self.validation.setText(f"✘ {exc}")
