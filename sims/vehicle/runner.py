"""Runs one or more SimVehicles in a background thread: paced to wall time (x speedup) or lockstep (unpaced)."""
from __future__ import annotations

import select
import threading
import time

from .clock import Pacer
from .vehicle import SimVehicle


class VehicleRunner:
    """Steps every vehicle at the physics rate; between steps it waits on the sockets so replies are prompt."""

    def __init__(self, vehicles: list[SimVehicle], speedup: float = 1.0) -> None:
        if not vehicles:
            raise ValueError("VehicleRunner needs at least one vehicle")
        self.vehicles = vehicles
        self.pacer = Pacer(speedup)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        for v in vehicles:  # clients of a running vehicle live in wall time, paced or not
            v.link_clock = time.monotonic

    @property
    def sim_time(self) -> float:
        """Sim seconds of the first vehicle."""
        return self.vehicles[0].clock.now

    def start(self) -> "VehicleRunner":
        """Start the background thread."""
        self._thread = threading.Thread(target=self._run, name="sim-vehicles", daemon=True)
        self._thread.start()
        return self

    def stop(self, close: bool = True) -> None:
        """Stop the thread and (by default) close every socket."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        if close:
            for v in self.vehicles:
                v.close()

    def __enter__(self) -> "VehicleRunner":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self) -> None:
        """Thread body: keeps the exception for the owner."""
        try:
            self._loop()
        except BaseException as exc:  # surfaced to whoever owns the runner
            self.error = exc
            raise

    def _loop(self) -> None:
        """Wait on the sockets until the next step is due, then step every vehicle."""
        dt = self.vehicles[0].clock.dt
        pacer = self.pacer
        pacer.start(self.sim_time)
        while not self._stop.is_set():
            next_t = self.sim_time + dt
            if not pacer.lockstep:
                pacer.resync_if_late(next_t)
                deadline = pacer.wall_deadline(next_t)
                while True:
                    timeout = deadline - time.monotonic()
                    if timeout <= 0 or self._stop.is_set():
                        break
                    fds = [fd for v in self.vehicles for fd in v.filenos()]
                    try:
                        ready, _, _ = select.select(fds, [], [], timeout)
                    except (OSError, ValueError):
                        ready = []
                        time.sleep(min(timeout, 0.005))
                    if ready:
                        for v in self.vehicles:
                            v.service_io()
            for v in self.vehicles:
                v.step()
