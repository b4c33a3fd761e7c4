"""`aeropatrol gs --sitl`: start the simulated vehicle (and the town base map) as separate processes.

The ground station never imports ``sims``: it runs ``aeropatrol sim vehicle`` and ``aeropatrol sim
town`` as subprocesses and talks to the vehicle over MAVLink like to any autopilot. With
``autostart`` it also plans a perimeter patrol around home, uploads it and starts it, so a newcomer
sees the drone fly within seconds of launching.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from PyQt5.QtCore import QObject, QTimer

#: The sims town's default centre and ground altitude (``aeropatrol sim town`` defaults).
TOWN_HOME = (47.3977, 8.5456, 408.0)


def free_tcp_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_town_dir() -> Path:
    base = os.environ.get("AEROPATROL_GS_HOME") or Path.home() / ".cache" / "aeropatrol"
    return Path(base) / "town"


class SitlLauncher(QObject):
    """Owns the SITL subprocesses of one ground-station run and feeds their outputs to the window."""

    def __init__(self, window, *, port: int | None = None, town_dir: Path | None = None, with_town: bool = True,
                 autostart: bool = False, speedup: float = 1.0, extra_args: list[str] | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.port = port or free_tcp_port()
        self.town_dir = town_dir or default_town_dir()
        self.with_town = with_town
        self.autostart = autostart
        self.speedup = speedup
        self.extra_args = list(extra_args or [])
        self.vehicle_proc: subprocess.Popen | None = None
        self.town_proc: subprocess.Popen | None = None
        self.log_lines: list[str] = []
        self._tries = 0
        self._poll = QTimer(self, interval=500)
        self._poll.timeout.connect(self._check_town)
        self._port_timer = QTimer(self, interval=300)
        self._port_timer.timeout.connect(self._check_port)
        self._port_deadline = 0.0

    @property
    def endpoint(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def vehicle_command(self) -> list[str]:
        lat, lon, alt = TOWN_HOME
        return [sys.executable, "-m", "aeropatrol", "sim", "vehicle", "--tcp", str(self.port),
                "--home", f"{lat},{lon},{alt},0", "--speedup", f"{self.speedup:g}", "--gps-lock", "2",
                *self.extra_args]

    def start(self) -> None:
        """Start the vehicle (and the town generator if its output is missing), then connect."""
        self.vehicle_proc = subprocess.Popen(self.vehicle_command(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._note(f"SITL vehicle started: {' '.join(self.vehicle_command()[1:])}")
        if self.with_town:
            if (self.town_dir / "basemap.mbtiles").is_file():
                self._load_town()
            else:
                self.town_proc = subprocess.Popen([sys.executable, "-m", "aeropatrol", "sim", "town", "-o",
                                                   str(self.town_dir)], stdout=subprocess.DEVNULL,
                                                  stderr=subprocess.DEVNULL)
                self._note(f"generating the SITL town base map in {self.town_dir} …")
                self._poll.start()
        self.window.map.center_on(TOWN_HOME[0], TOWN_HOME[1], 17)
        if self.autostart:
            self.window.fly.connectionChanged.connect(self._on_connected)
            self.window.fly.actionFinished.connect(self._on_result)
            self._prepare_plan()
        self._port_deadline = time.monotonic() + 120.0
        self._port_timer.start()  # connect once the simulator listens (its start-up takes seconds on a busy machine)

    def _check_port(self) -> None:
        """Connect as soon as the vehicle's TCP port accepts; report a simulator that died or never listened."""
        if self.vehicle_proc is None:
            self._port_timer.stop()
            return
        if self.vehicle_proc.poll() is not None:
            self._port_timer.stop()
            err = self.vehicle_proc.stderr.read().decode(errors="replace")[-800:] if self.vehicle_proc.stderr else ""
            self._note(f"SITL vehicle exited with code {self.vehicle_proc.returncode}: {err.strip()}")
            return
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.1):
                pass
        except OSError:
            if time.monotonic() > self._port_deadline:
                self._port_timer.stop()
                self._note(f"SITL vehicle never listened on {self.endpoint}")
            return
        self._port_timer.stop()
        self._connect()

    def _connect(self) -> None:
        self.window.fly_panel.endpoint.setEditText(self.endpoint)
        self.window.fly_panel.on_connect()

    def _note(self, text: str) -> None:
        self.log_lines.append(text)
        self.window.fly_panel._log(text)

    def _check_town(self) -> None:
        if self.town_proc is None or self.town_proc.poll() is None:
            return
        self._poll.stop()
        if self.town_proc.returncode == 0:
            self._load_town()
        else:
            self._note(f"town generation failed (exit {self.town_proc.returncode}); no base map")
        self.town_proc = None

    def _load_town(self) -> None:
        from groundstation.map.tiles import MBTilesSource

        self.window.map.set_tile_source(MBTilesSource(self.town_dir / "basemap.mbtiles"))
        zones = self.town_dir / "zones.geojson"
        if zones.is_file():
            from geo.zones import load_zones

            self.window.map.layer("zones").set_zones(load_zones(zones))
        self._note(f"town base map loaded from {self.town_dir}")

    # ------------------------------------------------------------------ autostart
    def _prepare_plan(self) -> None:
        """A perimeter patrol 150 m around the town centre, ready in the Plan tab."""
        lat, lon, alt = TOWN_HOME
        dlat, dlon = 150 / 111_320.0, 150 / (111_320.0 * 0.6767)
        plan = self.window.plan_panel
        plan.draft.home = (lat, lon, alt)
        plan.pattern.setCurrentText("perimeter")
        plan.alt.setValue(40)
        plan.inset.setValue(20)
        plan.laps.setValue(0)
        plan.set_geometry([(lat - dlat, lon - dlon), (lat - dlat, lon + dlon), (lat + dlat, lon + dlon),
                           (lat + dlat, lon - dlon)], "polygon")

    def _on_connected(self, ok: bool, _message: str) -> None:
        if ok:
            self._note("autostart: uploading the demo perimeter patrol")
            self._run("upload", self.window.plan_panel.draft.mission_plan())

    def _run(self, name: str, *args) -> None:
        fly = self.window.fly
        confirm, fly.confirm = fly.confirm, (lambda _t, _x: True)  # --autostart is the pilot's own request
        try:
            fly.request(name, *args)
        finally:
            fly.confirm = confirm

    def _on_result(self, result) -> None:
        if result.name == "upload" and result.ok:
            self._run("start_patrol")
        elif result.name == "start_patrol" and not result.ok and self._tries < 20:
            self._tries += 1  # e.g. pre-arm checks still waiting for the GPS / EKF
            QTimer.singleShot(2000, lambda: self._run("start_patrol"))

    def stop(self) -> None:
        """Terminate the subprocesses (town generation is abandoned)."""
        self._poll.stop()
        self._port_timer.stop()
        for proc in (self.vehicle_proc, self.town_proc):
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.vehicle_proc = self.town_proc = None
