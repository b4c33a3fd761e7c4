"""Configuration of one simulated vehicle (where it starts, how it talks, how it is paced)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .faults import FaultConfig
from .modes import Flavour


@dataclass
class VehicleConfig:
    """Everything needed to start a SimVehicle; units in the names."""

    home_lat: float = 47.397742
    home_lon: float = 8.545594
    home_alt_m: float = 488.0
    home_heading_deg: float = 0.0
    flavour: Flavour = Flavour.ARDUPILOT
    sysid: int = 1
    seed: int = 0
    #: TCP server port (0 = pick a free one, None = no TCP server).
    tcp_port: int | None = 5760
    tcp_host: str = "127.0.0.1"
    #: GCS addresses to send UDP to, e.g. [("127.0.0.1", 14550)].
    udp_out: list[tuple[str, int]] = field(default_factory=list)
    #: .parm file the parameters persist to (None = not persisted).
    params_path: Path | None = None
    #: Parameter values applied at start (not persisted).
    param_overrides: dict[str, float] = field(default_factory=dict)
    physics_hz: float = 50.0
    gps_lock_s: float = 5.0
    battery_percent: float = 100.0
    #: Unix time of sim time 0 (SYSTEM_TIME, TruePose.unix_time_s); None = the wall clock at start.
    epoch_unix_s: float | None = None
    #: GPS outages as (start, seconds) in sim time.
    gps_outages: list[tuple[float, float]] = field(default_factory=list)
    #: Fault model applied to every link of this vehicle.
    faults: FaultConfig = field(default_factory=FaultConfig)

    def __post_init__(self) -> None:
        self.flavour = Flavour(self.flavour)
        if not 1 <= self.sysid <= 254:
            raise ValueError(f"VehicleConfig.sysid must be 1..254, got {self.sysid}")
        if not -90 <= self.home_lat <= 90 or not -180 <= self.home_lon <= 180:
            raise ValueError(f"VehicleConfig home {self.home_lat},{self.home_lon} is not a WGS84 position")
        if self.physics_hz <= 0:
            raise ValueError("VehicleConfig.physics_hz must be > 0")
