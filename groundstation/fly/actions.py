"""Runs blocking vehicle actions on a worker thread and reports each result back through Qt signals."""
from __future__ import annotations

import itertools
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PyQt5.QtCore import QObject, pyqtSignal

#: Actions that change what the aircraft does in a way the pilot must confirm.
DANGEROUS = frozenset({"arm", "disarm", "takeoff", "start_patrol", "retask", "goto", "rtl", "land", "upload"})

LABELS = {
    "connect": "Connect", "disconnect": "Disconnect", "arm": "Arm", "disarm": "Disarm", "takeoff": "Take off", "start_patrol": "Start patrol",
    "pause": "Pause", "resume": "Resume", "retask": "Retask (orbit)", "goto": "Go to point", "rtl": "Return to launch",
    "land": "Land", "upload": "Upload mission", "download": "Download mission",
}


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one action: the acknowledgement text, or the error."""

    action_id: int
    name: str
    ok: bool
    message: str
    value: object = None


class ActionRunner(QObject):
    """One worker thread, actions in order; ``finished`` carries an ``ActionResult`` to the UI thread."""

    started = pyqtSignal(int, str)
    finished = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vehicle-actions")
        self._ids = itertools.count(1)

    def submit(self, name: str, fn: Callable[[], object]) -> int:
        """Run ``fn`` on the worker; its return value (str: the ack text) becomes the result message."""
        action_id = next(self._ids)
        self.started.emit(action_id, name)
        self._pool.submit(self._run, action_id, name, fn)
        return action_id

    def _run(self, action_id: int, name: str, fn: Callable[[], object]) -> None:
        try:
            value = fn()
            message = value if isinstance(value, str) else f"{LABELS.get(name, name)} done"
            result = ActionResult(action_id, name, True, message, value)
        except Exception as exc:  # every failure is shown to the pilot, never swallowed
            detail = str(exc) or type(exc).__name__
            result = ActionResult(action_id, name, False, f"{type(exc).__name__}: {detail}", traceback.format_exc())
        self.finished.emit(result)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
