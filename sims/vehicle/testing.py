"""Helpers for tests in other packages: a vehicle on a free TCP port in a background thread, stopped cleanly."""
from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from types import MappingProxyType
from typing import Iterator, Mapping

from .config import VehicleConfig
from .faults import FaultConfig
from .modes import Flavour
from .runner import VehicleRunner
from .vehicle import SimVehicle


#: Parameter overrides every `running_vehicle` starts with (see its docstring).
TEST_PARAMS: Mapping[str, float] = MappingProxyType({"DISARM_DELAY": 0})


@contextlib.contextmanager
def running_vehicle(flavour: str | Flavour = "ardupilot", speedup: float = 10.0, *, home: tuple[float, float, float]
                    = (47.397742, 8.545594, 488.0), heading_deg: float = 0.0, sysid: int = 1, seed: int = 0,
                    gps_lock_s: float = 2.0, params: dict[str, float] | None = None,
                    faults: FaultConfig | None = None, battery_percent: float = 100.0,
                    udp_out: list[tuple[str, int]] | None = None, gps_outages: list[tuple[float, float]] | None = None,
                    with_vehicle: bool = False) -> Iterator[str | tuple[str, SimVehicle]]:
    """Start a vehicle serving `tcp:127.0.0.1:<free port>` in a background thread and yield that endpoint string
    (or `(endpoint, vehicle)` with `with_vehicle=True`); parameters persist to a temporary file.

    `speedup` 10 = ten sim seconds per wall second (0 = lockstep, unpaced). `params` are applied at start on top
    of `TEST_PARAMS` (DISARM_DELAY 0: at speedup N the 10 s auto-disarm is 10/N wall seconds, which a loaded CI
    machine can miss between arming and takeoff; pass `params={"DISARM_DELAY": 10}` to test the auto-disarm);
    `udp_out` adds UDP links to GCS addresses; `gps_outages` are (start, seconds) in sim time. On exit the
    thread stops and every socket closes; an exception in the vehicle thread is re-raised as RuntimeError.
    """
    with tempfile.TemporaryDirectory(prefix="simvehicle-") as tmp:
        config = VehicleConfig(home_lat=home[0], home_lon=home[1], home_alt_m=home[2], home_heading_deg=heading_deg,
                               flavour=Flavour(flavour), sysid=sysid, seed=seed, tcp_port=0,
                               params_path=Path(tmp) / f"vehicle-{sysid}.parm",
                               param_overrides={**TEST_PARAMS, **(params or {})},
                               gps_lock_s=gps_lock_s, battery_percent=battery_percent, faults=faults or FaultConfig(),
                               udp_out=list(udp_out or []), gps_outages=list(gps_outages or []))
        vehicle = SimVehicle(config)
        runner = VehicleRunner([vehicle], speedup=speedup).start()
        try:
            endpoint = vehicle.endpoints[0]
            yield (endpoint, vehicle) if with_vehicle else endpoint
        finally:
            runner.stop()
            if runner.error is not None:
                raise RuntimeError("simulated vehicle thread failed") from runner.error
