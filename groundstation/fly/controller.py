"""The pilot's side of one vehicle connection: backend + action runner + state polling, as Qt signals.

No widget here: ``FlyPanel`` and the map subscribe to the signals. Blocking work (connect, every
action) runs on the ``ActionRunner`` thread; the UI-thread timer only copies the latest snapshot.
"""
from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from groundstation.fly.actions import DANGEROUS, LABELS, ActionResult, ActionRunner
from groundstation.model.vehicle import VehicleView
from groundstation.session import PermissionDenied, Session

ConfirmFn = Callable[[str, str], bool]


class FlyController(QObject):
    """Connects, polls the vehicle state, runs confirmed actions, and reports acks, errors and STATUSTEXT."""

    stateChanged = pyqtSignal(object)  # VehicleView
    statusText = pyqtSignal(int, str)  # severity, text
    connectionChanged = pyqtSignal(bool, str)
    actionFinished = pyqtSignal(object)  # ActionResult
    actionStarted = pyqtSignal(int, str)
    controllerEvent = pyqtSignal(object)  # flight.controller.ControllerEvent

    def __init__(self, backend_factory: Callable[[str], object] | None = None, confirm: ConfirmFn | None = None,
                 session: Session | None = None, poll_hz: float = 10.0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        if backend_factory is None:
            from groundstation.fly.backend import FlightBackend

            backend_factory = FlightBackend
        self.backend_factory = backend_factory
        self.backend = None
        self.confirm: ConfirmFn = confirm or (lambda title, text: True)
        self.session = session
        self.runner = ActionRunner(self)
        self.runner.finished.connect(self._on_finished)
        self.runner.started.connect(self.actionStarted)
        self.last_view = VehicleView()
        self.last_result: ActionResult | None = None
        self.results: list[ActionResult] = []
        self._n_status = 0
        self._timer = QTimer(self, interval=int(1000 / poll_hz))
        self._timer.timeout.connect(self.poll)

    # ------------------------------------------------------------------ connection
    def connect_to(self, connection: str) -> int:
        """Open a connection on the worker thread; ``connectionChanged`` reports the outcome."""
        self.disconnect_vehicle()
        backend = self.backend_factory(connection)

        def work() -> str:
            text = backend.open()
            self.backend = backend
            return text

        return self.runner.submit("connect", work)

    def disconnect_vehicle(self, wait: bool = False) -> None:
        """Stop polling and close the link — on the worker thread (closing joins the link's threads)
        unless ``wait`` (application shutdown)."""
        self._timer.stop()
        if self.backend is not None:
            backend, self.backend = self.backend, None
            if wait:
                backend.close()
            else:
                self.runner.submit("disconnect", lambda: (backend.close(), f"closed {backend.connection}")[1])
            self.connectionChanged.emit(False, "disconnected")

    @property
    def connected(self) -> bool:
        return self.backend is not None and getattr(self.backend, "is_open", False)

    def poll(self) -> None:
        """Copy the newest snapshot and new STATUSTEXT lines into signals (non-blocking)."""
        if self.backend is None:
            return
        view = self.backend.view()
        self.last_view = view
        self.stateChanged.emit(view)
        texts = self.backend.statustexts()
        if len(texts) < self._n_status:
            self._n_status = 0
        for st in texts[self._n_status:]:
            self.statusText.emit(int(st.severity), str(st.text))
        self._n_status = len(texts)
        drain = getattr(self.backend, "drain_events", None)
        for ev in drain() if drain is not None else ():
            severity = {"error": 3, "warning": 4}.get(ev.kind, 6)
            self.controllerEvent.emit(ev)
            self.statusText.emit(severity, f"[patrol {ev.phase.value}] {ev.message}")

    # ------------------------------------------------------------------ actions
    def allowed(self) -> bool:
        """True when the logged-in role may fly (no session: a bench/test setup, allowed)."""
        return self.session is None or self.session.can_fly

    def request(self, name: str, *args, describe: str = "") -> int | None:
        """Run an action by name (``arm``, ``takeoff``, ``start_patrol``, ``pause``, ``resume``, ``retask``,
        ``goto``, ``rtl``, ``land``, ``upload``, ``download``); dangerous ones are confirmed first.

        Returns the action id, or None when refused (role, not connected) or not confirmed; the
        refusal is reported through ``actionFinished`` like any error.
        """
        label = LABELS.get(name, name)
        if not self.allowed():
            self._refuse(name, str(PermissionDenied(f"user {self.session.username!r} ({self.session.role}) may not fly the vehicle")))
            return None
        if self.backend is None:
            self._refuse(name, "not connected to a vehicle")
            return None
        if name in DANGEROUS and not self.confirm(label, f"{label}{': ' + describe if describe else ''}?\n"
                                                           f"Vehicle: {self.last_view.vehicle_id}, mode {self.last_view.mode or '?'}"):
            self._refuse(name, "cancelled by the pilot")
            return None
        method = {"retask": "retask_orbit"}.get(name, name)
        fn = getattr(self.backend, method)
        return self.runner.submit(name, lambda: fn(*args))

    def _refuse(self, name: str, why: str) -> None:
        result = ActionResult(0, name, False, why)
        self._on_finished(result)

    def _on_finished(self, result: ActionResult) -> None:
        self.last_result = result
        self.results.append(result)
        if result.name == "connect":
            self.connectionChanged.emit(result.ok, result.message)
            if result.ok:
                self._timer.start()
                self.poll()
        self.actionFinished.emit(result)

    def shutdown(self) -> None:
        self.disconnect_vehicle(wait=True)
        self.runner.shutdown()
