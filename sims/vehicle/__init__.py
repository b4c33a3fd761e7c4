"""A SITL multicopter speaking MAVLink 2 like ArduPilot Copter 4.x (or PX4): physics, missions, fence, failsafes.

Public API: `SimVehicle`, `VehicleConfig`, `VehicleRunner`, `FaultConfig`, `Flavour`, `Mode`, `TruePose`,
and `sims.vehicle.testing.running_vehicle` for tests.
"""
from __future__ import annotations

import os

os.environ.setdefault("MAVLINK20", "1")

from .config import VehicleConfig  # noqa: E402
from .faults import FaultConfig  # noqa: E402
from .modes import Flavour, Mode  # noqa: E402
from .pose import TruePose  # noqa: E402
from .runner import VehicleRunner  # noqa: E402
from .vehicle import SimVehicle  # noqa: E402

__all__ = ["SimVehicle", "VehicleConfig", "VehicleRunner", "FaultConfig", "Flavour", "Mode", "TruePose"]
