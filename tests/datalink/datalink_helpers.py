"""Helpers for datalink tests (a uniquely named module: test files import it, conftest provides fixtures)."""
from __future__ import annotations

import socket
import time
from collections.abc import Callable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bind port 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred: Callable[[], bool], timeout_s: float = 30.0, step_s: float = 0.05) -> bool:
    """Poll ``pred`` until true or ``timeout_s`` (a guard against hanging, not a timing assertion)."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step_s)
    return pred()
