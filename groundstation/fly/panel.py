"""The Fly panel: endpoint picker with history, HUD, action buttons, ack/error line, STATUSTEXT log."""
from __future__ import annotations

import time

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (QComboBox, QDoubleSpinBox, QGridLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                             QPushButton, QVBoxLayout, QWidget)

from groundstation.fly.actions import LABELS, ActionResult
from groundstation.fly.controller import FlyController
from groundstation.fly.endpoints import EndpointHistory
from groundstation.fly.hud import HudWidget

SEVERITY = {0: "EMERG", 1: "ALERT", 2: "CRIT", 3: "ERROR", 4: "WARN", 5: "NOTICE", 6: "INFO", 7: "DEBUG"}
ACTION_BUTTONS = ("arm", "takeoff", "start_patrol", "pause", "resume", "retask", "rtl", "land")


class FlyPanel(QWidget):
    """Renders a ``FlyController``; buttons turn into ``controller.request(...)`` calls."""

    def __init__(self, controller: FlyController, history: EndpointHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.history = history
        self.target: tuple[float, float, str] | None = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.endpoint = QComboBox(editable=True)
        self.endpoint.addItems(history.choices())
        self.endpoint.setMinimumWidth(200)
        self.connect_btn = QPushButton("Connect")
        self.connect_btn.clicked.connect(self.on_connect)
        row.addWidget(QLabel("MAVLink"))
        row.addWidget(self.endpoint, 1)
        row.addWidget(self.connect_btn)
        lay.addLayout(row)
        self.conn_label = QLabel("not connected")
        lay.addWidget(self.conn_label)
        self.hud = HudWidget()
        lay.addWidget(self.hud, 1)
        grid = QGridLayout()
        self.buttons: dict[str, QPushButton] = {}
        for i, name in enumerate(ACTION_BUTTONS):
            b = QPushButton(LABELS[name])
            b.setObjectName(f"action_{name}")
            b.clicked.connect(lambda _=False, n=name: self.on_action(n))
            grid.addWidget(b, i // 4, i % 4)
            self.buttons[name] = b
        lay.addLayout(grid)
        row2 = QHBoxLayout()
        row2.addWidget(QLabel("Takeoff alt (m)"))
        self.takeoff_alt = QDoubleSpinBox(minimum=2, maximum=120, value=30, decimals=0)
        row2.addWidget(self.takeoff_alt)
        row2.addWidget(QLabel("Orbit r (m)"))
        self.orbit_radius = QDoubleSpinBox(minimum=10, maximum=500, value=40, decimals=0)
        row2.addWidget(self.orbit_radius)
        lay.addLayout(row2)
        self.target_label = QLabel("retask target: none (click the map in Pick mode, or select an infraction)")
        self.target_label.setWordWrap(True)
        lay.addWidget(self.target_label)
        self.ack_label = QLabel("")
        self.ack_label.setWordWrap(True)
        self.ack_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay.addWidget(self.ack_label)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(500)
        self.log.setMinimumHeight(90)
        lay.addWidget(self.log)
        controller.stateChanged.connect(self.hud.set_view)
        controller.statusText.connect(self.on_statustext)
        controller.actionFinished.connect(self.on_result)
        controller.actionStarted.connect(lambda _i, n: self.ack_label.setText(f"… {LABELS.get(n, n)}"))
        controller.connectionChanged.connect(self.on_connection)
        self.update_permissions()

    def update_permissions(self) -> None:
        """A role that may not fly sees every action disabled (and the controller refuses them anyway)."""
        allowed = self.controller.allowed()
        for b in self.buttons.values():
            b.setEnabled(allowed)
            b.setToolTip("" if allowed else "your role may not fly the vehicle")

    def set_target(self, lat: float, lon: float, label: str = "") -> None:
        """The retask target: a clicked map point or an infraction."""
        self.target = (lat, lon, label)
        self.target_label.setText(f"retask target: {label + ' ' if label else ''}{lat:.6f}, {lon:.6f}")

    def on_connect(self) -> None:
        """Connect to the endpoint in the box, or disconnect when connected."""
        if self.controller.backend is not None:
            self.controller.disconnect_vehicle()
            return
        text = self.endpoint.currentText().strip()
        if not text:
            return
        self.history.add(text)
        self.conn_label.setText(f"connecting to {text} …")
        self.controller.connect_to(text)

    def on_action(self, name: str) -> None:
        args: tuple = ()
        describe = ""
        if name == "takeoff":
            args = (self.takeoff_alt.value(),)
            describe = f"to {args[0]:.0f} m"
        elif name == "retask":
            if self.target is None:
                self.on_result(ActionResult(0, name, False, "no retask target: pick a point on the map or an infraction"))
                return
            lat, lon, label = self.target
            args = (lat, lon, self.orbit_radius.value())
            describe = f"orbit {label + ' ' if label else ''}{lat:.6f}, {lon:.6f} at r={args[2]:.0f} m"
        self.controller.request(name, *args, describe=describe)

    def on_connection(self, ok: bool, message: str) -> None:
        self.conn_label.setText(message if ok else f"not connected: {message}")
        self.connect_btn.setText("Disconnect" if ok else "Connect")
        self._log(("CONNECTED " if ok else "CONNECTION ") + message)

    def on_result(self, result: ActionResult) -> None:
        label = LABELS.get(result.name, result.name)
        text = f"{label}: {'OK — ' if result.ok else 'FAILED — '}{result.message}"
        self.ack_label.setText(text)
        self.ack_label.setStyleSheet("color: #1b5e20;" if result.ok else "color: #b71c1c; font-weight: bold;")
        self._log(text)

    def on_statustext(self, severity: int, text: str) -> None:
        self._log(f"[{SEVERITY.get(severity, severity)}] {text}")

    def _log(self, line: str) -> None:
        self.log.appendPlainText(f"{time.strftime('%H:%M:%S')} {line}")
