"""GPS receiver model: fix states after boot, slowly wandering position error, satellite count, outages."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

FIX_NONE, FIX_2D, FIX_3D = 1, 2, 3  # GPS_FIX_TYPE_NO_FIX, _2D_FIX, _3D_FIX


@dataclass
class GpsModel:
    """Error (ENU metres) as first-order Gauss-Markov processes; `lost` forces NO_FIX (injected outage)."""

    lock_time_s: float = 5.0
    sigma_h_m: float = 0.6
    sigma_v_m: float = 1.0
    tau_s: float = 20.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    lost_until_s: float = -1.0
    #: Scheduled outages as (start, seconds) in sim time.
    outages: list[tuple[float, float]] = field(default_factory=list)
    disabled: bool = False
    err: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    satellites: int = 0
    fix_type: int = FIX_NONE

    def lose_for(self, now: float, seconds: float) -> None:
        """Inject a GPS outage of `seconds` starting now."""
        self.lost_until_s = max(self.lost_until_s, now + seconds)

    def step(self, now: float, dt: float) -> None:
        """Advance the error processes and the fix state."""
        a = math.exp(-dt / self.tau_s)
        s = math.sqrt(1.0 - a * a)
        e = self.err
        e[0] = a * e[0] + s * self.sigma_h_m / math.sqrt(2.0) * self.rng.gauss(0.0, 1.0)
        e[1] = a * e[1] + s * self.sigma_h_m / math.sqrt(2.0) * self.rng.gauss(0.0, 1.0)
        e[2] = a * e[2] + s * self.sigma_v_m * self.rng.gauss(0.0, 1.0)
        scheduled = any(start <= now < start + length for start, length in self.outages)
        if self.disabled or now < self.lost_until_s or scheduled:
            self.fix_type, self.satellites = FIX_NONE, 0
        elif now < 0.5 * self.lock_time_s:
            self.fix_type, self.satellites = FIX_NONE, min(4, int(now * 2))
        elif now < self.lock_time_s:
            self.fix_type, self.satellites = FIX_2D, 5
        else:
            self.fix_type = FIX_3D
            if self.rng.random() < dt / 30.0:  # satellites come and go
                self.satellites = max(9, min(16, self.satellites + self.rng.choice((-1, 1))))
            self.satellites = max(self.satellites, 10)

    @property
    def has_3d_fix(self) -> bool:
        """True when position is usable (3D fix)."""
        return self.fix_type >= FIX_3D

    @property
    def hdop(self) -> float:
        """Horizontal dilution of precision implied by the satellite count."""
        return 99.99 if self.satellites < 4 else 0.6 + 4.0 / self.satellites
