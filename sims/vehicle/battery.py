"""A 4S LiPo that drains with flight time and load: open-circuit voltage curve, internal resistance, mAh counter."""
from __future__ import annotations

from dataclasses import dataclass

# (state of charge, open-circuit volts per cell) for a LiPo cell, ascending charge.
_OCV_CURVE = ((0.0, 3.20), (0.05, 3.45), (0.10, 3.60), (0.20, 3.70), (0.50, 3.82), (0.80, 3.97), (0.90, 4.08), (1.0, 4.20))


def ocv_per_cell(soc: float) -> float:
    """Open-circuit cell voltage at a state of charge in [0, 1] (piecewise linear)."""
    soc = max(0.0, min(1.0, soc))
    for (s0, v0), (s1, v1) in zip(_OCV_CURVE, _OCV_CURVE[1:]):
        if soc <= s1:
            return v0 + (v1 - v0) * (soc - s0) / (s1 - s0)
    return _OCV_CURVE[-1][1]


@dataclass
class Battery:
    """Pack state; `step` integrates the current drawn for a thrust ratio (thrust/weight)."""

    capacity_mah: float = 5200.0
    cells: int = 4
    consumed_mah: float = 0.0
    hover_current_a: float = 15.0
    idle_current_a: float = 0.4
    resistance_ohm: float = 0.04
    current_a: float = 0.4
    energy_hj: float = 0.0

    @classmethod
    def at_percent(cls, capacity_mah: float, percent: float) -> "Battery":
        """A pack of the given capacity already `100 - percent` % used."""
        return cls(capacity_mah=capacity_mah, consumed_mah=capacity_mah * (1.0 - max(0.0, min(100.0, percent)) / 100.0))

    @property
    def soc(self) -> float:
        """State of charge in [0, 1]."""
        return max(0.0, 1.0 - self.consumed_mah / self.capacity_mah)

    @property
    def remaining_mah(self) -> float:
        """Capacity left, mAh."""
        return max(0.0, self.capacity_mah - self.consumed_mah)

    @property
    def voltage(self) -> float:
        """Terminal voltage under the present load, V."""
        return max(0.0, self.cells * ocv_per_cell(self.soc) - self.current_a * self.resistance_ohm)

    def step(self, dt: float, thrust_ratio: float) -> None:
        """Draw current for dt seconds at a thrust/weight ratio (0 = motors off)."""
        load = max(0.0, thrust_ratio) ** 1.5
        self.current_a = self.idle_current_a + self.hover_current_a * load
        self.consumed_mah += self.current_a * dt / 3.6
        self.energy_hj += self.voltage * self.current_a * dt / 100.0

    def time_remaining_s(self) -> int:
        """Seconds to empty at the present current."""
        return int(self.remaining_mah * 3.6 / max(self.current_a, 0.1))
