"""The Review panel: filterable infraction queue, evidence (key frame, clip, speed profile, rule and
measurements with uncertainty), decisions with a note, export, and the item's audit trail."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QColor, QImage
from PyQt5.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QGridLayout, QHBoxLayout, QHeaderView,
                             QLabel, QLineEdit, QListWidget, QPushButton, QSplitter, QTableWidget, QTableWidgetItem,
                             QTabWidget, QTextBrowser, QVBoxLayout, QWidget)

from groundstation.review.service import DECISIONS, STATUSES, Filters, ReviewService
from groundstation.review.widgets import ClipPlayer, ImageLabel, SpeedProfile

COLUMNS = ("time (UTC)", "kind", "class", "track", "zone", "status", "conf.", "summary")
WINDOWS = {"all time": None, "last hour": 3600.0, "last 24 h": 86400.0, "last 7 days": 7 * 86400.0}
STATUS_COLOURS = {"new": "#ffebee", "confirmed": "#ffcdd2", "rejected": "#eeeeee", "needs_more_info": "#fff3e0"}


def _utc(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def describe_measurements(record) -> str:
    """HTML of the rule, parameters and measurements with their uncertainty (sigma) where given."""
    ev = record.event
    rows = []
    for name, value in sorted(ev.measurements.items()):
        sig = ev.uncertainty.get(name) or ev.uncertainty.get(f"{name}_sigma") or ev.uncertainty.get(
            name.replace("_kmh", "_sigma_kmh"))
        rows.append(f"<tr><td>{name}</td><td align=right><b>{value:.2f}</b></td>"
                    f"<td>{'± %.2f (1σ)' % sig if sig is not None else ''}</td></tr>")
    extra = [f"<tr><td><i>{k}</i></td><td align=right>{v:.3g}</td><td></td></tr>"
             for k, v in sorted(ev.uncertainty.items()) if not any(k.startswith(m.split('_')[0]) for m in ev.measurements)]
    params = ", ".join(f"{k}={v}" for k, v in sorted(ev.rule_params.items()))
    return (f"<h3>{ev.kind.replace('_', ' ')} — {ev.cls} #{ev.track_id}</h3>"
            f"<p>{ev.summary}</p>"
            f"<p><b>Rule</b> {ev.rule_id} v{ev.rule_version}<br><small>{params}</small></p>"
            f"<p><b>Where</b> {ev.lat:.6f}, {ev.lon:.6f} ± {ev.sigma_m:.1f} m (zone {ev.zone_id or '—'})<br>"
            f"<b>When</b> {_utc(ev.start_s)} → {_utc(ev.end_s)} UTC ({ev.end_s - ev.start_s:.1f} s)<br>"
            f"<b>Confidence</b> {ev.confidence:.2f} · <b>status</b> {record.status}"
            f"{' by ' + record.status_by if record.status_by else ''}"
            f"{' — “' + record.status_note + '”' if record.status_note else ''}</p>"
            f"<table cellspacing=4><tr><th align=left>measurement</th><th>value</th><th>uncertainty</th></tr>"
            f"{''.join(rows)}{''.join(extra)}</table>")


def evidence_series(record, folder: Path | None) -> tuple[list, list]:
    """(profile, track) of an infraction: from the store's details, else from the package's infraction.json
    (infractions received over the data link carry them only in their evidence package)."""
    profile, track = record.details.get("profile") or [], record.details.get("track") or []
    if (not profile or not track) and folder is not None and (folder / "infraction.json").is_file():
        try:
            doc = json.loads((folder / "infraction.json").read_text())
        except (OSError, ValueError):
            doc = {}
        profile = profile or doc.get("profile") or []
        track = track or doc.get("track") or []
    return profile, track


class ReviewPanel(QWidget):
    """Renders a ``ReviewService``; selection emits ``infractionSelected`` so the map can show it."""

    infractionSelected = pyqtSignal(str, float, float)
    trackSelected = pyqtSignal(list)  # [(lat, lon), ...] of the selected infraction's track
    recordsChanged = pyqtSignal(list)  # records shown in the queue

    def __init__(self, service: ReviewService | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.records: list = []
        self.current = None
        self.export_dir = Path.cwd() / "exports"
        lay = QVBoxLayout(self)
        filt = QHBoxLayout()
        self.status_filter = QComboBox()
        self.status_filter.addItems(["all", *STATUSES])
        self.kind_filter = QComboBox()
        self.kind_filter.addItems(["all", "speeding", "no_parking", "wrong_way", "restricted_area"])
        self.zone_filter = QLineEdit(placeholderText="zone id")
        self.window_filter = QComboBox()
        self.window_filter.addItems(list(WINDOWS))
        self.refresh_btn = QPushButton("Refresh")
        for label, w in (("Status", self.status_filter), ("Type", self.kind_filter), ("Zone", self.zone_filter),
                         ("Time", self.window_filter)):
            filt.addWidget(QLabel(label))
            filt.addWidget(w)
        filt.addWidget(self.refresh_btn)
        lay.addLayout(filt)
        split = QSplitter(Qt.Vertical)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.Stretch)
        self.table.verticalHeader().setVisible(False)
        split.addWidget(self.table)
        detail = QWidget()
        grid = QGridLayout(detail)
        grid.setContentsMargins(0, 0, 0, 0)
        self.tabs = QTabWidget()
        self.key_frame = ImageLabel("no key frame")
        self.clip = ClipPlayer()
        self.track_map = ImageLabel("no track map")
        self.tabs.addTab(self.key_frame, "Key frame")
        self.tabs.addTab(self.clip, "Clip")
        self.tabs.addTab(self.track_map, "Track map")
        grid.addWidget(self.tabs, 0, 0, 2, 1)
        self.info = QTextBrowser()
        self.info.setMinimumWidth(280)
        grid.addWidget(self.info, 0, 1)
        self.profile = SpeedProfile()
        grid.addWidget(self.profile, 1, 1)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        split.addWidget(detail)
        split.setSizes([200, 380])
        lay.addWidget(split, 1)
        dec = QHBoxLayout()
        self.note = QLineEdit(placeholderText="note for the decision (required to reject or ask for more info)")
        dec.addWidget(self.note, 1)
        self.decision_buttons: dict[str, QPushButton] = {}
        for name, label in (("confirmed", "Confirm"), ("rejected", "Reject"), ("needs_more_info", "Needs more info")):
            b = QPushButton(label)
            b.setObjectName(f"decide_{name}")
            b.clicked.connect(lambda _=False, n=name: self.decide(n))
            dec.addWidget(b)
            self.decision_buttons[name] = b
        self.export_btn = QPushButton("Export evidence…")
        self.export_btn.clicked.connect(self.on_export)
        dec.addWidget(self.export_btn)
        lay.addLayout(dec)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        lay.addWidget(QLabel("Audit trail of the selected infraction"))
        self.audit_list = QListWidget()
        self.audit_list.setMaximumHeight(110)
        lay.addWidget(self.audit_list)
        self.refresh_btn.clicked.connect(self.refresh)
        for w in (self.status_filter, self.kind_filter, self.window_filter):
            w.currentIndexChanged.connect(self.refresh)
        self.zone_filter.editingFinished.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self._update_enabled()

    # ------------------------------------------------------------------ queue
    def set_service(self, service: ReviewService | None) -> None:
        self.service = service
        self.refresh()

    def filters(self) -> Filters:
        window = WINDOWS[self.window_filter.currentText()]
        status = self.status_filter.currentText()
        kind = self.kind_filter.currentText()
        return Filters(status=None if status == "all" else status, kind=None if kind == "all" else kind,
                       zone_id=self.zone_filter.text().strip() or None,
                       since_s=None if window is None else time.time() - window)

    def refresh(self) -> None:
        """Reload the queue with the current filters (an audited listing)."""
        keep = self.current.infraction_id if self.current is not None else None
        self.records = [] if self.service is None else self.service.queue(self.filters())
        self.table.blockSignals(True)
        self.table.setRowCount(len(self.records))
        for row, rec in enumerate(self.records):
            ev = rec.event
            values = (_utc(ev.start_s), ev.kind, ev.cls, str(ev.track_id), ev.zone_id, rec.status,
                      f"{ev.confidence:.2f}", ev.summary)
            for col, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setBackground(QColor(STATUS_COLOURS.get(rec.status, "white")))
                item.setData(Qt.UserRole, ev.infraction_id)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.table.blockSignals(False)
        self.recordsChanged.emit(list(self.records))
        if keep is not None:
            self.select(keep)
        self._update_enabled()

    def select(self, infraction_id: str) -> bool:
        """Select an infraction by id (e.g. clicked on the map); True if it is in the queue."""
        for row, rec in enumerate(self.records):
            if rec.event.infraction_id == infraction_id:
                self.table.selectRow(row)
                return True
        return False

    def _on_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.service is None:
            return
        infraction_id = self.records[rows[0].row()].event.infraction_id
        self.open(infraction_id)

    # ------------------------------------------------------------------ evidence
    def open(self, infraction_id: str) -> None:
        """Show one infraction's evidence (an audited view)."""
        try:
            rec = self.service.show(infraction_id)
        except Exception as exc:
            self._message(False, f"cannot open {infraction_id}: {exc}")
            return
        self.current = rec
        ev = rec.event
        self.info.setHtml(describe_measurements(rec))
        folder = self.service.evidence_dir(infraction_id)
        profile, track = evidence_series(rec, folder)
        m = ev.measurements
        self.profile.set_profile(profile, m.get("limit_kmh"), m.get("threshold_kmh"),
                                 float(ev.uncertainty.get("k_sigma", 2.0)), (ev.start_s, ev.end_s))
        keys = sorted(folder.glob("keyframe_*.jpg")) if folder else []
        self.key_frame.set_image(QImage(str(keys[0])) if keys else None,
                                 "no key frame (evidence package not received yet)")
        self.clip.load(folder / "clip.mp4" if folder else None)
        tm = folder / "track_map.png" if folder else None
        self.track_map.set_image(QImage(str(tm)) if tm is not None and tm.is_file() else None, "no track map")
        self.infractionSelected.emit(infraction_id, ev.lat, ev.lon)
        self.trackSelected.emit([(float(p[1]), float(p[2])) for p in track if len(p) >= 3])
        self._load_audit()
        self._update_enabled()
        self._message(True, f"viewing {infraction_id} ({rec.status})"
                      + ("" if folder else " — evidence package not on this station yet"))

    def _load_audit(self) -> None:
        self.audit_list.clear()
        if self.current is None:
            return
        for e in self.service.audit(self.current.infraction_id):
            detail = f" {e.detail}" if e.detail else ""
            self.audit_list.addItem(f"{_utc(e.time_s)}  {e.actor:<10} {e.action:<16}{detail}")
        self.audit_list.scrollToBottom()

    # ------------------------------------------------------------------ decisions / export
    def decide(self, decision: str, note: str | None = None) -> bool:
        """Record a decision for the selected infraction; every outcome is shown (and audited by the store)."""
        if self.current is None or decision not in DECISIONS:
            return False
        note = self.note.text().strip() if note is None else note
        if decision != "confirmed" and not note:
            self._message(False, "a note is required to reject or to ask for more information")
            return False
        iid = self.current.infraction_id
        try:
            self.current = self.service.decide(iid, decision, note)
        except Exception as exc:
            self._message(False, f"{decision} refused: {exc}")
            return False
        self.note.clear()
        self._message(True, f"{iid}: {decision.replace('_', ' ')}" + (f" — “{note}”" if note else ""))
        self.refresh()
        if not self.select(iid):
            self.info.setHtml(describe_measurements(self.current))
            self._load_audit()
        return True

    def export(self, out_dir: str | Path | None = None) -> Path | None:
        if self.current is None:
            return None
        try:
            path = self.service.export(self.current.infraction_id, out_dir or self.export_dir)
        except Exception as exc:
            self._message(False, f"export failed: {exc}")
            return None
        self._message(True, f"exported {path}")
        self._load_audit()
        return path

    def on_export(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export evidence to", str(self.export_dir))
        if folder:
            self.export(folder)

    def _update_enabled(self) -> None:
        can = self.service is not None and self.service.user.can("review") and self.current is not None
        for b in self.decision_buttons.values():
            b.setEnabled(can)
        self.export_btn.setEnabled(self.service is not None and self.service.user.can("export") and self.current is not None)

    def _message(self, ok: bool, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #1b5e20;" if ok else "color: #b71c1c; font-weight: bold;")
