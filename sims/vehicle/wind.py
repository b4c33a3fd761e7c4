"""Wind: a steady component plus gusts (an Ornstein-Uhlenbeck process per axis), seeded."""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field


@dataclass
class WindModel:
    """Air velocity (ENU, m/s, where the air moves TO) at the vehicle, for given speed/from-direction/gusts."""

    speed_mps: float = 0.0
    from_deg: float = 180.0
    gust_sigma_mps: float = 0.0
    gust_tau_s: float = 3.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    _gust: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])

    def step(self, dt: float) -> tuple[float, float, float]:
        """Advance the gust process by dt and return the wind vector (east, north, up)."""
        to_rad = math.radians(self.from_deg + 180.0)
        steady_e = self.speed_mps * math.sin(to_rad)
        steady_n = self.speed_mps * math.cos(to_rad)
        if self.gust_sigma_mps > 0.0:
            a = math.exp(-dt / self.gust_tau_s)
            s = self.gust_sigma_mps * math.sqrt(1.0 - a * a)
            g = self._gust
            g[0] = a * g[0] + s * self.rng.gauss(0.0, 1.0)
            g[1] = a * g[1] + s * self.rng.gauss(0.0, 1.0)
            g[2] = a * g[2] + 0.3 * s * self.rng.gauss(0.0, 1.0)
        else:
            self._gust = [0.0, 0.0, 0.0]
        return steady_e + self._gust[0], steady_n + self._gust[1], self._gust[2]
