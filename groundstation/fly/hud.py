"""The HUD: attitude indicator with heading tape and the flight figures a pilot scans (renders a VehicleView)."""
from __future__ import annotations

import math

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QLinearGradient, QPainter, QPainterPath, QPen, QPolygonF
from PyQt5.QtWidgets import QSizePolicy, QWidget

from groundstation.model.vehicle import VehicleView


def _fmt(v: float, unit: str, digits: int = 1) -> str:
    return "--" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f} {unit}"


class HudWidget(QWidget):
    """Paints a ``VehicleView``: artificial horizon (roll, pitch), heading tape, and figure boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = VehicleView()
        self.setMinimumSize(360, 260)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)

    def set_view(self, view: VehicleView) -> None:
        self.view = view
        self.update()

    def figures(self) -> dict[str, str]:
        """The text of every figure box (also what tests read)."""
        v = self.view
        bat = "--" if v.battery_pct < 0 else f"{v.battery_pct:.0f} %"
        if not math.isnan(v.battery_v):
            bat += f" {v.battery_v:.1f} V"
        return {
            "ALT": _fmt(v.alt_rel_m, "m"),
            "AMSL": _fmt(v.alt_amsl_m, "m"),
            "GS": _fmt(v.ground_speed_mps, "m/s"),
            "CLIMB": _fmt(v.climb_mps, "m/s"),
            "HDG": f"{v.heading_deg:03.0f}°",
            "BAT": bat,
            "GPS": v.gps_text,
            "MODE": v.mode or "--",
            "ARMED": "ARMED" if v.armed else "DISARMED",
            "LINK": (f"{v.link.quality_pct:.0f} % ({v.link.source})" if v.link.connected else "LOST"
                     if v.link.source != "none" else "--"),
            "WP": f"{v.mission_seq}/{v.mission_total}" if v.mission_seq >= 0 else "--",
        }

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w, h = self.width(), self.height()
        p.fillRect(self.rect(), QColor("#101418"))
        size = min(w * 0.55, h - 40.0)
        att = QRectF(10, 30, size, size)
        self._attitude(p, att)
        self._heading_tape(p, QRectF(10, 4, size, 22))
        self._boxes(p, QRectF(att.right() + 10, 4, w - att.right() - 16, h - 8))
        p.end()

    def _attitude(self, p: QPainter, r: QRectF) -> None:
        v = self.view
        p.save()
        clip = QPainterPath()
        clip.addEllipse(r)
        p.setClipPath(clip)
        c = r.center()
        px_per_deg = r.height() / 60.0
        p.translate(c)
        p.rotate(-v.roll_deg)
        p.translate(0, v.pitch_deg * px_per_deg)
        big = r.width() * 2
        sky = QLinearGradient(0, -big, 0, 0)
        sky.setColorAt(0, QColor("#0d47a1"))
        sky.setColorAt(1, QColor("#4fc3f7"))
        p.fillRect(QRectF(-big, -big, 2 * big, big), sky)
        ground = QLinearGradient(0, 0, 0, big)
        ground.setColorAt(0, QColor("#8d6e63"))
        ground.setColorAt(1, QColor("#3e2723"))
        p.fillRect(QRectF(-big, 0, 2 * big, big), ground)
        p.setPen(QPen(QColor("white"), 2))
        p.drawLine(QPointF(-big, 0), QPointF(big, 0))
        p.setFont(QFont("DejaVu Sans", 7))
        for deg in range(-40, 41, 10):
            if deg == 0:
                continue
            y = -deg * px_per_deg
            half = r.width() * (0.18 if deg % 20 == 0 else 0.1)
            p.drawLine(QPointF(-half, y), QPointF(half, y))
            p.drawText(QPointF(half + 3, y + 3), str(deg))
        p.restore()
        # fixed aircraft symbol and roll scale
        p.save()
        p.translate(c)
        p.setPen(QPen(QColor("#ffd600"), 4))
        p.drawLine(QPointF(-r.width() * 0.28, 0), QPointF(-r.width() * 0.08, 0))
        p.drawLine(QPointF(r.width() * 0.08, 0), QPointF(r.width() * 0.28, 0))
        p.drawPoint(QPointF(0, 0))
        p.setPen(QPen(QColor("white"), 1.5))
        rad = r.width() / 2 - 4
        for a in (-60, -45, -30, -20, -10, 0, 10, 20, 30, 45, 60):
            t = math.radians(a - 90)
            inner = rad - (10 if a % 30 == 0 else 6)
            p.drawLine(QPointF(rad * math.cos(t), rad * math.sin(t)), QPointF(inner * math.cos(t), inner * math.sin(t)))
        p.rotate(-v.roll_deg)
        p.setBrush(QColor("#ffd600"))
        p.drawPolygon(QPolygonF([QPointF(0, -rad + 12), QPointF(-6, -rad + 22), QPointF(6, -rad + 22)]))
        p.restore()
        p.setPen(QPen(QColor("#cfd8dc"), 2))
        p.setBrush(Qt.NoBrush)
        p.drawEllipse(r)

    def _heading_tape(self, p: QPainter, r: QRectF) -> None:
        hdg = self.view.heading_deg
        p.save()
        p.setClipRect(r)
        p.fillRect(r, QColor("#263238"))
        p.setPen(QPen(QColor("white"), 1))
        p.setFont(QFont("DejaVu Sans", 7))
        px_per_deg = r.width() / 90.0
        names = {0: "N", 90: "E", 180: "S", 270: "W"}
        start = int(math.floor(hdg - 50)) // 5 * 5
        for d in range(start, start + 105, 5):
            x = r.center().x() + (d - hdg) * px_per_deg
            dd = d % 360
            p.drawLine(QPointF(x, r.bottom()), QPointF(x, r.bottom() - (8 if dd % 15 == 0 else 4)))
            if dd % 30 == 0:
                p.drawText(QRectF(x - 12, r.top(), 24, 12), Qt.AlignCenter, names.get(dd, str(dd)))
        p.setPen(QPen(QColor("#ffd600"), 2))
        p.drawLine(QPointF(r.center().x(), r.top()), QPointF(r.center().x(), r.bottom()))
        p.restore()

    def _boxes(self, p: QPainter, r: QRectF) -> None:
        figs = self.figures()
        keys = ["ALT", "GS", "CLIMB", "HDG", "AMSL", "BAT", "GPS", "MODE", "ARMED", "LINK", "WP"]
        rows = len(keys)
        bh = r.height() / rows
        for i, k in enumerate(keys):
            box = QRectF(r.left(), r.top() + i * bh, r.width(), bh - 2)
            p.fillRect(box, QColor("#1c252c"))
            p.setPen(QColor("#90a4ae"))
            p.setFont(QFont("DejaVu Sans", 7))
            p.drawText(box.adjusted(4, 0, 0, 0), Qt.AlignLeft | Qt.AlignVCenter, k)
            colour = "#eceff1"
            if k == "ARMED":
                colour = "#ff5252" if self.view.armed else "#69f0ae"
            elif k == "LINK" and figs[k] == "LOST":
                colour = "#ff5252"
            elif k == "BAT" and 0 <= self.view.battery_pct < 25:
                colour = "#ffab40"
            p.setPen(QColor(colour))
            p.setFont(QFont("DejaVu Sans", 10, QFont.Bold))
            p.drawText(box.adjusted(0, 0, -6, 0), Qt.AlignRight | Qt.AlignVCenter, figs[k])
